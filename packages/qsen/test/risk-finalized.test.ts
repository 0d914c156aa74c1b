/**
 * An accepted order's reservation keeps its id alone (risk/ledger.ts `finalize`, with the order
 * book's copy of the order to read its consumption back): every limit must decide exactly as
 * with the amounts kept. Each property runs the same random operations on a ledger (or controls)
 * that keeps every amount, the reference, and on one that finalizes, and compares everything
 * they show after each step.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError, parseConfig } from '@qsen/core';
import { ManualClock } from '@qsen/testkit';
import { createRiskLedger, type Consumption, type RiskLedger } from '../src/risk/ledger.js';
import { createRiskControls, type RiskControls, type RiskOrderWithId } from '../src/risk/controls.js';

const TZ = 'America/Argentina/Buenos_Aires';
// 2026-12-01 23:59:00 in Buenos Aires: the runs cross local midnight.
const START = Date.parse('2026-12-02T02:59:00Z');
const SENEBI = '[senebi]\nurl = "https://senebi.example"\nca = "x"\ncert = "x"\nkey = "x"\npassphrase_file = "x"\n';

/** Everything a ledger shows on `day`: the count, both totals, and which ids it holds. */
function shownBy(ledger: RiskLedger, day: string, ids: readonly string[], atMs: number): unknown {
  const usage = ledger.usage(day);
  return {
    day: usage.day,
    orders: usage.orders,
    notional: [...usage.notional].sort(),
    instrumentNotional: [...usage.instrumentNotional].map(([c, m]) => [c, [...m].sort()]).sort(),
    holds: ids.filter((id) => ledger.holds(day, id)),
    lastSecond: ledger.admittedWithin(atMs, 1000),
    lastMinute: ledger.admittedWithin(atMs, 60_000),
  };
}

const consumptionArb = fc.record({
  currency: fc.constantFrom('ARS', 'USD'),
  instrument: fc.constantFrom('AL30', 'GD30', 'TX26'),
  notional: fc.bigInt({ min: 1n, max: 10n ** 20n }),
});
const idArb = fc.integer({ min: 1, max: 12 }).map(String);
const ledgerOpArb = fc.oneof(
  fc.record({ op: fc.constant('reserve' as const), id: idArb, consumption: consumptionArb, day: fc.constantFrom('d1', 'd1', 'd1', 'd2'), advanceMs: fc.integer({ min: 0, max: 40_000 }) }),
  fc.record({ op: fc.constant('finalize' as const), id: idArb }),
  fc.record({ op: fc.constant('release' as const), id: idArb }),
  fc.record({ op: fc.constant('forget' as const), id: idArb }),
);

describe('risk ledger: finalized reservations', () => {
  test('a finalizing ledger shows what one that keeps every amount shows, after any reserve, finalize, release and day change (fast-check)', () => {
    fc.assert(fc.property(fc.array(ledgerOpArb, { maxLength: 60 }), (ops) => {
      // The order book's copy of each order's consumption ("forget": its content is lost).
      const book = new Map<string, Consumption>();
      const reference = createRiskLedger();
      const compact = createRiskLedger((id) => book.get(id));
      const ids = [...new Set(ops.map((o) => o.id))];
      let day = 'd1';
      let atMs = 0;
      for (const step of ops) {
        if (step.op === 'reserve') {
          atMs += step.advanceMs;
          day = step.day;
          if (!reference.holds(day, step.id)) book.set(step.id, step.consumption);
          reference.reserve(day, step.id, step.consumption, atMs);
          compact.reserve(day, step.id, step.consumption, atMs);
        } else if (step.op === 'finalize') {
          reference.finalize(step.id);
          compact.finalize(step.id);
        } else if (step.op === 'release') {
          // The desk releases only orders whose content it holds; a lost one stays counted in both.
          if (book.has(step.id)) {
            reference.release(step.id);
            compact.release(step.id);
          }
        } else {
          book.delete(step.id);
        }
        assert.deepEqual(shownBy(compact, day, ids, atMs), shownBy(reference, day, ids, atMs));
      }
    }), { numRuns: 500 });
  });

  test('a finalized order released gives back exactly its consumption, read from the book; one whose content is lost stays counted', () => {
    const book = new Map<string, Consumption>([
      ['1', { currency: 'ARS', instrument: 'AL30', notional: 1_234_500_000_000n }],
      ['2', { currency: 'ARS', instrument: 'GD30', notional: 700n }],
    ]);
    const ledger = createRiskLedger((id) => book.get(id));
    for (const [id, consumption] of book) ledger.reserve('d', id, consumption, 0);
    ledger.finalize('1');
    ledger.finalize('2');
    ledger.finalize('3'); // not reserved: nothing happens
    assert.equal(ledger.usage('d').orders, 2);
    assert.ok(ledger.holds('d', '1') && ledger.holds('d', '2') && !ledger.holds('d', '3'));
    ledger.reserve('d', '1', { currency: 'USD', instrument: 'AL30', notional: 5n }, 1); // an identical resend: counted once
    assert.equal(ledger.usage('d').orders, 2);

    ledger.release('1');
    assert.deepEqual([...ledger.usage('d').notional], [['ARS', 700n]]);
    assert.deepEqual([...(ledger.usage('d').instrumentNotional.get('ARS') ?? [])], [['GD30', 700n]]);
    assert.equal(ledger.holds('d', '1'), false);
    book.delete('2');
    ledger.release('2');
    assert.equal(ledger.usage('d').orders, 1);
    assert.equal(ledger.holds('d', '2'), true);
    assert.equal(ledger.admittedWithin(1, 60_000), 2, 'the rate window keeps every admission');
  });
});

const order = (id: string, fields: Partial<RiskOrderWithId>): RiskOrderWithId => ({ id, instrument: 'AL30', quantity: '1000', price: '100', currency: 'ARS', settlement: 'T1', counterparty: '210', ...fields });
const orderArb = fc.record({
  id: fc.integer({ min: 1, max: 15 }).map(String),
  instrument: fc.constantFrom('AL30', 'GD30'),
  currency: fc.constantFrom('ARS', 'USD'),
  quantity: fc.integer({ min: 1, max: 3000 }).map(String),
  price: fc.constantFrom('0.5', '100', '1234.567891'),
});
const STATES = ['sent', 'accepted', 'rejected', 'unknown', 'not_sent'] as const;
const controlsOpArb = fc.oneof(
  fc.record({ op: fc.constant('admit' as const), order: orderArb }),
  fc.record({ op: fc.constant('keep' as const), order: orderArb }),
  fc.record({ op: fc.constant('settle' as const), id: fc.integer({ min: 1, max: 15 }).map(String), state: fc.constantFrom(...STATES) }),
  fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30_000 }) }),
);

/** What one admit answers: passed, or the refusal's details. */
function outcomeOf(controls: RiskControls, o: RiskOrderWithId): unknown {
  try {
    controls.admit(o);
    return 'admitted';
  } catch (err) {
    assert.ok(err instanceof ApiError && err.code === 'RISK_LIMIT_EXCEEDED', String(err));
    return err.details;
  }
}

describe('risk controls: accepted orders keep their id alone', () => {
  test('every daily, rate and per-order limit decides the same with and without the order book\'s copy, across midnight (fast-check)', () => {
    const riskToml = 'max_daily_orders = 9\nmax_daily_notional = { ARS = "40000", USD = "30000" }\nmax_daily_instrument_notional = { ARS = "25000", USD = "20000" }\n'
      + 'max_orders_per_second = 4\nmax_orders_per_minute = 12\nmax_order_quantity = "2500"';
    const risk = parseConfig(`${SENEBI}[risk]\n${riskToml}\n`, 'conf.toml', { checkFiles: false }).risk;
    fc.assert(fc.property(fc.array(controlsOpArb, { maxLength: 50 }), (ops) => {
      const clock = new ManualClock(START);
      // The book: the content of each order as first journaled (an identical id keeps its first content).
      const book = new Map<string, RiskOrderWithId>();
      const make = (orderOf?: (id: string) => RiskOrderWithId | undefined): RiskControls => createRiskControls({
        risk, timezone: TZ, clock, readRiskConfig: () => risk, audit: { record: () => undefined }, ...(orderOf ? { orderOf } : {}),
      });
      const reference = make();
      const compact = make((id) => book.get(id));
      for (const step of ops) {
        if (step.op === 'advance') {
          clock.advance(step.ms);
          continue;
        }
        if (step.op === 'settle') {
          // The desk settles only orders it journaled.
          if (!book.has(step.id)) continue;
          reference.settle(step.id, step.state);
          compact.settle(step.id, step.state);
        } else {
          // A resend carries the content the book holds (a different one is refused before risk).
          const o = book.get(step.order.id) ?? order(step.order.id, step.order);
          if (step.op === 'keep') {
            reference.keep(o);
            compact.keep(o);
            book.set(o.id, o);
          } else {
            const answer = outcomeOf(reference, o);
            assert.deepEqual(outcomeOf(compact, o), answer);
            if (answer === 'admitted') book.set(o.id, o);
          }
        }
        assert.deepEqual(compact.view(), reference.view());
        assert.deepEqual(compact.summary(), reference.summary());
      }
    }), { numRuns: 300 });
  });

  test('rebuild finalizes today\'s accepted orders: counted once, and the limits stay exact', () => {
    const risk = parseConfig(`${SENEBI}[risk]\nmax_daily_orders = 3\nmax_daily_notional = { ARS = "2500" }\n`, 'conf.toml', { checkFiles: false }).risk;
    const clock = new ManualClock(Date.parse('2026-12-01T15:00:00Z'));
    const journaled = [
      { order: order('1', {}), state: 'accepted', receivedAt: '2026-12-01T14:00:00.000Z' },
      { order: order('2', {}), state: 'unknown', receivedAt: '2026-12-01T14:01:00.000Z' },
      { order: order('3', {}), state: 'rejected', receivedAt: '2026-12-01T14:02:00.000Z' },
    ];
    const book = new Map(journaled.map((j) => [j.order.id, j.order]));
    const controls = createRiskControls({ risk, timezone: TZ, clock, readRiskConfig: () => risk, audit: { record: () => undefined }, orderOf: (id) => book.get(id) });
    controls.rebuild(journaled);
    controls.admit(order('1', {})); // held: passes without counting
    const used = (name: string): unknown => (controls.view()['limits'] as Array<Record<string, unknown>>).find((l) => l['limit'] === name)?.['used'];
    assert.equal(used('daily_orders'), '2');
    assert.equal(used('daily_notional.ARS'), '2000');
    controls.settle('1', 'rejected');
    assert.equal(used('daily_orders'), '1');
    assert.equal(used('daily_notional.ARS'), '1000');
  });
});
