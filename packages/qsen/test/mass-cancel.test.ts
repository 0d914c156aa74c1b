/**
 * The kill switch's mass cancel (docs/qsen.md, "Pulling resting orders"): the selection of the
 * orders to pull with literal inputs and as a property, then runs over a real data folder with a
 * scripted cancel path: results, retries, the journal, the audit lines, a run interrupted half way
 * and resumed by a second instance (what a restart does), requests joining a run, orders in flight
 * at the start. The same path end to end with a real qsen process: test/system/kill-switch.test.ts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isInRange, toUint64, type IdRange, type Uint64, type AuditEntry } from '@qsen/core';
import { makeTempDir, ManualClock } from '@qsen/testkit';
import { MASS_CANCEL_FILE, openMassCancelLog, type MassCancelLog } from '../src/killswitch/mass-cancel-log.js';
import { createMassCancel, type CancelVerdict, type MassCancelDeps } from '../src/killswitch/mass-cancel.js';
import { selectOpenOrders, type JournaledOrder, type ListedOrder } from '../src/killswitch/open-orders.js';
import { createOrphanCancel, verdictOfOrphanCancel } from '../src/killswitch/orphans.js';
import { qsenErrors } from '../src/errors.js';

const RANGE: IdRange = { min: toUint64('9999000000000000000'), max: toUint64('9999999999999999999') };
const DAY = '2026-12-01';
const T0 = Date.parse('2026-12-01T14:00:00Z');
const id = (n: number): Uint64 => toUint64(`99990000000000${String(n).padStart(5, '0')}`);
const OUTSIDE = toUint64('1000000000000000001');
const journaled = (n: number, state: string, tradingDay = DAY, receivedAt = '2026-12-01T13:00:00.000Z'): JournaledOrder => ({ id: id(n), state, tradingDay, receivedAt });

test('selection: journal orders of the day not known closed and listed resting orders are pulled; matched is reported; out-of-range, closed and earlier days are left alone', () => {
  const journal = [journaled(1, 'accepted'), journaled(2, 'unknown'), journaled(3, 'rejected'), journaled(4, 'accepted', '2026-11-30'), journaled(5, 'accepted'), journaled(6, 'accepted'), journaled(7, 'not_sent'), journaled(8, 'cancelled')];
  const listing: ListedOrder[] = [
    { id: id(1), status: 'accepted' }, { id: id(5), status: 'matched' }, { id: id(6), status: 'cancelled' },
    { id: id(9), status: 'accepted' }, { id: id(10), status: 'matched' }, { id: OUTSIDE, status: 'accepted' }, { id: 'garbage', status: 'accepted' },
  ];
  // id(9) rests at SENEBI in the range but the journal does not know it: an orphan, in its own list.
  assert.deepEqual(selectOpenOrders(journal, listing, RANGE, DAY), { targets: [id(1), id(2)], alreadyMatched: [id(5)], orphans: [id(9)] });
  assert.deepEqual(selectOpenOrders(journal, undefined, RANGE, DAY), { targets: [id(1), id(2), id(5), id(6)], alreadyMatched: [], orphans: [] }, 'without a listing the journal alone chooses');
  // An order of an earlier day that SENEBI lists resting today is journaled: a target, not an orphan.
  assert.deepEqual(selectOpenOrders(journal, [{ id: id(4), status: 'accepted' }], RANGE, DAY).orphans, []);
});

test('selection (property): never an out-of-range id, every listed resting in-range order, nothing SENEBI lists as cancelled or rejected', () => {
  const status = fc.constantFrom('accepted', 'matched', 'cancelled', 'rejected', 'weird');
  const state = fc.constantFrom('received', 'sent', 'accepted', 'rejected', 'unknown', 'not_sent', 'cancelled', 'matched');
  const anyId = fc.oneof(fc.integer({ min: 0, max: 50 }).map(id), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => toUint64(b.toString())));
  fc.assert(fc.property(
    fc.array(fc.record({ id: anyId, state, day: fc.constantFrom(DAY, '2026-11-30') }), { maxLength: 40 }),
    fc.option(fc.array(fc.record({ id: anyId, status }), { maxLength: 40 }), { nil: undefined }),
    (journalRows, listing) => {
      const journal = journalRows.map((r) => ({ id: r.id, state: r.state, tradingDay: r.day, receivedAt: '2026-12-01T13:00:00.000Z' }));
      const { targets, alreadyMatched, orphans } = selectOpenOrders(journal, listing, RANGE, DAY);
      for (const t of [...targets, ...alreadyMatched, ...orphans]) assert.ok(isInRange(t, RANGE));
      assert.equal(new Set([...targets, ...alreadyMatched, ...orphans]).size, targets.length + alreadyMatched.length + orphans.length, 'no id twice');
      const known = new Set(journal.map((o) => o.id));
      for (const o of orphans) assert.ok(!known.has(o), 'an orphan is unknown to the journal');
      const last = new Map<string, string>();
      for (const o of listing ?? []) last.set(o.id, o.status);
      for (const [lid, s] of last) {
        if (!isInRange(lid as Uint64, RANGE)) continue;
        if (s === 'accepted') assert.ok(known.has(lid as Uint64) ? targets.includes(lid as Uint64) : orphans.includes(lid as Uint64));
        if (s === 'cancelled' || s === 'rejected') assert.ok(!targets.includes(lid as Uint64) && !orphans.includes(lid as Uint64));
      }
    },
  ));
});

interface Script {
  /** Verdicts per order id, one per call (the last repeats). */
  readonly verdicts: Map<Uint64, CancelVerdict[]>;
  readonly calls: Uint64[];
  /** Orphans cancelled straight at SENEBI. */
  readonly orphanCalls: Uint64[];
  /** Ids whose cancel never answers (a crash while they are in flight). */
  readonly hang: Set<Uint64>;
}

// Every mass-cancel log the tests open, closed at the end (an open FileHandle left to the
// garbage collector makes Node warn, and the warning lands in another test's output).
const openedLogs: MassCancelLog[] = [];
after(async () => {
  await Promise.all(openedLogs.map((log) => log.close()));
});

function makeDeps(dir: string, script: Script, overrides: Partial<MassCancelDeps> = {}): { deps: MassCancelDeps; audit: AuditEntry[]; journal: JournaledOrder[]; listing: ListedOrder[] } {
  const log = openMassCancelLog(dir);
  openedLogs.push(log);
  const audit: AuditEntry[] = [];
  const journal: JournaledOrder[] = [];
  const listing: ListedOrder[] = [];
  const deps: MassCancelDeps = {
    log,
    cancelOne: async (orderId) => {
      script.calls.push(orderId);
      if (script.hang.has(orderId)) return new Promise<CancelVerdict>(() => undefined);
      const list = script.verdicts.get(orderId) ?? [{ outcome: 'cancelled' }];
      return list.length > 1 ? list.shift()! : list[0]!;
    },
    cancelOrphan: async (orderId) => {
      script.orphanCalls.push(orderId);
      const list = script.verdicts.get(orderId) ?? [{ outcome: 'cancelled' }];
      return list.length > 1 ? list.shift()! : list[0]!;
    },
    listOrders: async () => listing,
    journalOrders: () => journal,
    inFlight: () => 0,
    range: RANGE,
    tradingDayOf: () => DAY,
    clock: new ManualClock(T0),
    audit: { record: (e) => audit.push(e) },
    retryDelayMs: () => 1,
    ...overrides,
  };
  return { deps, audit, journal, listing };
}

const newScript = (): Script => ({ verdicts: new Map(), calls: [], orphanCalls: [], hang: new Set() });

test('run: orphans (resting in the range at SENEBI, unknown to the journal) are cancelled straight at SENEBI and reported in their own list, never as failed; a failed orphan cancel is retried and shown there', async () => {
  const dir = makeTempDir('qsen-mass-cancel-orphans-');
  try {
    const script = newScript();
    script.verdicts.set(id(21), [{ outcome: 'failed', code: 'SENEBI_TIMEOUT', delivery: 'unknown', retryable: true }, { outcome: 'cancelled' }]);
    script.verdicts.set(id(22), [{ outcome: 'alreadyMatched' }]);
    script.verdicts.set(id(23), [{ outcome: 'failed', code: 'SENEBI_ERROR', delivery: 'unknown', retryable: true }]);
    const { deps, audit, journal, listing } = makeDeps(dir.path, script);
    journal.push(journaled(1, 'accepted'));
    listing.push({ id: id(1), status: 'accepted' }, { id: id(20), status: 'accepted' }, { id: id(21), status: 'accepted' }, { id: id(22), status: 'accepted' }, { id: id(23), status: 'accepted' }, { id: OUTSIDE, status: 'accepted' });
    const massCancel = createMassCancel(deps);
    const started = await massCancel.start({ by: 'CN=ops,OU=operator', channel: 'api', reason: 'drill' });
    assert.equal(started.total, 5);
    const report = await massCancel.settle(10_000);
    assert.ok(report);
    assert.equal(report.state, 'done');
    assert.deepEqual(report.cancelled, [id(1)]);
    assert.deepEqual(report.failed, [], 'failed is for the journal\'s orders');
    assert.deepEqual(report.alreadyMatched, []);
    assert.deepEqual(report.orphans, [
      { id: id(20), result: 'cancelled' }, { id: id(21), result: 'cancelled' }, { id: id(22), result: 'alreadyMatched' },
      { id: id(23), result: 'failed', code: 'SENEBI_ERROR', delivery: 'unknown' },
    ]);
    assert.deepEqual(script.calls, [id(1)], 'only the journaled order goes through the cancel path');
    assert.deepEqual([...new Set(script.orphanCalls)].sort(), [id(20), id(21), id(22), id(23)], 'never the out-of-range id');
    assert.equal(script.orphanCalls.filter((c) => c === id(23)).length, 3, 'retried as any SENEBI failure');
    const orphanAudit = audit.filter((e) => e.details?.['source'] === 'orphan');
    assert.equal(orphanAudit.length, 4);
    assert.ok(orphanAudit.every((e) => e.action === 'massCancel' && e.subject === 'CN=ops,OU=operator'));
    // The journal keeps them: a reader of the file (qsen-admin, a restart) sees the same list.
    const again = createMassCancel(makeDeps(dir.path, newScript()).deps);
    assert.deepEqual(again.report()?.orphans, report.orphans);
  } finally {
    dir.remove();
  }
});

test('run: an orphan without a result when the process died is cancelled by the resumed run', async () => {
  const dir = makeTempDir('qsen-mass-cancel-orphans-resume-');
  try {
    const script = newScript();
    const first = makeDeps(dir.path, script, { cancelOrphan: () => new Promise<CancelVerdict>(() => undefined) });
    first.listing.push({ id: id(30), status: 'accepted' });
    const dying = createMassCancel(first.deps);
    await dying.start({ by: 'CN=ops,OU=operator', channel: 'local', reason: null });
    const second = makeDeps(dir.path, script);
    const resumed = createMassCancel(second.deps);
    await resumed.resume();
    const report = await resumed.settle(10_000);
    assert.deepEqual(report?.orphans, [{ id: id(30), result: 'cancelled' }]);
    assert.equal(report?.state, 'done');
  } finally {
    dir.remove();
  }
});

test('run: each order ends cancelled, already matched, not open or failed (retryable failures retried); journaled and audited', async () => {
  const dir = makeTempDir('qsen-mass-cancel-');
  try {
    const script = newScript();
    script.verdicts.set(id(2), [{ outcome: 'failed', code: 'SENEBI_TIMEOUT', delivery: 'unknown', retryable: true }, { outcome: 'cancelled' }]);
    script.verdicts.set(id(3), [{ outcome: 'alreadyMatched' }]);
    script.verdicts.set(id(4), [{ outcome: 'failed', code: 'SENEBI_TIMEOUT', delivery: 'unknown', retryable: true }]);
    script.verdicts.set(id(6), [{ outcome: 'notOpen', status: 'rejected' }]);
    script.verdicts.set(id(7), [{ outcome: 'failed', code: 'JOURNAL_UNAVAILABLE', retryable: false }]);
    const { deps, audit, journal, listing } = makeDeps(dir.path, script);
    for (const n of [1, 2, 3, 4, 6, 7]) journal.push(journaled(n, 'accepted'));
    listing.push({ id: id(5), status: 'matched' }, { id: id(8), status: 'cancelled' }, { id: OUTSIDE, status: 'accepted' });
    journal.push(journaled(5, 'accepted'));
    const massCancel = createMassCancel(deps);
    const started = await massCancel.start({ by: 'CN=ops,OU=operator', channel: 'api', reason: 'drill', requestId: 'req-1' });
    assert.equal(started.total, 7);
    const report = await massCancel.settle(10_000);
    assert.ok(report);
    assert.equal(report.state, 'done');
    assert.deepEqual(report.cancelled, [id(1), id(2)]);
    assert.deepEqual(report.alreadyMatched.sort(), [id(3), id(5)]);
    assert.deepEqual(report.notOpen, [{ id: id(6), status: 'rejected' }]);
    assert.deepEqual(report.failed, [{ id: id(4), code: 'SENEBI_TIMEOUT', delivery: 'unknown' }, { id: id(7), code: 'JOURNAL_UNAVAILABLE' }]);
    assert.equal(report.pending, 0);
    assert.equal(script.calls.filter((c) => c === id(4)).length, 3, 'a retryable failure is tried three times');
    assert.equal(script.calls.filter((c) => c === id(7)).length, 1, 'a final failure is not retried');
    assert.ok(!script.calls.includes(id(5)), 'a listed match is not cancelled');
    assert.ok(!script.calls.includes(OUTSIDE) && !script.calls.includes(id(8)));
    const lines = readFileSync(join(dir.path, MASS_CANCEL_FILE), 'utf8').trim().split('\n');
    assert.equal(lines.length, 1 + 7 + 1, 'start, one result per order, end');
    assert.match(lines[0]!, /"type":"start"/);
    assert.match(lines.at(-1)!, /"type":"end"/);
    const mc = audit.filter((e) => e.action === 'massCancel');
    assert.deepEqual([mc[0]?.outcome, mc[0]?.requestId, mc.at(-1)?.outcome], ['accepted', 'req-1', 'done']);
    assert.deepEqual(mc.at(-1)?.details, { run: report.run, channel: 'api', cancelled: 2, alreadyMatched: 2, notOpen: 1, failed: 2, orphans: 0, orphansFailed: 0, resumed: 0 });
    const perOrder = mc.slice(1, -1).map((e) => [e.details?.['orderId'], e.outcome, e.code ?? null]).sort();
    assert.deepEqual(perOrder, [
      [id(1), 'done', null], [id(2), 'done', null], [id(3), 'refused', 'ORDER_NOT_CANCELLABLE'], [id(4), 'failed', 'SENEBI_TIMEOUT'],
      [id(5), 'refused', 'ORDER_NOT_CANCELLABLE'], [id(6), 'refused', 'ORDER_NOT_CANCELLABLE'], [id(7), 'failed', 'JOURNAL_UNAVAILABLE'],
    ]);
    assert.ok(mc.every((e) => e.subject === 'CN=ops,OU=operator'));
  } finally {
    dir.remove();
  }
});

test('run: interrupted half way (the process dies with cancels in flight), resumed by the next instance, which cancels only what has no result and finishes', async () => {
  const dir = makeTempDir('qsen-mass-cancel-');
  try {
    const script = newScript();
    for (const n of [4, 5, 6, 7, 8, 9, 10]) script.hang.add(id(n));
    const first = makeDeps(dir.path, script, { workers: 1 });
    for (let n = 1; n <= 10; n++) first.journal.push(journaled(n, 'accepted'));
    const crashed = createMassCancel(first.deps);
    const run = (await crashed.start({ by: 'local:ops', channel: 'local', reason: null })).run;
    const deadline = Date.now() + 10_000;
    // Three results on disk (a result only counts once its journal line is durable).
    while ((openMassCancelLog(dir.path).read()?.results.size ?? 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(crashed.report()?.state, 'running');
    // A new instance over the same folder is what qsen is after kill -9 and a restart.
    const again = newScript();
    const second = makeDeps(dir.path, again);
    second.journal.push(...first.journal);
    const resumedInstance = createMassCancel(second.deps);
    assert.ok(resumedInstance.knows(run), 'the journal tells the restarted node this run was already taken');
    assert.equal(resumedInstance.report()?.state, 'running');
    const resumed = await resumedInstance.resume();
    assert.equal(resumed?.run, run);
    const report = await resumedInstance.settle(10_000);
    assert.equal(report?.state, 'done');
    assert.equal(report?.resumed, 1);
    assert.deepEqual(report?.cancelled, Array.from({ length: 10 }, (_, i) => id(i + 1)));
    assert.deepEqual([...again.calls].sort(), [4, 5, 6, 7, 8, 9, 10].map(id), 'only the orders without a result are cancelled again');
    assert.equal(await createMassCancel(makeDeps(dir.path, newScript()).deps).resume(), undefined, 'a finished run is not resumed');
    assert.ok(second.audit.some((e) => e.action === 'massCancel' && e.details?.['resumed'] === true));
  } finally {
    dir.remove();
  }
});

test('run: a second request while a run is going joins it; a torn last line of the journal only re-cancels that order', async () => {
  const dir = makeTempDir('qsen-mass-cancel-');
  try {
    const script = newScript();
    const { deps, journal } = makeDeps(dir.path, script);
    for (let n = 1; n <= 5; n++) journal.push(journaled(n, 'accepted'));
    const massCancel = createMassCancel(deps);
    const [a, b] = await Promise.all([massCancel.start({ by: 'x', channel: 'api', reason: null }), massCancel.start({ by: 'y', channel: 'deadman', reason: null })]);
    assert.equal(a.run, b.run);
    await massCancel.settle(10_000);
    assert.equal(script.calls.length, 5, 'each order is cancelled once');
    const file = join(dir.path, MASS_CANCEL_FILE);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // Keep start and three results, tear the fourth: as if the process died while writing it.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${lines.slice(0, 4).join('\n')}\n${lines[4]!.slice(0, 20)}`);
    const again = newScript();
    const restarted = createMassCancel(makeDeps(dir.path, again, { journalOrders: () => journal }).deps);
    await restarted.resume();
    const report = await restarted.settle(10_000);
    assert.equal(report?.cancelled.length, 5);
    assert.equal(again.calls.length, 2, 'the two orders whose result was lost are cancelled again');
  } finally {
    dir.remove();
  }
});

test('run: sendOrders in flight at the start are waited for, and an order that still came in before the start is added at the end', async () => {
  const dir = makeTempDir('qsen-mass-cancel-');
  try {
    const script = newScript();
    let inFlight = 1;
    const clock = new ManualClock(T0);
    const { deps, journal } = makeDeps(dir.path, script, { inFlight: () => inFlight, clock, inFlightWaitMs: 60_000 });
    journal.push(journaled(1, 'accepted'));
    let late = false;
    script.verdicts.set(id(1), [{ outcome: 'cancelled' }]);
    const massCancel = createMassCancel({
      ...deps,
      cancelOne: async (orderId) => {
        // While the first cancel runs, the order that was in flight is journaled as accepted.
        if (!late) {
          late = true;
          journal.push(journaled(2, 'accepted', DAY, new Date(T0 - 1).toISOString()), journaled(3, 'accepted', DAY, new Date(T0 + 60_000).toISOString()));
        }
        return deps.cancelOne(orderId);
      },
    });
    const starting = massCancel.start({ by: 'x', channel: 'api', reason: null });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(massCancel.report(), undefined, 'the set is not chosen while a sendOrder is in flight');
    inFlight = 0;
    await starting;
    const report = await massCancel.settle(10_000);
    assert.deepEqual(report?.cancelled, [id(1), id(2)], 'the late order received before the start is pulled; one received after it (trading resumed) is not');
    assert.match(readFileSync(join(dir.path, MASS_CANCEL_FILE), 'utf8'), /"type":"extend"/);
  } finally {
    dir.remove();
  }
});

test('run: SENEBI\'s listing unreadable: the journal alone chooses, and the report says so', async () => {
  const dir = makeTempDir('qsen-mass-cancel-');
  try {
    const script = newScript();
    const { deps, journal } = makeDeps(dir.path, script, { listOrders: async () => { throw new Error('SENEBI_TIMEOUT'); } });
    journal.push(journaled(1, 'accepted'), journaled(2, 'sent'));
    const massCancel = createMassCancel(deps);
    await massCancel.start({ by: 'x', channel: 'api', reason: null });
    const report = await massCancel.settle(10_000);
    assert.equal(report?.listing, 'unavailable');
    assert.deepEqual(report?.cancelled, [id(1), id(2)]);
  } finally {
    dir.remove();
  }
});

test('run: stopped for a graceful shutdown, it records nothing more and is resumed by the next instance', async () => {
  const dir = makeTempDir('qsen-mass-cancel-');
  try {
    const script = newScript();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const first = makeDeps(dir.path, script, {
      workers: 1,
      cancelOne: async (orderId) => {
        script.calls.push(orderId);
        if (orderId === id(2)) await gate;
        return { outcome: 'cancelled' };
      },
    });
    for (let n = 1; n <= 4; n++) first.journal.push(journaled(n, 'accepted'));
    const massCancel = createMassCancel(first.deps);
    await massCancel.start({ by: 'x', channel: 'api', reason: null });
    const deadline = Date.now() + 10_000;
    while (!script.calls.includes(id(2)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const stopping = massCancel.stop();
    release();
    await stopping;
    assert.deepEqual(massCancel.report()?.cancelled, [id(1)], 'the answer seen while stopping is not kept');
    assert.equal(script.calls.length, 2, 'no cancel starts after stop');
    await assert.rejects(massCancel.start({ by: 'y', channel: 'api', reason: null }));
    const next = makeDeps(dir.path, newScript());
    next.journal.push(...first.journal);
    const resumed = createMassCancel(next.deps);
    await resumed.resume();
    assert.deepEqual((await resumed.settle(10_000))?.cancelled, [id(1), id(2), id(3), id(4)]);
  } finally {
    dir.remove();
  }
});

test('verdictOfCancel: the cancel desk\'s outcomes read as cancelled, already matched, not open or failed (retryable or not)', async () => {
  const { verdictOfCancel } = await import('../src/killswitch/cancel-verdict.js');
  const { qsenErrors } = await import('../src/errors.js');
  const err = (code: Parameters<typeof qsenErrors.create>[0], details?: Record<string, unknown>) => ({ orderId: id(1), error: qsenErrors.create(code, undefined, details) });
  assert.deepEqual(verdictOfCancel({ orderId: id(1), answer: { order: {} } }), { outcome: 'cancelled' });
  assert.deepEqual(verdictOfCancel(err('ORDER_NOT_CANCELLABLE', { id: id(1), status: 'matched' })), { outcome: 'alreadyMatched' });
  assert.deepEqual(verdictOfCancel(err('ORDER_NOT_CANCELLABLE', { id: id(1), status: 'rejected' })), { outcome: 'notOpen', status: 'rejected' });
  assert.deepEqual(verdictOfCancel(err('ORDER_NOT_FOUND')), { outcome: 'failed', code: 'ORDER_NOT_FOUND', retryable: false });
  assert.deepEqual(verdictOfCancel(err('SENEBI_TIMEOUT', { delivery: 'unknown' })), { outcome: 'failed', code: 'SENEBI_TIMEOUT', delivery: 'unknown', retryable: true });
  assert.deepEqual(verdictOfCancel(err('ORDER_DELIVERY_UNKNOWN')), { outcome: 'failed', code: 'ORDER_DELIVERY_UNKNOWN', delivery: 'unknown', retryable: true });
  assert.deepEqual(verdictOfCancel(err('MARKET_CLOSED')), { outcome: 'failed', code: 'MARKET_CLOSED', retryable: false });
  assert.deepEqual(verdictOfCancel({ orderId: id(1), error: new Error('boom') }), { outcome: 'failed', code: 'INTERNAL_ERROR', retryable: true });
});

test('orphan cancel: SENEBI\'s answers read as cancelled, already matched or not open; failures keep their delivery; an id outside the range is never sent', async () => {
  assert.deepEqual(verdictOfOrphanCancel({ answer: { kind: 'cancelled', senebi: {} } }), { outcome: 'cancelled' });
  assert.deepEqual(verdictOfOrphanCancel({ answer: { kind: 'not_cancellable', status: 'matched' } }), { outcome: 'alreadyMatched' });
  assert.deepEqual(verdictOfOrphanCancel({ answer: { kind: 'not_cancellable', status: 'rejected' } }), { outcome: 'notOpen', status: 'rejected' });
  assert.deepEqual(verdictOfOrphanCancel({ answer: { kind: 'not_found' } }), { outcome: 'notOpen', status: 'not_found' });
  assert.deepEqual(verdictOfOrphanCancel({ error: qsenErrors.create('SENEBI_TIMEOUT', undefined, { delivery: 'unknown' }) }), { outcome: 'failed', code: 'SENEBI_TIMEOUT', delivery: 'unknown', retryable: true });
  assert.deepEqual(verdictOfOrphanCancel({ error: new Error('boom') }), { outcome: 'failed', code: 'INTERNAL_ERROR', retryable: false });
  const sent: Uint64[] = [];
  const cancel = createOrphanCancel({ range: RANGE, cancelOrder: async (orderId) => { sent.push(orderId); return { kind: 'cancelled', senebi: {} }; } });
  assert.deepEqual(await cancel(OUTSIDE), { outcome: 'failed', code: 'ID_OUT_OF_RANGE', retryable: false });
  assert.deepEqual(await cancel(id(1)), { outcome: 'cancelled' });
  assert.deepEqual(sent, [id(1)], 'only the in-range id reached SENEBI');
});
