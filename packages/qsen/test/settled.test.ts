// The compact form of settled orders (orders/settled.ts): which entries it holds, and that it
// gives back exactly the entry it was made from, for any content and any SENEBI echo.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Uint64 } from '@qsen/core';
import { applyRecord, createOrderBook, describeEntry, type OrderEntry } from '../src/orders/book.js';
import { decodeSettled, encodeSettled, isSettled, MAX_ECHO_SHAPES, SettledFormError } from '../src/orders/settled.js';
import type { OrderContent } from '../src/orders/order.js';

const ID = '9999000000000000042' as Uint64;
const AT = '2026-12-01T14:00:00.000Z';
const ORDER: OrderContent = { id: ID, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.4', currency: 'USD', settlement: 'T1', counterparty: '210' };
const ECHO = { id: ID, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '210', status: 'accepted', time: AT, tradeDate: '2026-12-01', origin: 'agent' };
const accepted = (extra: Partial<OrderEntry> = {}): OrderEntry => ({ order: { ...ORDER }, state: 'accepted', receivedAt: AT, updatedAt: AT, senebi: { ...ECHO }, ...extra });

describe('isSettled', () => {
  test('final state with no cancel or a final cancel: settled', () => {
    assert.equal(isSettled(accepted()), true);
    assert.equal(isSettled(accepted({ state: 'rejected', senebi: { ...ECHO, status: 'rejected', reason: 'price band' } })), true);
    assert.equal(isSettled(accepted({ cancel: { state: 'cancelled', requestedAt: AT, updatedAt: AT, senebi: { ...ECHO, status: 'cancelled' } } })), true);
    assert.equal(isSettled(accepted({ cancel: { state: 'matched', requestedAt: AT, updatedAt: AT } })), true);
  });

  test('an order or a cancel still under way: not settled', () => {
    for (const state of ['received', 'sent', 'unknown', 'not_sent'] as const) assert.equal(isSettled(accepted({ state })), false, state);
    for (const state of ['requested', 'unknown', 'not_sent'] as const) assert.equal(isSettled(accepted({ cancel: { state, requestedAt: AT, updatedAt: AT } })), false, state);
  });

  test('what the form cannot hold exactly is not settled: no content, other fields, a number in the echo', () => {
    assert.equal(isSettled(accepted({ order: undefined })), false);
    assert.equal(isSettled(accepted({ order: { ...ORDER, note: 'x' } as unknown as OrderContent })), false);
    const { side, ...rest } = ORDER;
    assert.equal(isSettled(accepted({ order: { ...rest, side } })), false, 'fields in another order');
    assert.equal(isSettled(accepted({ senebi: { ...ECHO, price: 62.4 } })), false);
    assert.equal(isSettled(accepted({ cancel: { state: 'cancelled', requestedAt: AT, updatedAt: AT, senebi: { n: 1 } } })), false);
  });
});

describe('encodeSettled / decodeSettled', () => {
  test('the echo\'s fields that repeat the order are written once', () => {
    const text = encodeSettled(accepted());
    assert.equal(text.split('"AL30"').length - 1, 1);
    assert.ok(text.includes('"62.40"'), 'a field SENEBI writes its own way is kept');
    assert.equal(decodeSettled(ID, text).senebi?.['price'], '62.40');
    assert.ok(!text.includes('"instrument"'), 'the echo\'s keys are its shape\'s number');
    assert.equal(text.split(AT).length - 1, 1, 'qsen\'s own times are milliseconds; the echo\'s time is SENEBI\'s text');
    assert.ok(text.length < JSON.stringify(accepted()).length * 0.7, `${text.length} characters`);
  });

  const text = fc.string({ maxLength: 12 });
  const wire: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })),
  })).value;
  const contentArb = fc.record({ instrument: text, side: fc.constantFrom('buy', 'sell'), quantity: text, price: text, currency: fc.constantFrom('ARS', 'USD', 'EXT'), settlement: fc.constantFrom('T0', 'T1'), counterparty: text });
  // Echo keys mix the order's own field names (equal or not to the order's value) with others, in any order.
  const echoArb = (content: Record<string, string>): fc.Arbitrary<Record<string, unknown>> => fc.array(fc.tuple(fc.constantFrom('id', 'instrument', 'side', 'quantity', 'price', 'status', 'time', 'x', '0', '__proto__x'), fc.oneof(wire, fc.constantFrom(...Object.values(content), ID))), { maxLength: 10 })
    .map((pairs) => Object.fromEntries(pairs));

  test('gives back exactly the entry (key order of the echo included) for any content and echo', () => {
    fc.assert(fc.property(contentArb.chain((content) => fc.record({
      content: fc.constant(content),
      state: fc.constantFrom('accepted' as const, 'rejected' as const),
      error: fc.option(text, { nil: undefined }),
      senebi: fc.option(echoArb(content), { nil: undefined }),
      cancel: fc.option(fc.record({ state: fc.constantFrom('cancelled' as const, 'matched' as const), error: fc.option(text, { nil: undefined }), senebi: fc.option(echoArb(content), { nil: undefined }) }), { nil: undefined }),
    })), ({ content, state, error, senebi, cancel }) => {
      const entry: OrderEntry = { order: { id: ID, ...content } as OrderContent, state, receivedAt: AT, updatedAt: '2026-12-01T14:00:01.000Z' };
      if (senebi) entry.senebi = senebi;
      if (error !== undefined) entry.error = error;
      if (cancel) {
        entry.cancel = { state: cancel.state, requestedAt: '2026-12-01T14:00:02.000Z', updatedAt: '2026-12-01T14:00:03.000Z' };
        if (cancel.senebi) entry.cancel.senebi = cancel.senebi;
        if (cancel.error !== undefined) entry.cancel.error = cancel.error;
      }
      assert.equal(isSettled(entry), true);
      const back = decodeSettled(ID, encodeSettled(entry));
      assert.deepEqual(back, entry);
      assert.equal(JSON.stringify(back), JSON.stringify(entry), 'the same bytes, key order included');
      assert.equal(JSON.stringify(describeEntry(back)), JSON.stringify(describeEntry(entry)));
    }), { numRuns: 500 });
  });

  // Times: the form toISOString writes (held as milliseconds) or any other text (held as it is).
  const timeArb = fc.oneof(
    fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('2100-01-01T00:00:00.000Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2026-12-01T14:00:00Z', '2026-12-01T14:00:00.000+00:00', '2026-12-01 14:00:00.000Z', '', 'not a time', '1764600000000'),
    text,
  );

  test('gives back exactly every time, in toISOString\'s form or not', () => {
    fc.assert(fc.property(timeArb, timeArb, timeArb, timeArb, fc.boolean(), (receivedAt, updatedAt, requestedAt, cancelledAt, withCancel) => {
      const entry: OrderEntry = { order: { ...ORDER }, state: 'accepted', receivedAt, updatedAt, senebi: { ...ECHO, time: updatedAt } };
      if (withCancel) entry.cancel = { state: 'cancelled', requestedAt, updatedAt: cancelledAt };
      const back = decodeSettled(ID, encodeSettled(entry));
      assert.deepEqual(back, entry);
      assert.equal(JSON.stringify(back), JSON.stringify(entry));
    }), { numRuns: 500 });
  });

  test('past MAX_ECHO_SHAPES shapes an echo keeps its keys, and every shape still reads back', () => {
    const echoes = Array.from({ length: MAX_ECHO_SHAPES + 5 }, (_, i) => ({ ...ECHO, [`field${i}`]: 'x' }));
    const texts = echoes.map((senebi) => encodeSettled(accepted({ senebi })));
    assert.ok(texts.at(-1)?.includes('"field260":"x"'), 'a shape past the table is written with its keys');
    // The table is process-wide: the tests above took ECHO's shape first, then filled it with random ones.
    assert.ok(!encodeSettled(accepted()).includes('"instrument"'), 'a shape taken before the table filled is still written by number');
    texts.forEach((t, i) => assert.deepEqual(decodeSettled(ID, t), accepted({ senebi: echoes[i] })));
  });

  test('a string encodeSettled did not write is refused with the order id', () => {
    for (const bad of ['[]', '[2,"accepted"]', JSON.stringify([1, 'nonsense', AT, AT, null, 'a', 'b', 'c', 'd', 'e', 'f', 'g', null, null]),
      JSON.stringify([2, 9, 0, 0, null, 'a', 'b', 'c', 'd', 'e', 'f', 'g', null, null]), JSON.stringify([2, 2, 0, 'x', null, 'a', 'b', 'c', 'd', 'e', 'f', 'g', [999999], null]),
      JSON.stringify([2, 2, 0, true, null, 'a', 'b', 'c', 'd', 'e', 'f', 'g', null, null]), JSON.stringify([2, 2, 0, 0, null, 'a', 'b', 'c', 'd', 'e', 'f', 'g', null, [7, 0, 0, null, null]])]) {
      assert.throws(() => decodeSettled(ID, bad), (err: unknown) => err instanceof SettledFormError && err.id === ID);
    }
  });
});

describe('the book', () => {
  test('a settled entry is held compact, read as a fresh copy, and opened again by a cancel', () => {
    const book = createOrderBook();
    applyRecord(book, { type: 'order', id: ID, order: ORDER, at: AT });
    const live = book.get(ID);
    assert.equal(book.get(ID), live, 'an entry under way is the same object from one read to the next');
    applyRecord(book, { type: 'state', id: ID, state: 'accepted', senebi: ECHO, at: AT });
    assert.equal(book.settledCount(), 1);
    assert.deepEqual([...book.unsettled()], [], 'a settled entry is not among the unsettled');
    assert.notEqual(book.get(ID), book.get(ID), 'a settled entry is decoded on each read');
    assert.deepEqual(book.get(ID), accepted());
    applyRecord(book, { type: 'cancel', id: ID, cancel: 'requested', at: AT });
    assert.equal(book.settledCount(), 0, 'a cancel under way makes it an object again');
    assert.deepEqual([...book.unsettled()].map(([id]) => id), [ID]);
    assert.equal(book.get(ID)?.cancel?.state, 'requested');
    applyRecord(book, { type: 'cancel', id: ID, cancel: 'cancelled', senebi: { ...ECHO, status: 'cancelled' }, at: AT });
    assert.equal(book.settledCount(), 1);
    assert.deepEqual(book.get(ID)?.cancel, { state: 'cancelled', requestedAt: AT, updatedAt: AT, senebi: { ...ECHO, status: 'cancelled' } });
    assert.equal(book.size, 1);
    assert.deepEqual([...book.keys()], [ID]);
  });
});
