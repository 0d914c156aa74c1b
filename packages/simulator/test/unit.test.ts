// Pure parts of the simulator with literal inputs: PRNG, trade dates, order validation, fault
// decisions, seeding, id allocation, settings, state format, command line, error registry.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LosslessNumber, parseJsonLossless, toUint64, ApiError, type Uint64 } from '@qsen/core';
import { makeTempDir } from '@qsen/testkit';
import {
  createPrng, tradeDateOf, isTradeDate, previousDate, validateOrder, LISTED_SYMBOLS, createFaultEngine, isSelected,
  seedIdCandidates, planSeededBusiness, createSimulatorStore, createSimulatorCounters, parseSimulatorSettings, DEFAULT_SETTINGS,
  parseState, renderState, parseChangeLine, renderChangeLine, parseArgs, simulatorErrors, createStateStorage, createSimulator, parseFaultSettings, isSameAgentCode, portOfSenebiUrl,
} from '../src/index.js';
import { instantOfLocalTime } from '../src/trade-date/trade-date.js';
import { allocateOutsideId } from '../src/business/ids.js';
import { buildOrderRecord } from '../src/records/order-record.js';
import { createIdSequencer } from '../src/records/sequencer.js';

const RANGE = { min: toUint64('9999000000000000000'), max: toUint64('9999999999999999999') };
const fixedClock = (iso: string) => ({ now: (): number => Date.parse(iso) });
const lossless = (text: string): unknown => parseJsonLossless(text);

describe('PRNG', () => {
  test('the same seed gives the same sequence, another seed another', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const seqA = Array.from({ length: 8 }, () => a.next());
    assert.deepEqual(seqA, Array.from({ length: 8 }, () => b.next()));
    assert.notDeepEqual(seqA, Array.from({ length: 8 }, () => c.next()));
    for (const x of seqA) assert.ok(x >= 0 && x < 1);
  });
});

describe('trade dates', () => {
  test('the trade date is the Buenos Aires calendar date', () => {
    assert.equal(tradeDateOf(new Date('2026-03-10T02:30:00Z')), '2026-03-09');
    assert.equal(tradeDateOf(new Date('2026-03-10T03:00:00Z')), '2026-03-10');
    assert.equal(instantOfLocalTime('2026-03-10', 11 * 3600).toISOString(), '2026-03-10T14:00:00.000Z');
  });
  test('dates are validated and stepped back exactly', () => {
    assert.equal(isTradeDate('2024-02-29'), true);
    assert.equal(isTradeDate('2026-02-29'), false);
    assert.equal(isTradeDate('2026-3-1'), false);
    assert.equal(previousDate('2026-03-01'), '2026-02-28');
    assert.equal(previousDate('2026-01-01'), '2025-12-31');
  });
});

describe('order validation', () => {
  const base = '"instrument": "AL30", "side": "buy", "quantity": "1000", "price": "1234.50", "currency": "ARS", "settlement": "T1", "counterparty": "210"';
  test('a complete order is valid and keeps its texts exactly', () => {
    const result = validateOrder(lossless(`{"id": 18446744073709551615, ${base}}`), LISTED_SYMBOLS);
    assert.equal(result.kind, 'valid');
    assert.equal(result.kind === 'valid' && result.id, '18446744073709551615');
    assert.equal(result.kind === 'valid' && result.fields.price, '1234.50');
  });
  test('no readable id is an invalid request, not a rejection', () => {
    assert.equal(validateOrder(lossless(`{${base}}`), LISTED_SYMBOLS).kind, 'invalid_request');
    assert.equal(validateOrder(lossless('[1]'), LISTED_SYMBOLS).kind, 'invalid_request');
    assert.equal(validateOrder(lossless(`{"id": 1.5, ${base}}`), LISTED_SYMBOLS).kind, 'invalid_request');
  });
  test('each bad field rejects with its reason', () => {
    const body = (fields: Record<string, unknown>): unknown => lossless(JSON.stringify({ id: '5', instrument: 'AL30', side: 'buy', quantity: '1000', price: '1.5', currency: 'USD', settlement: 'T0', counterparty: '7', ...fields }));
    const reason = (fields: Record<string, unknown>): string => {
      const result = validateOrder(body(fields), LISTED_SYMBOLS);
      return result.kind === 'rejected' ? result.reason : result.kind;
    };
    assert.equal(reason({}), 'valid');
    assert.match(reason({ instrument: 'XX1' }), /unknown instrument/);
    assert.match(reason({ instrument: 'AL30-X' }), /invalid instrument/);
    assert.match(reason({ quantity: '-5' }), /invalid quantity/);
    assert.match(reason({ quantity: '0100' }), /invalid quantity/);
    assert.match(reason({ price: '0' }), /invalid price/);
    assert.match(reason({ price: '1e3' }), /invalid price/);
    assert.match(reason({ price: '10.1234567' }), /invalid price/);
    assert.equal(reason({ price: '0.000001' }), 'valid');
    assert.match(reason({ currency: 'ars' }), /invalid currency/);
    assert.match(reason({ settlement: 'CI' }), /invalid settlement/);
    assert.match(reason({ counterparty: '' }), /invalid counterparty/);
    assert.match(reason({ counterparty: undefined }), /missing field "counterparty"/);
    assert.match(reason({ extra: 1 }), /unknown field "extra"/);
    assert.match(reason({ side: 'BUY' }), /invalid side/);
  });
  test('agent codes compare as numbers', () => {
    assert.equal(isSameAgentCode('210', '0210'), true);
    assert.equal(isSameAgentCode('210', '21'), false);
  });
});

describe('fault engine', () => {
  test('path filters select by prefix and optional method; default is every /senebi/ path', () => {
    assert.equal(isSelected(undefined, 'GET', '/senebi/v1/ping'), true);
    assert.equal(isSelected(undefined, 'GET', '/admin/v1/counters'), false);
    assert.equal(isSelected(['POST /senebi/v1/orders'], 'POST', '/senebi/v1/orders'), true);
    assert.equal(isSelected(['POST /senebi/v1/orders'], 'GET', '/senebi/v1/orders'), false);
    assert.equal(isSelected(['/senebi/v1/orders'], 'GET', '/senebi/v1/orders/12'), true);
  });
  test('decisions replay for the same seed; latency stays within fixed + jitter', () => {
    const settings = parseFaultSettings({ seed: 9, latency: { probability: 1, fixed_ms: 10, jitter_ms: 5 }, http_5xx: { probability: 0.3 }, reset: { probability: 0.3 } });
    assert.ok(settings.ok);
    const run = (): string[] => {
      const engine = createFaultEngine(settings.value);
      return Array.from({ length: 30 }, () => {
        const d = engine.decide('GET', '/senebi/v1/ping');
        assert.ok(d.delayMs >= 10 && d.delayMs <= 15);
        return `${d.delayMs}:${d.outcome ?? '-'}`;
      });
    };
    assert.deepEqual(run(), run());
  });
  test('slow_answer is drawn after latency, within its fixed + jitter, only on its paths', () => {
    const settings = parseFaultSettings({ seed: 4, latency: { probability: 1, fixed_ms: 5 }, slow_answer: { probability: 1, fixed_ms: 100, jitter_ms: 20, paths: ['POST /senebi/v1/orders'] } });
    assert.ok(settings.ok);
    const engine = createFaultEngine(settings.value);
    for (let i = 0; i < 20; i++) {
      const d = engine.decide('POST', '/senebi/v1/orders');
      assert.equal(d.delayMs, 5);
      assert.ok(d.answerDelayMs >= 100 && d.answerDelayMs <= 120, String(d.answerDelayMs));
    }
    assert.deepEqual(engine.decide('GET', '/senebi/v1/ping'), { delayMs: 5, processMs: 0, answerDelayMs: 0 });
  });
  test('processing is drawn only for order submissions', () => {
    const settings = parseFaultSettings({ processing: { probability: 1, fixed_ms: 40, jitter_ms: 10 } });
    assert.ok(settings.ok);
    const engine = createFaultEngine(settings.value);
    const d = engine.decide('POST', '/senebi/v1/orders');
    assert.ok(d.processMs >= 40 && d.processMs <= 50);
    assert.equal(engine.decide('GET', '/senebi/v1/orders/12').processMs, 0);
    assert.equal(engine.decide('GET', '/senebi/v1/ping').processMs, 0);
  });
  test('the id sequencer runs one id\'s tasks in arrival order and other ids independently', async () => {
    const sequencer = createIdSequencer();
    const order: string[] = [];
    const slow = sequencer.run('1' as Uint64, async () => { await new Promise((r) => setTimeout(r, 50)); order.push('1a'); });
    const next = sequencer.run('1' as Uint64, () => { order.push('1b'); });
    const other = sequencer.run('2' as Uint64, () => { order.push('2'); });
    const failing = sequencer.run('1' as Uint64, () => { throw new Error('boom'); });
    const after = sequencer.run('1' as Uint64, () => { order.push('1c'); return 7; });
    await Promise.all([slow, next, other, assert.rejects(failing, /boom/)]);
    assert.equal(await after, 7, 'a failed task does not stop the next');
    assert.deepEqual(order, ['2', '1a', '1b', '1c']);
    await new Promise((r) => setImmediate(r));
    assert.equal(sequencer.size, 0, 'no tail kept once idle');
  });
  test('reject acts only on order submissions; probability 0 never fires', () => {
    const settings = parseFaultSettings({ reject: { probability: 1, reason: 'no' }, hang: { probability: 0 } });
    assert.ok(settings.ok);
    const engine = createFaultEngine(settings.value);
    assert.deepEqual(engine.decide('GET', '/senebi/v1/orders'), { delayMs: 0, processMs: 0, answerDelayMs: 0 });
    assert.deepEqual(engine.decide('POST', '/senebi/v1/orders'), { delayMs: 0, processMs: 0, answerDelayMs: 0, outcome: 'reject', reason: 'no' });
  });
  test('fault settings reject unknown keys and out-of-range values', () => {
    const bad = parseFaultSettings({ hang: { probability: 1.5 }, latency: { probability: 1, fixed_ms: -1 }, nope: {} });
    assert.equal(bad.ok, false);
    assert.equal(bad.ok ? 0 : bad.problems.length, 3);
    const numbers = parseFaultSettings(lossless('{"seed": 5, "http_5xx": {"probability": 0.25, "status": 504}}'));
    assert.ok(numbers.ok && numbers.value.http_5xx?.status === 504 && numbers.value.http_5xx.probability === 0.25);
  });
});

describe('seeded business', () => {
  test('the first date holds the landmark ids: next to both edges, small ones, near 2^63 and 2^64-1', () => {
    const ids = seedIdCandidates('2026-03-10', RANGE, true);
    assert.deepEqual(ids, ['9998999999999999999', '10000000000000000000', '1', '42', '123456',
      '9223372036854775807', '9223372036854775808', '9223372036854775809', '18446744073709551614', '18446744073709551615']);
  });
  test('ids that would fall inside the range or outside 0..2^64-1 are left out', () => {
    const wide = { min: toUint64('0'), max: toUint64('18446744073709551615') };
    assert.deepEqual(seedIdCandidates('2026-03-10', wide, true), []);
    const top = { min: toUint64('18446744073709551600'), max: toUint64('18446744073709551615') };
    const ids = seedIdCandidates('2026-03-10', top, true);
    assert.ok(ids.includes('18446744073709551599' as Uint64));
    assert.ok(!ids.some((id) => BigInt(id) >= BigInt(top.min)));
  });
  test('other dates get their own ids outside the range, on both sides', () => {
    const a = seedIdCandidates('2026-03-09', RANGE, false);
    const b = seedIdCandidates('2026-03-08', RANGE, false);
    assert.ok(a.length >= 6);
    assert.equal(a.filter((id) => b.includes(id)).length, 0);
    assert.ok(a.every((id) => BigInt(id) < BigInt(RANGE.min) || BigInt(id) > BigInt(RANGE.max)));
  });
  test('seeding is deterministic for a seed and date, and different for another seed', () => {
    const plan = (seed: number) => planSeededBusiness({ date: '2026-03-10', seed, range: RANGE, agentCode: '210', primary: true, isTaken: () => false });
    assert.deepEqual(plan(1), plan(1));
    assert.notDeepEqual(plan(1), plan(2));
    const business = plan(1);
    assert.ok(business.operations.length >= 2);
    const self = business.operations.filter((op) => op.counterparty === '210');
    assert.equal(self.length, 2, 'one trade between two of the agent\'s own orders, both legs');
    assert.equal(self[0]?.counterOrderId, self[1]?.orderId);
  });
  test('two stores with the same seed and clock list the same business', () => {
    const make = () => createSimulatorStore({ range: RANGE, agentCode: '210', businessSeed: 5, matching: { probability: 1, seed: 1 }, clock: fixedClock('2026-03-10T15:00:00Z') });
    const a = make();
    const b = make();
    assert.deepEqual(a.listOrders('2026-03-10'), b.listOrders('2026-03-10'));
    assert.deepEqual(a.listOperations('2026-03-01'), b.listOperations('2026-03-01'));
    assert.equal(a.sizes().seededDates, 3);
  });
  test("a self trade's counter order takes the first free id below the range (above it when the range starts at 0)", () => {
    assert.equal(allocateOutsideId(RANGE, (id) => id === '9998999999999999999'), '9998999999999999998');
    assert.equal(allocateOutsideId({ min: toUint64('0'), max: toUint64('100') }, () => false), '101');
  });
});

describe('settings, state and command line', () => {
  test('simulator.toml defaults and errors name the keys', () => {
    assert.equal(DEFAULT_SETTINGS.business.agent_code, '210');
    assert.equal(DEFAULT_SETTINGS.matching.probability, 1);
    assert.throws(() => parseSimulatorSettings({ business: { agent_code: 'abc' }, matching: { probability: 3 }, extra: 1 }), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'INVALID_SIMULATOR_CONFIG');
      assert.match(err.message, /business\.agent_code/);
      assert.match(err.message, /matching\.probability/);
      return true;
    });
  });
  test('state renders and parses back exactly, ids up to 2^64-1', () => {
    const store = createSimulatorStore({ range: RANGE, agentCode: '210', businessSeed: 1, matching: { probability: 1, seed: 1 }, clock: fixedClock('2026-03-10T15:00:00Z') });
    store.submitOrder(lossless('{"id": 9999999999999999999, "instrument": "GD30", "side": "buy", "quantity": "10", "price": "1.000001", "currency": "EXT", "settlement": "T0", "counterparty": "210"}'));
    const counters = createSimulatorCounters();
    counters.countOrder(toUint64('9999999999999999999'));
    const text = renderState({ version: 1, lastSeq: '0', store: store.snapshot(), counters: counters.snapshot() });
    const back = parseState(text);
    assert.deepEqual(back.store, store.snapshot());
    assert.deepEqual(back.counters, counters.snapshot());
    assert.ok(text.includes('"18446744073709551615"'));
  });
  test('a corrupt state file is INVALID_STATE_FILE', () => {
    for (const text of ['{', '{"version": 2}', '{"version": 1, "store": {}, "counters": {}}']) {
      assert.throws(() => parseState(text), (err: unknown) => err instanceof ApiError && err.code === 'INVALID_STATE_FILE');
    }
  });
  test('journal lines round-trip and bad ones are INVALID_STATE_FILE', () => {
    const line = renderChangeLine(12n, { t: 'event', id: toUint64('18446744073709551615'), event: { at: '2026-03-10T15:00:00.000Z', event: 'received' } });
    assert.deepEqual(parseChangeLine(line), { seq: 12n, change: { t: 'event', id: '18446744073709551615', event: { at: '2026-03-10T15:00:00.000Z', event: 'received' } } });
    for (const bad of ['{"seq": "1"', '{"seq": "1", "c": {"t": "boom"}}', '{"seq": 1, "c": {"t": "count_clear"}}']) {
      assert.throws(() => parseChangeLine(bad), (err: unknown) => err instanceof ApiError && err.code === 'INVALID_STATE_FILE');
    }
  });
  test('concurrent changes are group-committed to the journal, and snapshot + journal rebuild the same simulator', async () => {
    const dir = makeTempDir('qsen-sim-state-');
    try {
      const path = join(dir.path, 'senebi', 'state.json');
      const options = { range: RANGE, clock: fixedClock('2026-03-10T15:00:00Z') };
      const first = createSimulator({ ...options, storage: createStateStorage(path) });
      await first.persist();
      const body = (i: number): unknown => lossless(`{"id": ${9999000000000000000n + BigInt(i)}, "instrument": "AL30", "side": "buy", "quantity": "1", "price": "1", "currency": "ARS", "settlement": "T1", "counterparty": "210"}`);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 40; i++) {
        first.counters.countOrder(toUint64(String(9999000000000000000n + BigInt(i))));
        first.store.submitOrder(body(i));
        pending.push(first.persist());
      }
      await Promise.all(pending);
      const storage = createStateStorage(path);
      assert.ok(storage.journalPath.endsWith('state.journal'));
      const saved = await storage.load();
      assert.ok(saved.snapshot !== undefined);
      assert.ok(saved.lines.length >= 40 * 4, `${saved.lines.length} journal lines`);
      const second = createSimulator({ ...options, initialState: parseState(saved.snapshot), initialChanges: saved.lines.map(parseChangeLine) });
      assert.deepEqual(second.store.snapshot(), first.store.snapshot());
      assert.deepEqual(second.counters.snapshot(), first.counters.snapshot());
      // A torn last line (no newline) is dropped; lines already in a snapshot are not applied twice.
      writeFileSync(storage.journalPath, `${saved.lines.join('\n')}\n{"seq": "99999", "c": {"t": "cou`);
      assert.deepEqual((await createStateStorage(path).load()).lines, saved.lines);
      await first.checkpoint();
      writeFileSync(storage.journalPath, `${saved.lines.join('\n')}\n`);
      const again = await createStateStorage(path).load();
      const third = createSimulator({ ...options, initialState: parseState(again.snapshot ?? ''), initialChanges: again.lines.map(parseChangeLine) });
      assert.deepEqual(third.counters.snapshot(), first.counters.snapshot());
      assert.deepEqual(third.store.snapshot(), first.store.snapshot());
      assert.equal(readFileSync(path, 'utf8').includes('"lastSeq"'), true);
    } finally {
      dir.remove();
    }
  });
  test('changes no answer waits for are written once 1000 lines are buffered', async () => {
    const dir = makeTempDir('qsen-sim-batch-');
    try {
      const storage = createStateStorage(join(dir.path, 'state.json'));
      const sim = createSimulator({ range: RANGE, clock: fixedClock('2026-03-10T15:00:00Z'), storage });
      await sim.checkpoint();
      for (let i = 0; i < 1500; i++) sim.counters.countRequest('GET /senebi/v1/ping');
      await storage.close();
      const saved = await createStateStorage(join(dir.path, 'state.json')).load();
      assert.equal(saved.lines.length, 1500, 'the batch started at 1000 lines took every line buffered when it ran');
      assert.equal(storage.pendingLines, 0);
    } finally {
      dir.remove();
    }
  });
  test('the command line takes --home and --port', () => {
    assert.deepEqual(parseArgs(['--home', 'h', '--port=0'], '/x'), { home: '/x/h', port: 0 });
    assert.deepEqual(parseArgs(['--home=/abs'], '/x'), { home: '/abs', port: undefined });
    for (const bad of [[], ['--port', '70000', '--home', 'h'], ['--home'], ['--what', '1']]) {
      assert.throws(() => parseArgs(bad, '/x'), (err: unknown) => err instanceof ApiError && err.code === 'INVALID_ARGUMENTS');
    }
    assert.equal(portOfSenebiUrl('https://127.0.0.1:9555'), 9555);
    assert.equal(portOfSenebiUrl('https://senebi.example'), 9443);
  });
  test('ids go out as bare JSON numbers', () => {
    assert.equal(new LosslessNumber('18446744073709551615').toString(), '18446744073709551615');
  });
});

describe('error registry', () => {
  test('codes are unique upper snake case and each is documented in docs/simulator.md', () => {
    const doc = readFileSync(new URL('../../../../docs/simulator.md', import.meta.url), 'utf8');
    const codes = Object.keys(simulatorErrors.specs);
    assert.equal(new Set(codes).size, codes.length);
    for (const code of codes) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(doc.includes(`\`${code}\``), `docs/simulator.md lacks ${code}`);
    }
  });
});

describe('per-id records', () => {
  test('a record counts acceptances, duplicates, rejections and faults from the history', () => {
    const id = '9999000000000000005' as Uint64;
    const at = '2026-11-20T14:00:00.000Z';
    const history = [
      { at, event: 'received' as const }, { at, event: 'fault' as const, detail: 'latency' },
      { at, event: 'received' as const }, { at, event: 'accepted' as const }, { at, event: 'matched' as const, detail: 'operation 1' },
      { at, event: 'duplicate' as const }, { at, event: 'received' as const }, { at, event: 'fault' as const, detail: 'http_5xx' },
    ];
    const order = { id, instrument: 'AL30', side: 'buy', quantity: '1', price: '1', currency: 'ARS', settlement: 'T1', counterparty: '45', status: 'matched', matchedAt: at, time: at, tradeDate: '2026-11-20', origin: 'agent' } as const;
    assert.deepEqual(buildOrderRecord({ id, order, history, received: 3, pending: 1, cancels: 0 }), {
      id, received: 3, accepted: 1, rejected: 0, duplicates: 1, pending: 1, faults: { latency: 1, http_5xx: 1 },
      cancels: 0, cancelled: 0, cancelRefused: 0, status: 'matched', matchedAt: at,
    });
    assert.equal(buildOrderRecord({ id, order: undefined, history: [], received: 1, pending: 0, cancels: 0 }).status, 'absent');
  });

  test('a record counts cancel requests, the cancel that committed and the refused ones', () => {
    const id = '9999000000000000006' as Uint64;
    const at = '2026-11-20T14:00:00.000Z';
    const later = '2026-11-20T14:00:01.000Z';
    const history = [
      { at, event: 'received' as const }, { at, event: 'accepted' as const },
      { at: later, event: 'cancel_received' as const }, { at: later, event: 'cancelled' as const },
      { at: later, event: 'cancel_received' as const }, { at: later, event: 'cancel_received' as const },
      { at: later, event: 'fault' as const, detail: 'slow_cancel' },
    ];
    const order = { id, instrument: 'AL30', side: 'buy', quantity: '1', price: '1', currency: 'ARS', settlement: 'T1', counterparty: '45', status: 'cancelled', cancelledAt: later, time: at, tradeDate: '2026-11-20', origin: 'agent' } as const;
    assert.deepEqual(buildOrderRecord({ id, order, history, received: 1, pending: 0, cancels: 3 }), {
      id, received: 1, accepted: 1, rejected: 0, duplicates: 0, pending: 0, faults: { slow_cancel: 1 },
      cancels: 3, cancelled: 1, cancelRefused: 0, status: 'cancelled', cancelledAt: later,
    });
    const refused = [{ at, event: 'accepted' as const }, { at, event: 'matched' as const }, { at: later, event: 'cancel_refused' as const, detail: 'matched' }];
    const matched = { ...order, status: 'matched', matchedAt: at, cancelledAt: undefined } as const;
    const record = buildOrderRecord({ id, order: { id, instrument: 'AL30', side: 'buy', quantity: '1', price: '1', currency: 'ARS', settlement: 'T1', counterparty: '45', status: matched.status, matchedAt: at, time: at, tradeDate: '2026-11-20', origin: 'agent' }, history: refused, received: 1, pending: 0, cancels: 1 });
    assert.equal(record.cancelRefused, 1);
    assert.equal(record.cancelled, 0);
    assert.equal(record.status, 'matched');
  });
});
