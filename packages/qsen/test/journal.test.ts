import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { toUint64 } from '@qsen/core';
import { makeTempDir } from '@qsen/testkit';
import { JournalCorruptError, openJournal } from '../src/journal/journal.js';
import { decodeRecord, encodeRecord, type JournalRecord } from '../src/journal/records.js';
import { buildOrderBook } from './support/book.js';
import type { OrderContent } from '../src/orders/order.js';

function order(n: number): OrderContent {
  return { id: toUint64(`99990000000000${String(n).padStart(5, '0')}`), instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.5', currency: 'ARS', settlement: 'T1', counterparty: '210' };
}

function orderRecord(n: number): JournalRecord {
  const o = order(n);
  return { type: 'order', id: o.id, order: o, at: '2026-11-20T14:00:00.000Z' };
}

test('concurrent durable appends share fsyncs (group commit) and all come back after reopening', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const { journal } = await openJournal(file);
    await Promise.all(Array.from({ length: 500 }, (_, i) => journal.appendDurable(orderRecord(i))));
    const figures = journal.figures();
    assert.equal(figures.records, 500);
    assert.ok(figures.flushes < 50, `500 concurrent records took ${figures.flushes} fsyncs`);
    await journal.close();
    const reopened = await openJournal(file);
    assert.equal(reopened.records.length, 500);
    assert.equal(reopened.tornBytes, 0);
    assert.equal(reopened.records[499]?.id, '9999000000000000499');
    await reopened.journal.close();
  } finally {
    dir.remove();
  }
});

test('a torn last record is detected, cut off, and the journal appends cleanly after it', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const good = Buffer.concat([encodeRecord(orderRecord(1)), encodeRecord({ type: 'state', id: order(1).id, state: 'sent', at: 'x' })]);
    const torn = encodeRecord(orderRecord(2)).subarray(0, 40);
    writeFileSync(file, Buffer.concat([good, torn]));
    const { journal, records, tornBytes } = await openJournal(file);
    assert.equal(tornBytes, 40);
    assert.equal(records.length, 2);
    assert.equal(statSync(file).size, good.length);
    await journal.appendDurable(orderRecord(3));
    await journal.close();
    const again = await openJournal(file);
    assert.deepEqual(again.records.map((r) => r.id), [order(1).id, order(1).id, order(3).id]);
    assert.equal(buildOrderBook(again.records).get(order(1).id)?.state, 'sent');
    await again.journal.close();
  } finally {
    dir.remove();
  }
});

test('a complete last line with a bad checksum counts as torn too', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    writeFileSync(file, encodeRecord(orderRecord(1)));
    const bad = encodeRecord(orderRecord(2)).toString('utf8').replace('AL30', 'AL31');
    appendFileSync(file, bad);
    const { journal, records, tornBytes } = await openJournal(file);
    assert.equal(records.length, 1);
    assert.equal(tornBytes, Buffer.byteLength(bad));
    await journal.close();
  } finally {
    dir.remove();
  }
});

test('damage before the last record that leaves no order id readable refuses to open, naming the line', async () => {
  const dir = makeTempDir();
  try {
    const file = join(dir.path, 'journal.log');
    const bad = encodeRecord(orderRecord(1)).toString('utf8').replace('AL30', 'XX30').replace(/"id":"/g, '"i\u0000":"');
    writeFileSync(file, bad + encodeRecord(orderRecord(2)).toString('utf8'));
    await assert.rejects(openJournal(file), (err: unknown) => err instanceof JournalCorruptError && err.lines.join() === '1');
    assert.ok(readFileSync(file, 'utf8').includes('XX30'), 'the damaged file is left untouched');
  } finally {
    dir.remove();
  }
});

test('a record line is "<crc32 of the JSON, 8 lower-case hex digits> <JSON>\\n", whatever the text (multi-byte and escaped characters too), and decodes back', () => {
  const text = fc.string({ unit: 'binary', maxLength: 40 });
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), text, text, (id, instrument, error) => {
    const record: JournalRecord = { type: 'state', id: toUint64(id.toString()), state: 'unknown', error, senebi: { instrument, n: '1' }, at: '2026-11-20T14:00:00.000Z' };
    const json = JSON.stringify(record);
    const line = encodeRecord(record);
    assert.equal(line.toString('utf8'), `${crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0')} ${json}\n`);
    assert.deepEqual(decodeRecord(line.subarray(0, line.length - 1).toString('utf8')), record);
  }), { numRuns: 500 });
});

test('flush() and a durable append never have two fdatasyncs in flight on the journal (docs/qsen.md "Durability")', async () => {
  const dir = makeTempDir();
  const { open } = await import('node:fs/promises');
  const probe = await open(join(dir.path, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
  await probe.close();
  const original = proto.datasync;
  let inFlight = 0;
  let most = 0;
  proto.datasync = async function (this: unknown) {
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      // A slow disk: the window in which a second call could start.
      await new Promise((resolve) => setTimeout(resolve, 30));
      return await original.call(this);
    } finally {
      inFlight--;
    }
  };
  try {
    const { journal } = await openJournal(join(dir.path, 'journal.log'));
    await journal.appendDurable(orderRecord(1));
    most = 0;
    const flushed = journal.flush();
    await new Promise((resolve) => setTimeout(resolve, 5)); // flush's own fdatasync has started
    await Promise.all([flushed, journal.appendDurable(orderRecord(2)), journal.appendDurable(orderRecord(3))]);
    assert.equal(most, 1, 'one fdatasync at a time: with two, a writeback error reaches only one of them');
    await journal.close();
    const reopened = await openJournal(join(dir.path, 'journal.log'));
    assert.deepEqual(reopened.records.map((r) => r.id), [order(1).id, order(2).id, order(3).id]);
    await reopened.journal.close();
  } finally {
    proto.datasync = original;
    dir.remove();
  }
});
