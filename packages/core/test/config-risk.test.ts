import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { canonicalAmount, loadConfig } from '../src/index.js';
import { assertOneProblem, fixture, fixtureDir, problemsOf } from './support/config-fixtures.js';

describe('config [risk]: good files', () => {
  test('without [risk] no limit is set and the collar fallback defaults to refuse', () => {
    const config = loadConfig(fixture('minimal.toml'));
    assert.deepEqual({ ...config.risk }, { unreferenced: 'refuse' });
  });

  test('every [risk] key is read, amounts canonicalized, the prices file resolved against conf.toml', () => {
    const risk = loadConfig(fixture('risk-good.toml')).risk;
    assert.equal(risk.max_order_quantity, '1000000');
    assert.deepEqual({ ...risk.max_order_notional }, { ARS: '50000000', USD: '100000' });
    assert.deepEqual({ ...risk.max_daily_notional }, { ARS: '500000000' });
    assert.deepEqual({ ...risk.max_daily_instrument_notional }, { ARS: '200000000', EXT: '0.00000001' });
    assert.equal(risk.max_daily_orders, 5000);
    assert.equal(risk.max_orders_per_second, 20);
    assert.equal(risk.max_orders_per_minute, 600);
    assert.equal(risk.reference_prices_file, join(fixtureDir, 'risk/reference-prices.toml'));
    assert.equal(risk.price_band_percent, '5.5');
    assert.equal(risk.unreferenced, 'allow');
    assert.deepEqual(risk.instruments_allow, ['AL30', 'GD30']);
    assert.deepEqual(risk.instruments_deny, ['TX26']);
    assert.deepEqual(risk.counterparties_allow, ['210', '7']);
    assert.deepEqual(risk.counterparties_deny, ['999']);
    assert.deepEqual(risk.currencies_allow, ['ARS', 'USD']);
    assert.deepEqual(risk.currencies_deny, ['EXT']);
    assert.deepEqual(risk.settlements_allow, ['T1']);
    assert.deepEqual(risk.settlements_deny, ['T0']);
    assert.ok(Object.isFrozen(risk.max_order_notional));
  });

  test('canonicalAmount keeps exact decimal text and names what is wrong', () => {
    assert.deepEqual(canonicalAmount('000123.4500', 8, 30), { ok: true, value: '123.45' });
    assert.deepEqual(canonicalAmount('0.00000001', 8, 30), { ok: true, value: '0.00000001' });
    assert.equal(canonicalAmount('0.000000001', 8, 30).ok, false);
    assert.equal(canonicalAmount('-1', 8, 30).ok, false);
    assert.equal(canonicalAmount('1e3', 8, 30).ok, false);
    assert.equal(canonicalAmount('0.0', 8, 30).ok, false);
    assert.equal(canonicalAmount('1'.repeat(31), 8, 30).ok, false);
  });
});

describe('config [risk]: one fixture per failure mode', () => {
  test('unknown keys in [risk] and in a per-currency table are refused by path', () => {
    assert.deepEqual([...problemsOf('risk-unknown-key.toml')].sort((a, b) => a.path.localeCompare(b.path)), [
      { path: 'risk.max_order_notional.EUR', message: 'unknown key' },
      { path: 'risk.max_order_quantiy', message: 'unknown key' },
    ]);
  });

  test('an amount written as a TOML number is refused (a float is not exact)', () => {
    assertOneProblem('risk-amount-as-number.toml', 'risk.max_order_notional.ARS', /^write amounts as strings/);
  });

  test('an amount finer than 10^-8 is refused', () => {
    assertOneProblem('risk-amount-too-precise.toml', 'risk.max_daily_notional.USD', /^at most 8 decimals$/);
  });

  test('a zero limit is refused', () => {
    assertOneProblem('risk-zero-limit.toml', 'risk.max_order_quantity', /^must be greater than zero$/);
  });

  test('a quantity limit with decimals is refused', () => {
    assertOneProblem('risk-quantity-decimal.toml', 'risk.max_order_quantity', /^must be a whole number$/);
  });

  test('a count written as a string is refused', () => {
    assertOneProblem('risk-count-as-string.toml', 'risk.max_daily_orders', /^expected a number, got a string$/);
  });

  test('a per-minute rate below the per-second rate is refused', () => {
    assertOneProblem('risk-rate-inconsistent.toml', 'risk.max_orders_per_minute', /^must not be smaller than risk.max_orders_per_second$/);
  });

  test('a price band over 100 percent is refused', () => {
    assertOneProblem('risk-band-too-wide.toml', 'risk.price_band_percent', /^at most 3 integer digits|^must be at most 100$/);
  });

  test('an unknown fallback for unreferenced instruments is refused', () => {
    assertOneProblem('risk-bad-unreferenced.toml', 'risk.unreferenced', /^must be "refuse" or "allow"$/);
  });

  test('a missing reference prices file is refused with its absolute path', () => {
    assertOneProblem('risk-missing-reference-file.toml', 'risk.reference_prices_file', new RegExp(`^file not found: ${join(fixtureDir, 'risk/no-such-prices.toml')}$`));
  });

  test('bad list entries are all reported at once, each by its index', () => {
    const problems = problemsOf('risk-bad-lists.toml');
    assert.deepEqual(problems.map((p) => p.path), ['risk.instruments_allow.0', 'risk.counterparties_deny.0', 'risk.currencies_allow', 'risk.settlements_deny.0']);
    assert.match(problems[0]?.message ?? '', /instrument/);
    assert.match(problems[1]?.message ?? '', /agent code written as a string/);
    assert.match(problems[2]?.message ?? '', /must not repeat/);
    assert.match(problems[3]?.message ?? '', /T0 or T1/);
  });
});
