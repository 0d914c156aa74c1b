// The compact order book answers exactly as the book of full objects (docs/qsen.md, "Memory"):
// two qsen desks, one over the default book (settled entries compacted) and one over the
// reference book (every entry an object, the unbounded behaviour), each with its own real journal
// file, take the same long random sequence of sends, identical and conflicting retries, cancels,
// SENEBI-side matches, SENEBI faults (timeouts after the order arrived, failures before it did,
// failed reads) and restarts that replay the journal. Every answer (its bytes as the platform
// gets them, replay flag included) and, at the end, every entry of both books must be the same.
// SENEBI is an in-process stand-in at the SENEBI boundary (the fault schedule must be identical
// for both desks, which a network simulator cannot promise).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiError, parseJsonLossless, type IdRange, type Uint64 } from '@qsen/core';
import { makeTempDir, ManualClock } from '@qsen/testkit';
import { qsenErrors } from '../src/errors.js';
import { openJournal, type Journal } from '../src/journal/journal.js';
import { applyRecord, createOrderBook, describeEntry, markDamage, type OrderBook, type OrderBookOptions, type OrderEntry } from '../src/orders/book.js';
import { recoverOrderBook } from './support/book.js';
import { encodeRecord, type JournalRecord } from '../src/journal/records.js';
import { createCancelDesk, type CancelDesk } from '../src/orders/cancel.js';
import { createOrderDesk, type OrderDesk } from '../src/orders/desk.js';
import { fenceOrderAnswer } from '../src/orders/listings.js';
import type { OrderContent } from '../src/orders/order.js';
import type { CancelAnswer, PlaceAnswer, PlacedOrder, SenebiClient } from '../src/senebi/client.js';
import type { WireObject } from '../src/senebi/wire.js';

const RANGE: IdRange = { min: '9999000000000000000' as Uint64, max: '9999000000000000999' as Uint64 };
const START_MS = Date.parse('2026-12-01T14:00:00.000Z');
const idOf = (n: number): Uint64 => (9999000000000000000n + BigInt(n)).toString() as Uint64;

/** What SENEBI does on one call (taken in turn from the schedule, the same for both desks). */
type Fault = 'ok' | 'reject' | 'timeout_after' | 'fail_before' | 'read_fails';

/** A SENEBI stand-in: holds orders by id, answers as the real one does (duplicate ids, idempotent cancels). */
function createSenebiStandIn(schedule: readonly Fault[], clock: ManualClock): Pick<SenebiClient, 'placeOrder' | 'getOrder' | 'cancelOrder'> & { match(id: Uint64): void } {
  const held = new Map<Uint64, WireObject>();
  let call = 0;
  const next = (): Fault => schedule[call++ % schedule.length] ?? 'ok';
  const iso = (): string => new Date(clock.now()).toISOString();
  const timeout = (operation: string): ApiError => qsenErrors.create('SENEBI_TIMEOUT', undefined, { operation, delivery: 'unknown' });
  const notSent = (operation: string): ApiError => qsenErrors.create('SENEBI_ERROR', undefined, { operation, delivery: 'not_sent' });
  const placed = (record: WireObject): PlacedOrder => ({ status: record['status'] === 'rejected' ? 'rejected' : 'accepted', state: record['status'] as PlacedOrder['state'], senebi: { ...record } });
  return {
    async placeOrder(order: OrderContent): Promise<PlaceAnswer> {
      const fault = next();
      if (fault === 'fail_before') throw notSent('placeOrder');
      const existing = held.get(order.id);
      if (existing) return { kind: 'duplicate', senebi: { id: order.id, status: 'rejected', reason: 'duplicate order id' } };
      // SENEBI writes the price its own way (trailing zero) and adds fields of its own: the echo is not the order.
      const record: WireObject = { ...order, price: `${order.price}0`, status: fault === 'reject' ? 'rejected' : 'accepted', time: iso(), tradeDate: iso().slice(0, 10), origin: 'agent', ...(fault === 'reject' ? { reason: 'price band' } : {}) };
      held.set(order.id, record);
      if (fault === 'timeout_after') throw timeout('placeOrder');
      return { kind: 'placed', ...placed(record) };
    },
    async getOrder(id: Uint64): Promise<PlacedOrder | null> {
      const fault = next();
      if (fault === 'read_fails' || fault === 'timeout_after') throw timeout('getOrder');
      const record = held.get(id);
      return record ? placed(record) : null;
    },
    async cancelOrder(id: Uint64): Promise<CancelAnswer> {
      const fault = next();
      if (fault === 'fail_before') throw notSent('cancelOrder');
      const record = held.get(id);
      if (!record) return { kind: 'not_found' };
      if (record['status'] === 'rejected' || record['status'] === 'matched') return { kind: 'not_cancellable', status: record['status'] };
      if (record['status'] === 'accepted') held.set(id, { ...record, status: 'cancelled', cancelledAt: iso() });
      if (fault === 'timeout_after') throw timeout('cancelOrder');
      return { kind: 'cancelled', senebi: { ...(held.get(id) as WireObject) } };
    },
    match(id) {
      const record = held.get(id);
      if (record?.['status'] === 'accepted') held.set(id, { ...record, status: 'matched', matchedAt: iso() });
    },
  };
}

/** One step of the sequence. */
type Step =
  | { readonly kind: 'send'; readonly n: number; readonly variant: number }
  | { readonly kind: 'cancel'; readonly n: number }
  | { readonly kind: 'match'; readonly n: number }
  | { readonly kind: 'restart' };

/** A qsen desk pair over one journal file and one kind of book. */
interface System {
  readonly clock: ManualClock;
  readonly senebi: ReturnType<typeof createSenebiStandIn>;
  journal: Journal;
  book: OrderBook;
  desk: OrderDesk;
  cancels: CancelDesk;
}

const orderBody = (n: number, variant: number): Record<string, unknown> => ({
  id: idOf(n), instrument: variant === 2 ? 'GD30' : 'AL30', side: n % 2 === 0 ? 'buy' : 'sell', quantity: String(100 + n), price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '210',
});

async function openSystem(file: string, options: OrderBookOptions, system?: Pick<System, 'clock' | 'senebi'>, schedule: readonly Fault[] = ['ok']): Promise<System> {
  const clock = system?.clock ?? new ManualClock(START_MS);
  const senebi = system?.senebi ?? createSenebiStandIn(schedule, clock);
  const opened = await openJournal(file, { clock });
  const book = recoverOrderBook(opened, new Date(clock.now()).toISOString(), options);
  const common = { journal: opened.journal, book, senebi, range: RANGE, isMarketOpen: () => true, clock, reconcileWaitMs: 5000, retryDelayMs: () => 1 };
  const desk = createOrderDesk({ ...common, killSwitch: { isHalted: () => false }, recordReadMs: 0 });
  const cancels = createCancelDesk({ ...common, desk });
  await Promise.all([desk.reconcile(), cancels.reconcile()]);
  return { clock, senebi, journal: opened.journal, book, desk, cancels };
}

async function closeSystem(system: System): Promise<void> {
  await system.desk.drain();
  await system.cancels.drain();
  system.desk.stop();
  await system.journal.close();
}

/** The answer as the platform sees it: the fenced body's bytes or the error's code and details, and the replay mark. */
function answerOf(outcome: { answer?: { order: WireObject }; error?: unknown; replayed?: unknown }): string {
  if (outcome.answer) return JSON.stringify({ order: fenceOrderAnswer(outcome.answer.order, RANGE), replayed: outcome.replayed ?? null });
  const err = outcome.error;
  return err instanceof ApiError ? JSON.stringify({ code: err.code, details: err.details ?? null, replayed: outcome.replayed ?? null }) : `non-API error: ${String(err)}`;
}

async function runStep(system: System, file: string, options: OrderBookOptions, step: Step): Promise<string> {
  system.clock.set(system.clock.now() + 7);
  switch (step.kind) {
    case 'send':
      // The body goes through lossless JSON as a request body does.
      return answerOf(await system.desk.sendOrder(parseJsonLossless(JSON.stringify(orderBody(step.n, step.variant)))));
    case 'cancel':
      return answerOf(await system.cancels.cancelOrder(parseJsonLossless(JSON.stringify({ id: idOf(step.n) }))));
    case 'match':
      system.senebi.match(idOf(step.n));
      return 'matched at SENEBI';
    case 'restart': {
      await closeSystem(system);
      Object.assign(system, await openSystem(file, options, system));
      return `restarted with ${system.book.size} orders`;
    }
  }
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('send' as const), n: fc.integer({ min: 0, max: 11 }), variant: fc.constantFrom(0, 0, 0, 2) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), n: fc.integer({ min: 0, max: 13 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('match' as const), n: fc.integer({ min: 0, max: 11 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);
const faultArb: fc.Arbitrary<Fault> = fc.constantFrom<Fault>('ok', 'ok', 'ok', 'ok', 'reject', 'timeout_after', 'fail_before', 'read_fails');

describe('the compact order book', () => {
  test('answers every send, retry, cancel and restart-replay exactly as the book of full objects', async () => {
    const dir = makeTempDir('qsen-book-bounded-');
    let run = 0;
    let compacted = 0;
    let replays = 0;
    try {
      await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 60 }), fc.array(faultArb, { minLength: 1, maxLength: 12 }), async (steps, faults) => {
        run += 1;
        const schedule: Fault[] = [...faults, 'ok'];
        const files = { compact: join(dir.path, `compact-${run}.log`), objects: join(dir.path, `objects-${run}.log`) };
        const compact = await openSystem(files.compact, {}, undefined, schedule);
        const objects = await openSystem(files.objects, { compactSettled: false }, undefined, schedule);
        try {
          for (const [i, step] of steps.entries()) {
            const got = await runStep(compact, files.compact, {}, step);
            const want = await runStep(objects, files.objects, { compactSettled: false }, step);
            assert.equal(got, want, `step ${i} (${JSON.stringify(step)}) answers differently`);
            if (got.includes('"replayed":{')) replays += 1;
          }
          assert.deepEqual([...compact.book.keys()], [...objects.book.keys()], 'the same ids in the same order');
          for (const [id, entry] of objects.book) {
            assert.deepEqual(compact.book.get(id), entry, `entry ${id}`);
            assert.equal(JSON.stringify(describeEntry(compact.book.get(id) ?? entry)), JSON.stringify(describeEntry(entry)));
          }
          assert.equal(objects.book.settledCount(), 0, 'the reference keeps objects only');
          // Every uncertain order or cancel is among the unsettled entries start-up reconciliation reads.
          const uncertain = (entries: Iterable<[Uint64, OrderEntry]>): Uint64[] => [...entries].filter(([, e]) => ['received', 'sent', 'unknown'].includes(e.state) || ['requested', 'unknown'].includes(e.cancel?.state ?? '')).map(([id]) => id);
          assert.deepEqual(uncertain(compact.book.unsettled()), uncertain(objects.book));
          compacted += compact.book.settledCount();
        } finally {
          await closeSystem(compact);
          await closeSystem(objects);
        }
      }), { numRuns: 40 });
      // The property is not vacuous: settled entries were compacted and replays answered from them.
      assert.ok(compacted > 40, `compacted entries over all runs: ${compacted}`);
      assert.ok(replays > 40, `replayed answers over all runs: ${replays}`);
    } finally {
      dir.remove();
    }
  });
});

describe('the start-up replay', () => {
  test('streaming the journal into the book (qsen\'s start) gives the book of the collected records, damage included', async () => {
    const dir = makeTempDir('qsen-book-stream-');
    try {
      const records: JournalRecord[] = [];
      for (let n = 0; n < 30; n += 1) {
        const order = { id: idOf(n), instrument: 'AL30', side: 'buy', quantity: String(n + 1), price: '1', currency: 'ARS', settlement: 'T0', counterparty: '7' } as OrderContent;
        records.push({ type: 'order', id: order.id, order, at: new Date(START_MS + n).toISOString() });
        if (n % 3 !== 2) records.push({ type: 'state', id: order.id, state: n % 5 === 0 ? 'rejected' : 'accepted', senebi: { id: order.id, status: 'accepted' }, at: new Date(START_MS + n + 1).toISOString() });
        if (n % 4 === 0) records.push({ type: 'cancel', id: order.id, cancel: n % 8 === 0 ? 'cancelled' : 'requested', at: new Date(START_MS + n + 2).toISOString() });
      }
      const lines = records.map((r) => encodeRecord(r).toString('utf8'));
      // A damaged line in the middle that still shows its id, and a torn last record.
      lines[10] = (lines[10] ?? '').replace(/^[0-9a-f]{8}/, '00000000');
      const torn = encodeRecord({ type: 'state', id: idOf(29), state: 'sent', at: new Date(START_MS + 99).toISOString() }).toString('utf8').slice(0, -12);
      const file = join(dir.path, 'a.log');
      writeFileSync(file, lines.join('') + torn);
      copyFileSync(file, join(dir.path, 'b.log'));
      const collected = await openJournal(file);
      const streamedBook = createOrderBook();
      let seen = 0;
      const streamed = await openJournal(join(dir.path, 'b.log'), { onRecord: (record) => { seen += 1; applyRecord(streamedBook, record); } });
      assert.equal(streamed.records.length, 0, 'records went to the sink only');
      assert.equal(seen, collected.records.length);
      assert.ok(collected.damaged.length === 1 && collected.tornIds.length === 1, 'the journal has both kinds of damage');
      markDamage(streamedBook, streamed, new Date(START_MS).toISOString());
      const reference = recoverOrderBook(collected, new Date(START_MS).toISOString(), { compactSettled: false });
      assert.deepEqual([...streamedBook], [...reference]);
      assert.ok(streamedBook.settledCount() > 0);
      await collected.journal.close();
      await streamed.journal.close();
    } finally {
      dir.remove();
    }
  });
});
