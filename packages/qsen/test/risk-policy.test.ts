import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RiskConfig } from '@qsen/core';
import { formatScaled, isInsideBand, NOTIONAL_SCALE, notionalOf, parseScaled, PRICE_SCALE, priceBandOf } from '../src/risk/decimal.js';
import { createRiskLedger } from '../src/risk/ledger.js';
import { compileLimits, limitTextsOf } from '../src/risk/limits.js';
import { decideOrder, type PolicyInput, type RiskOrder } from '../src/risk/policy.js';

/** Schoolbook multiplication of two digit strings with plain numbers (no BigInt): the reference. */
function multiplyDigits(a: string, b: string): string {
  const out = new Array<number>(a.length + b.length).fill(0);
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      const sum = (out[i + j + 1] ?? 0) + Number(a[i]) * Number(b[j]);
      out[i + j + 1] = sum % 10;
      out[i + j] = (out[i + j] ?? 0) + Math.floor(sum / 10);
    }
  }
  return out.join('').replace(/^0+(?=[0-9])/, '');
}

/** Reference notional text: quantity x price / 100 by moving the point in the digit product. */
function referenceNotional(quantity: string, price: string): string {
  const [integer = '0', fraction = ''] = price.split('.');
  const decimals = fraction.length + 2;
  const digits = multiplyDigits(quantity, `${integer}${fraction}`).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals).replace(/^0+(?=[0-9])/, '');
  const frac = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return frac === '' ? whole : `${whole}.${frac}`;
}

const quantityArb = fc.bigInt({ min: 1n, max: 10n ** 18n - 1n }).map(String);
const priceArb = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }), fc.integer({ min: 0, max: 999_999 }))
  .filter(([i, f]) => i > 0n || f > 0)
  .map(([i, f]) => {
    const fraction = String(f).padStart(6, '0').replace(/0+$/, '');
    return fraction === '' ? String(i) : `${i}.${fraction}`;
  });

const order = (fields: Partial<RiskOrder> = {}): RiskOrder => ({ instrument: 'AL30', quantity: '1000', price: '100', currency: 'ARS', settlement: 'T1', counterparty: '210', ...fields });
const riskOf = (risk: Partial<RiskConfig>): RiskConfig => ({ unreferenced: 'refuse', ...risk });
const emptyUsage = createRiskLedger().usage('2026-12-01');

function decide(o: RiskOrder, risk: Partial<RiskConfig>, extra: Partial<PolicyInput> = {}) {
  const config = riskOf(risk);
  return decideOrder(o, { limits: compileLimits(config, limitTextsOf(config)), usage: emptyUsage, prices: new Map(), lastSecond: 0, lastMinute: 0, ...extra });
}

function refusal(o: RiskOrder, risk: Partial<RiskConfig>, extra: Partial<PolicyInput> = {}) {
  const d = decide(o, risk, extra);
  return d.ok ? undefined : d.refusal;
}

describe('risk decimal arithmetic: exact, with BigInt scaled integers', () => {
  test('quantity 10^15 at price 999999.999999 gives the exact notional', () => {
    const notional = notionalOf(10n ** 15n, parseScaled('999999.999999', PRICE_SCALE) ?? 0n);
    assert.equal(formatScaled(notional, NOTIONAL_SCALE), '9999999999990000000');
    assert.equal(formatScaled(notional, NOTIONAL_SCALE), referenceNotional('1000000000000000', '999999.999999'));
    // A binary float would not: at 18 digits of quantity the product is rounded.
    const q = '999999999999999999';
    const exact = formatScaled(notionalOf(BigInt(q), parseScaled('999999.999999', PRICE_SCALE) ?? 0n), NOTIONAL_SCALE);
    assert.equal(exact, '9999999999989999990000.00000001'); // python: Decimal(q) * Decimal('999999.999999') / 100
    assert.notEqual(String(Number(q) * 999999.999999 / 100), exact);
  });

  test('notional equals the schoolbook reference for any quantity and price (fast-check)', () => {
    fc.assert(fc.property(quantityArb, priceArb, (q, p) => {
      const notional = notionalOf(BigInt(q), parseScaled(p, PRICE_SCALE) ?? -1n);
      assert.equal(formatScaled(notional, NOTIONAL_SCALE), referenceNotional(q, p));
    }), { numRuns: 2000 });
  });

  test('parseScaled and formatScaled round-trip canonical decimals (fast-check)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }), (value, scale) => {
      const text = formatScaled(value, scale);
      assert.equal(parseScaled(text, scale), value);
    }), { numRuns: 1000 });
    assert.equal(parseScaled('1.1234567', 6), undefined);
    assert.equal(parseScaled('1e5', 6), undefined);
    assert.equal(formatScaled(-1500n, 3), '-1.5');
  });

  test('the price band includes both bounds exactly and nothing beyond (fast-check against cross-multiplication)', () => {
    const reference = parseScaled('100', PRICE_SCALE) ?? 0n;
    const band = priceBandOf(reference, parseScaled('5', 6) ?? 0n);
    assert.equal(formatScaled(band.min, band.scale), '95');
    assert.equal(formatScaled(band.max, band.scale), '105');
    for (const [price, inside] of [['95', true], ['105', true], ['94.999999', false], ['105.000001', false], ['100', true]] as const) {
      assert.equal(isInsideBand(parseScaled(price, PRICE_SCALE) ?? 0n, band), inside, price);
    }
    fc.assert(fc.property(priceArb, priceArb, fc.integer({ min: 1, max: 100_000_000 }), (p, r, percentMicros) => {
      const pm = parseScaled(p, PRICE_SCALE) ?? 0n;
      const rm = parseScaled(r, PRICE_SCALE) ?? 0n;
      const diff = pm > rm ? pm - rm : rm - pm;
      // |p - r| / r <= percent / 100  <=>  |p - r| x 100 x 10^6 <= r x percentMicros
      const expected = diff * 100_000_000n <= rm * BigInt(percentMicros);
      assert.equal(isInsideBand(pm, priceBandOf(rm, BigInt(percentMicros))), expected);
    }), { numRuns: 2000 });
  });
});

describe('risk policy: exactly at each limit passes, one unit over is refused', () => {
  test('order_quantity', () => {
    assert.equal(decide(order({ quantity: '1000' }), { max_order_quantity: '1000' }).ok, true);
    assert.deepEqual(refusal(order({ quantity: '1001' }), { max_order_quantity: '1000' }), { limit: 'order_quantity', value: '1001', max: '1000' });
  });

  test('order_notional per currency, to the last 10^-8', () => {
    // 1000 x 1234.5 / 100 = 12345
    assert.equal(decide(order({ price: '1234.5' }), { max_order_notional: { ARS: '12345' } }).ok, true);
    assert.deepEqual(refusal(order({ price: '1234.500001' }), { max_order_notional: { ARS: '12345' } }), { limit: 'order_notional.ARS', value: '12345.00001', max: '12345' });
    assert.deepEqual(refusal(order({ quantity: '1', price: '0.000001' }), { max_order_notional: { ARS: '0.00000001' } }), undefined);
    assert.equal(refusal(order({ quantity: '2', price: '0.000001' }), { max_order_notional: { ARS: '0.00000001' } })?.limit, 'order_notional.ARS');
    // Another currency's limit does not apply.
    assert.equal(decide(order({ currency: 'USD', price: '999999' }), { max_order_notional: { ARS: '1' } }).ok, true);
  });

  test('daily_notional and daily_instrument_notional count today\'s usage plus the order', () => {
    const ledger = createRiskLedger();
    ledger.reserve('d', '1', { currency: 'ARS', instrument: 'AL30', notional: 900n * 10n ** 8n }, 0);
    ledger.reserve('d', '2', { currency: 'ARS', instrument: 'GD30', notional: 50n * 10n ** 8n }, 0);
    const usage = ledger.usage('d');
    // order notional: 1000 x 10 / 100 = 100 -> 900 + 50 + 100 = 1050
    const o = order({ price: '10' });
    assert.equal(decide(o, { max_daily_notional: { ARS: '1050' } }, { usage }).ok, true);
    assert.deepEqual(refusal(o, { max_daily_notional: { ARS: '1049.99999999' } }, { usage }), { limit: 'daily_notional.ARS', value: '1050', max: '1049.99999999' });
    assert.equal(decide(o, { max_daily_instrument_notional: { ARS: '1000' } }, { usage }).ok, true);
    assert.deepEqual(refusal(o, { max_daily_instrument_notional: { ARS: '999' } }, { usage }), { limit: 'daily_instrument_notional.ARS', value: '1000', max: '999', extra: { instrument: 'AL30' } });
    assert.equal(decide(order({ price: '10', instrument: 'GD30' }), { max_daily_instrument_notional: { ARS: '999' } }, { usage }).ok, true);
  });

  test('daily_orders', () => {
    const ledger = createRiskLedger();
    for (let i = 0; i < 4; i += 1) ledger.reserve('d', String(i), { currency: 'ARS', instrument: 'AL30', notional: 1n }, 0);
    assert.equal(decide(order(), { max_daily_orders: 5 }, { usage: ledger.usage('d') }).ok, true);
    assert.deepEqual(refusal(order(), { max_daily_orders: 4 }, { usage: ledger.usage('d') }), { limit: 'daily_orders', value: '5', max: '4' });
  });

  test('orders_per_second and orders_per_minute', () => {
    assert.equal(decide(order(), { max_orders_per_second: 3 }, { lastSecond: 2 }).ok, true);
    assert.deepEqual(refusal(order(), { max_orders_per_second: 3 }, { lastSecond: 3 }), { limit: 'orders_per_second', value: '4', max: '3' });
    assert.equal(decide(order(), { max_orders_per_minute: 60 }, { lastMinute: 59 }).ok, true);
    assert.equal(refusal(order(), { max_orders_per_minute: 60 }, { lastMinute: 60 })?.limit, 'orders_per_minute');
  });

  test('price_band: both bounds pass, one micro outside is refused with both bounds and the reference', () => {
    const prices = new Map([['AL30', parseScaled('1000', PRICE_SCALE) ?? 0n]]);
    const risk = { price_band_percent: '2.5' };
    assert.equal(decide(order({ price: '975' }), risk, { prices }).ok, true);
    assert.equal(decide(order({ price: '1025' }), risk, { prices }).ok, true);
    assert.deepEqual(refusal(order({ price: '1025.000001' }), risk, { prices }), { limit: 'price_band.AL30', value: '1025.000001', max: '1025', extra: { min: '975', reference: '1000' } });
    assert.equal(refusal(order({ price: '974.999999' }), risk, { prices })?.limit, 'price_band.AL30');
  });

  test('an instrument without a reference price is refused or allowed as configured', () => {
    assert.deepEqual(refusal(order({ instrument: 'GD30' }), { price_band_percent: '5' }), { limit: 'price_band.unreferenced', value: 'GD30', max: null });
    assert.equal(decide(order({ instrument: 'GD30' }), { price_band_percent: '5', unreferenced: 'allow' }).ok, true);
    assert.equal(decide(order({ instrument: 'GD30' }), {}).ok, true);
  });

  test('allow and deny lists of instruments, counterparties, currencies and settlements (deny wins)', () => {
    assert.deepEqual(refusal(order({ instrument: 'GD30' }), { instruments_allow: ['AL30'] }), { limit: 'instrument_denied', value: 'GD30', max: null });
    assert.equal(refusal(order(), { instruments_allow: ['AL30'], instruments_deny: ['AL30'] })?.limit, 'instrument_denied');
    assert.equal(refusal(order({ counterparty: '999' }), { counterparties_deny: ['999'] })?.limit, 'counterparty_denied');
    assert.equal(decide(order({ counterparty: '998' }), { counterparties_deny: ['999'] }).ok, true);
    assert.equal(refusal(order({ currency: 'EXT' }), { currencies_allow: ['ARS', 'USD'] })?.limit, 'currency_denied');
    assert.equal(refusal(order({ settlement: 'T0' }), { settlements_deny: ['T0'] })?.limit, 'settlement_denied');
  });

  test('no limit set: every order passes and consumes its exact notional', () => {
    const d = decide(order({ quantity: '1000000000000000', price: '999999.999999' }), {});
    assert.ok(d.ok);
    assert.equal(d.consumption.notional, 9999999999990000000n * 10n ** 8n);
  });
});

describe('risk ledger', () => {
  test('one reservation per id; release gives it back; a new day starts at zero', () => {
    const ledger = createRiskLedger();
    const c = { currency: 'ARS', instrument: 'AL30', notional: 5n };
    ledger.reserve('d1', 'a', c, 0);
    ledger.reserve('d1', 'a', c, 0);
    ledger.reserve('d1', 'b', c, 0);
    assert.equal(ledger.usage('d1').orders, 2);
    assert.equal(ledger.usage('d1').notional.get('ARS'), 10n);
    ledger.release('a');
    ledger.release('a');
    assert.equal(ledger.usage('d1').orders, 1);
    assert.equal(ledger.usage('d1').notional.get('ARS'), 5n);
    assert.equal(ledger.holds('d1', 'b'), true);
    assert.equal(ledger.usage('d2').orders, 0);
    assert.equal(ledger.usage('d2').notional.size, 0);
    assert.equal(ledger.holds('d2', 'b'), false);
  });

  test('the rate window counts admissions in (now - window, now]', () => {
    const ledger = createRiskLedger();
    const c = { currency: 'ARS', instrument: 'AL30', notional: 1n };
    for (let i = 0; i < 5; i += 1) ledger.reserve('d', String(i), c, 1000 + i * 250);
    // admissions at 1000, 1250, 1500, 1750, 2000
    assert.equal(ledger.admittedWithin(2000, 1000), 4);
    assert.equal(ledger.admittedWithin(2999, 1000), 1);
    assert.equal(ledger.admittedWithin(3000, 1000), 0);
    assert.equal(ledger.admittedWithin(2000, 60_000), 5);
    assert.equal(ledger.admittedWithin(61_000, 60_000), 4);
    assert.equal(ledger.admittedWithin(62_000, 60_000), 0);
  });

  test('the rate window count equals a naive count for any admission times (fast-check)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 300 }), fc.integer({ min: 0, max: 130_000 }), fc.constantFrom(1000, 60_000), (steps, probe, windowMs) => {
      const ledger = createRiskLedger();
      const times: number[] = [];
      let t = 0;
      steps.forEach((step, i) => {
        t += step;
        times.push(t);
        ledger.reserve('d', String(i), { currency: 'ARS', instrument: 'AL30', notional: 1n }, t);
      });
      const at = t + probe - 65_000;
      if (at < t) return;
      assert.equal(ledger.admittedWithin(at, windowMs), times.filter((x) => x > at - windowMs && x <= at).length);
    }), { numRuns: 500 });
  });
});
