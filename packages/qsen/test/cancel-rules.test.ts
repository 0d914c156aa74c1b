// cancelOrder's pure parts with literal inputs: the request reading (the fence answers an
// out-of-range id exactly as an unknown one), the step decision, the cancel journal records and
// their replay into the order book, what SENEBI's record read at start means for an uncertain
// cancel, (a crash after the intent leaves the cancel uncertain), the
// adapter's reading of SENEBI's cancel answers, and the audit line.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, LosslessNumber, parseJsonLossless, toUint64 } from '@qsen/core';
import { makeTempDir } from '@qsen/testkit';
import { join } from 'node:path';
import { openJournal } from '../src/journal/journal.js';
import { decodeRecord, encodeRecord, scanJournal, type JournalRecord } from '../src/journal/records.js';
import { applyRecord, type OrderEntry } from '../src/orders/book.js';
import { buildOrderBook, recoverOrderBook } from './support/book.js';
import { cancelResultOfCode, decideCancelStep, isCancellableId, judgeCancelLookup, orderNotFound, readCancelRequest } from '../src/orders/cancel-rules.js';
import { describeCancelled } from '../src/orders/cancel.js';
import type { OrderContent } from '../src/orders/order.js';
import { readCancelAnswer } from '../src/senebi/answers.js';
import type { SenebiReply } from '../src/senebi/transport.js';
import { describeCancelOutcome } from '../src/routes/orders.js';

const RANGE = { min: toUint64('9999000000000000000'), max: toUint64('9999999999999999999') };
const ID = toUint64('9999000000000000042');
const AT = '2026-12-01T14:00:00.000Z';
const ORDER: OrderContent = { id: ID, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.4', currency: 'USD', settlement: 'T1', counterparty: '45' };

const codeOf = (fn: () => unknown): { code: string; status: number; body: string } => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    return { code: err.code, status: err.status, body: JSON.stringify(err.toBody()) };
  }
  assert.fail('no error');
};

const entry = (state: OrderEntry['state'], cancel?: OrderEntry['cancel']): OrderEntry => ({ order: ORDER, state, receivedAt: AT, updatedAt: AT, ...(cancel ? { cancel } : {}) });

describe('reading a cancel request', () => {
  test('the id comes as a string or an exact JSON number', () => {
    assert.equal(readCancelRequest({ id: '9999000000000000042' }), ID);
    assert.equal(readCancelRequest(parseJsonLossless('{"id": 9999000000000000042}')), ID);
    assert.equal(readCancelRequest({ id: new LosslessNumber('9999999999999999999') }), '9999999999999999999');
  });

  test('bad bodies are 400 INVALID_REQUEST naming the field', () => {
    for (const body of [null, [], 'x', {}, { id: '1.5' }, { id: '18446744073709551616' }, { id: ID, extra: 1 }]) {
      assert.equal(codeOf(() => readCancelRequest(body)).code, 'INVALID_REQUEST', JSON.stringify(body));
    }
  });

  test('the fence: only in-range ids qsen holds go further; the refusal echoes no id', () => {
    const holds = (id: string): boolean => id === ID || id === '9998999999999999999';
    assert.equal(isCancellableId(ID, RANGE, holds), true);
    assert.equal(isCancellableId(toUint64('9999000000000000043'), RANGE, holds), false, 'in range, not held');
    assert.equal(isCancellableId(toUint64('9998999999999999999'), RANGE, holds), false, 'held (by SENEBI, say) but outside the range');
    assert.equal(isCancellableId(toUint64('18446744073709551615'), RANGE, holds), false);
    assert.deepEqual(codeOf(() => { throw orderNotFound(); }), { code: 'ORDER_NOT_FOUND', status: 404, body: '{"error":{"code":"ORDER_NOT_FOUND","message":"no order with this id"}}' });
  });
});

describe('the step of a cancel', () => {
  test('from what qsen knows of the order and of an earlier cancel', () => {
    assert.deepEqual(decideCancelStep(undefined), { kind: 'not_found' });
    for (const state of ['received', 'sent', 'unknown'] as const) assert.deepEqual(decideCancelStep(entry(state)), { kind: 'resolve_order' }, state);
    assert.deepEqual(decideCancelStep(entry('rejected')), { kind: 'refuse', status: 'rejected' });
    assert.deepEqual(decideCancelStep(entry('not_sent')), { kind: 'refuse', status: 'not_sent' });
    assert.deepEqual(decideCancelStep(entry('accepted')), { kind: 'forward' });
    const cancel = (state: NonNullable<OrderEntry['cancel']>['state']) => ({ state, requestedAt: AT, updatedAt: AT });
    assert.deepEqual(decideCancelStep(entry('accepted', cancel('not_sent'))), { kind: 'forward' });
    assert.deepEqual(decideCancelStep(entry('accepted', cancel('requested'))), { kind: 'resend' });
    assert.deepEqual(decideCancelStep(entry('accepted', cancel('unknown'))), { kind: 'resend' });
    assert.deepEqual(decideCancelStep(entry('accepted', cancel('cancelled'))), { kind: 'replay', result: 'cancelled' });
    assert.deepEqual(decideCancelStep(entry('accepted', cancel('matched'))), { kind: 'replay', result: 'matched' });
  });

  test('result labels form a closed set', () => {
    assert.equal(cancelResultOfCode('ORDER_NOT_CANCELLABLE'), 'not_cancellable');
    assert.equal(cancelResultOfCode('ORDER_NOT_FOUND'), 'not_found');
    assert.equal(cancelResultOfCode('SENEBI_TIMEOUT'), 'failed');
    assert.equal(cancelResultOfCode('JOURNAL_UNAVAILABLE'), 'failed');
    assert.equal(cancelResultOfCode('MARKET_CLOSED'), 'refused');
    assert.equal(cancelResultOfCode('ORDER_DELIVERY_UNKNOWN'), 'refused');
  });
});

describe('cancel journal records', () => {
  const senebi = { id: ID, status: 'cancelled', cancelledAt: '2026-12-01T14:00:01.000Z' };
  const records: JournalRecord[] = [
    { type: 'order', id: ID, order: ORDER, at: AT },
    { type: 'state', id: ID, state: 'sent', at: AT },
    { type: 'state', id: ID, state: 'accepted', senebi: { id: ID, status: 'accepted' }, at: AT },
    { type: 'cancel', id: ID, cancel: 'requested', at: '2026-12-01T14:00:00.500Z' },
    { type: 'cancel', id: ID, cancel: 'cancelled', senebi, at: '2026-12-01T14:00:01.100Z' },
  ];

  test('round-trip through their journal lines', () => {
    for (const record of records) {
      const line = encodeRecord(record).toString('utf8').replace(/\n$/, '');
      assert.deepEqual(decodeRecord(line), record);
    }
    assert.equal(decodeRecord(encodeRecord({ type: 'cancel', id: ID, cancel: 'nonsense' as never, at: AT }).toString('utf8').trim()), undefined, 'an unknown cancel state is not a record');
  });

  test('replay: the cancel lands in the order\'s entry; a crash after the intent leaves it requested (uncertain)', () => {
    const book = buildOrderBook(records);
    const done = book.get(ID);
    assert.equal(done?.state, 'accepted', 'the order\'s delivery state is unchanged');
    assert.deepEqual(done?.cancel, { state: 'cancelled', requestedAt: '2026-12-01T14:00:00.500Z', updatedAt: '2026-12-01T14:00:01.100Z', senebi });
    assert.deepEqual(describeCancelled(done as OrderEntry), {
      ...ORDER, receivedAt: AT, status: 'cancelled', cancelRequestedAt: '2026-12-01T14:00:00.500Z', cancelledAt: '2026-12-01T14:00:01.000Z', senebi,
    });
    const crashed = buildOrderBook(records.slice(0, 4));
    assert.equal(crashed.get(ID)?.cancel?.state, 'requested');
    assert.deepEqual(decideCancelStep(crashed.get(ID)), { kind: 'resend' });
  });

  test('a cancel record damaged in the journal leaves an uncertain cancel unknown, a final one final', () => {
    const uncertain = recoverOrderBook({ records: records.slice(0, 4), tornIds: [ID], damaged: [] }, AT);
    assert.equal(uncertain.get(ID)?.cancel?.state, 'unknown');
    assert.equal(uncertain.get(ID)?.state, 'accepted');
    const final = recoverOrderBook({ records, tornIds: [ID], damaged: [] }, AT);
    assert.equal(final.get(ID)?.cancel?.state, 'cancelled');
  });

  test('a journal file with cancel records scans clean and reopens into the same book', async () => {
    const dir = makeTempDir('qsen-cancel-journal-');
    try {
      const file = join(dir.path, 'journal.log');
      const first = await openJournal(file, { clock: { now: () => Date.parse(AT) } });
      for (const record of records.slice(0, 3)) await first.journal.appendDurable(record);
      await first.journal.appendDurable(records[3] as JournalRecord);
      first.journal.append(records[4] as JournalRecord);
      await first.journal.close();
      const reopened = await openJournal(file, { clock: { now: () => Date.parse(AT) } });
      assert.equal(reopened.records.length, records.length);
      assert.equal(scanJournal(Buffer.concat(records.map(encodeRecord))).damaged.length, 0);
      assert.deepEqual(recoverOrderBook(reopened, AT).get(ID)?.cancel?.state, 'cancelled');
      await reopened.journal.close();
    } finally {
      dir.remove();
    }
  });

  test('applyRecord on an id without an order record keeps the cancel (journal damage lost the order)', () => {
    const book = buildOrderBook([]);
    const got = applyRecord(book, { type: 'cancel', id: ID, cancel: 'requested', at: AT });
    assert.equal(got.order, undefined);
    assert.equal(got.cancel?.state, 'requested');
  });
});

describe('SENEBI\'s answers to a cancel', () => {
  const response = (status: number, body: string): SenebiReply => ({ status, body });
  const failure = (fn: () => unknown): Record<string, unknown> => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return { code: err.code, ...(err.details ?? {}) };
    }
    assert.fail('no error');
  };

  test('200 cancelled, 409 matched / rejected, 404 ORDER_NOT_FOUND, with exact ids', () => {
    const cancelled = readCancelAnswer(response(200, `{"order": {"id": ${ID}, "status": "cancelled", "cancelledAt": "${AT}"}}`), ID);
    assert.deepEqual(cancelled, { kind: 'cancelled', senebi: { id: ID, status: 'cancelled', cancelledAt: AT } });
    assert.deepEqual(readCancelAnswer(response(409, `{"error": {"code": "ORDER_NOT_CANCELLABLE", "message": "x", "details": {"id": ${ID}, "status": "matched"}}}`), ID), { kind: 'not_cancellable', status: 'matched' });
    assert.deepEqual(readCancelAnswer(response(409, '{"error": {"code": "ORDER_NOT_CANCELLABLE", "message": "x", "details": {"status": "rejected"}}}'), ID), { kind: 'not_cancellable', status: 'rejected' });
    assert.deepEqual(readCancelAnswer(response(404, `{"error": {"code": "ORDER_NOT_FOUND", "message": "x", "details": {"id": ${ID}}}}`), ID), { kind: 'not_found' });
  });

  test('anything else is a failure with the cancel\'s delivery', () => {
    assert.equal(failure(() => readCancelAnswer(response(200, `{"order": {"id": ${ID}, "status": "accepted"}}`), ID))['delivery'], 'unknown', 'a 200 that is not cancelled');
    assert.equal(failure(() => readCancelAnswer(response(200, '{"order": {"id": 9999000000000000043, "status": "cancelled"}}'), ID))['delivery'], 'unknown', 'another id');
    assert.equal(failure(() => readCancelAnswer(response(404, '{"error": {"code": "NOT_FOUND", "message": "x"}}'), ID))['delivery'], 'unknown', 'a 404 that is not ORDER_NOT_FOUND');
    assert.equal(failure(() => readCancelAnswer(response(404, `{"error": {"code": "ORDER_NOT_FOUND", "message": "x", "details": {"id": 9999000000000000043}}}`), ID))['delivery'], 'unknown', 'about another id');
    assert.equal(failure(() => readCancelAnswer(response(409, '{"error": {"code": "ORDER_NOT_CANCELLABLE", "message": "x", "details": {"status": "weird"}}}'), ID))['delivery'], 'unknown');
    assert.equal(failure(() => readCancelAnswer(response(503, 'down'), ID))['delivery'], 'unknown');
    assert.equal(failure(() => readCancelAnswer(response(400, '{"error": {"code": "INVALID_REQUEST", "message": "x"}}'), ID))['delivery'], 'not_sent');
    assert.equal(failure(() => readCancelAnswer(response(200, 'not json'), ID))['delivery'], 'unknown');
  });
});

describe('the audit line of a cancel', () => {
  test('done, replayed, refused with the state, failed with the delivery', () => {
    assert.deepEqual(describeCancelOutcome({ orderId: ID, answer: { order: {} } }), { outcome: 'done', details: { orderId: ID, status: 'cancelled' } });
    assert.deepEqual(describeCancelOutcome({ orderId: ID, answer: { order: {} }, replayed: { originalTime: AT } }), { outcome: 'replayed', details: { orderId: ID, originalTime: AT, status: 'cancelled' } });
    const matched = new ApiError('ORDER_NOT_CANCELLABLE', 409, 'x', { id: ID, status: 'matched' });
    assert.deepEqual(describeCancelOutcome({ orderId: ID, error: matched }), { outcome: 'refused', code: 'ORDER_NOT_CANCELLABLE', details: { orderId: ID, status: 'matched' } });
    const timeout = new ApiError('SENEBI_TIMEOUT', 504, 'x', { delivery: 'unknown' });
    assert.deepEqual(describeCancelOutcome({ orderId: ID, error: timeout }), { outcome: 'failed', code: 'SENEBI_TIMEOUT', details: { orderId: ID, delivery: 'unknown' } });
  });
});

describe('an uncertain cancel reconciled at start (judgeCancelLookup)', () => {
  const senebi = { id: '9999000000000000042', cancelledAt: AT };
  test('cancelled settles it, matched refuses it for good, anything else proves nothing', () => {
    assert.deepEqual(judgeCancelLookup({ state: 'cancelled', senebi }), { kind: 'cancelled', senebi });
    assert.deepEqual(judgeCancelLookup({ state: 'matched', senebi }), { kind: 'matched' });
    // Resting: a cancel SENEBI holds may still commit, so the platform's retry resends it.
    assert.deepEqual(judgeCancelLookup({ state: 'accepted', senebi }), { kind: 'unknown', error: 'CANCEL_NOT_SEEN_AT_SENEBI' });
    assert.deepEqual(judgeCancelLookup({ state: 'rejected', senebi }), { kind: 'unknown', error: 'CANCEL_NOT_SEEN_AT_SENEBI' });
    assert.deepEqual(judgeCancelLookup(null), { kind: 'unknown', error: 'NOT_FOUND_AT_SENEBI' });
  });
});
