import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, parseConfig, type AuditEntry, type RiskConfig } from '@qsen/core';
import { makeTempDir, ManualClock } from '@qsen/testkit';
import { createRiskControls, type RiskControls, type RiskOrderWithId } from '../src/risk/controls.js';

const TZ = 'America/Argentina/Buenos_Aires';
// 2026-12-01 12:00 in Buenos Aires (UTC-3).
const NOON = Date.parse('2026-12-01T15:00:00Z');
const SENEBI = '[senebi]\nurl = "https://senebi.example"\nca = "x"\ncert = "x"\nkey = "x"\npassphrase_file = "x"\n';

const order = (id: string, fields: Partial<RiskOrderWithId> = {}): RiskOrderWithId => ({ id, instrument: 'AL30', quantity: '1000', price: '100', currency: 'ARS', settlement: 'T1', counterparty: '210', ...fields });

interface Setup {
  controls: RiskControls;
  clock: ManualClock;
  audit: AuditEntry[];
  dir: string;
  writeRisk(text: string): void;
  writePrices(text: string): void;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(riskToml: string, prices?: string, startMs = NOON): Setup {
  const tmp = makeTempDir('qsen-risk-');
  cleanups.push(() => tmp.remove());
  const conf = join(tmp.path, 'conf.toml');
  const writeRisk = (text: string): void => writeFileSync(conf, `${SENEBI}[risk]\n${text}\n`);
  const writePrices = (text: string): void => writeFileSync(join(tmp.path, 'prices.toml'), text);
  writeRisk(riskToml);
  if (prices !== undefined) writePrices(prices);
  const read = (): RiskConfig => parseConfig(readFileSync(conf, 'utf8'), conf, { checkFiles: false }).risk;
  const clock = new ManualClock(startMs);
  const audit: AuditEntry[] = [];
  const controls = createRiskControls({ risk: read(), timezone: TZ, clock, readRiskConfig: read, audit: { record: (e) => audit.push(e) } });
  return { controls, clock, audit, dir: tmp.path, writeRisk, writePrices };
}

function refusalOf(fn: () => void): Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 'RISK_LIMIT_EXCEEDED');
    assert.equal(err.status, 422);
    return { ...err.details };
  }
  assert.fail('the order was admitted');
}

describe('risk controls: consumption', () => {
  test('64 concurrent orders against a daily limit of 10 admit exactly 10', async () => {
    const { controls } = setup('max_daily_orders = 10');
    const results = await Promise.allSettled(Array.from({ length: 64 }, async (_, i) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      controls.admit(order(String(i)));
    }));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
    assert.deepEqual(controls.summary().refusals, { daily_orders: 54 });
  });

  test('an identical resend does not count twice; a rejection gives the consumption back, unknown keeps it', () => {
    const { controls } = setup('max_daily_orders = 2');
    controls.admit(order('1'));
    controls.admit(order('1'));
    controls.admit(order('2'));
    assert.deepEqual(refusalOf(() => controls.admit(order('3'))), { limit: 'daily_orders', value: '3', max: '2' });
    controls.settle('2', 'unknown');
    assert.equal(refusalOf(() => controls.admit(order('3')))['limit'], 'daily_orders');
    controls.settle('2', 'rejected');
    controls.admit(order('3'));
    controls.settle('3', 'not_sent');
    controls.admit(order('4'));
    assert.equal(refusalOf(() => controls.admit(order('5')))['limit'], 'daily_orders');
  });

  test('keep counts an order admitted before without checking it again, once', () => {
    const { controls } = setup('max_daily_orders = 1\nmax_order_quantity = "10"');
    controls.keep(order('1', { quantity: '5000' }));
    controls.keep(order('1', { quantity: '5000' }));
    assert.equal(((controls.view()['limits'] as Array<Record<string, unknown>>).find((l) => l['limit'] === 'daily_orders'))?.['used'], '1');
    assert.equal(refusalOf(() => controls.admit(order('2', { quantity: '1' })))['limit'], 'daily_orders');
  });

  test('the day counters reset at local midnight in the schedule\'s zone (ManualClock)', () => {
    // 23:59:30 in Buenos Aires = 02:59:30 UTC the next day.
    const { controls, clock } = setup('max_daily_notional = { ARS = "2000" }', undefined, Date.parse('2026-12-02T02:59:30Z'));
    controls.admit(order('1'));
    controls.admit(order('2'));
    assert.deepEqual(refusalOf(() => controls.admit(order('3'))), { limit: 'daily_notional.ARS', value: '3000', max: '2000' });
    assert.equal(controls.view()['day'], '2026-12-01');
    clock.advance(29_999);
    assert.equal(refusalOf(() => controls.admit(order('3')))['limit'], 'daily_notional.ARS');
    clock.advance(1);
    controls.admit(order('3'));
    assert.equal(controls.view()['day'], '2026-12-02');
    // Yesterday's order settles today: nothing of today's usage is given back.
    controls.settle('1', 'rejected');
    controls.admit(order('4'));
    assert.equal(refusalOf(() => controls.admit(order('5')))['value'], '3000');
  });

  test('rebuild counts today\'s journaled orders that SENEBI did not refuse', () => {
    const { controls } = setup('max_daily_orders = 3');
    controls.rebuild([
      { order: order('1'), state: 'accepted', receivedAt: '2026-12-01T14:00:00.000Z' },
      { order: order('2'), state: 'unknown', receivedAt: '2026-12-01T14:01:00.000Z' },
      { order: order('3'), state: 'rejected', receivedAt: '2026-12-01T14:02:00.000Z' },
      { order: order('4'), state: 'not_sent', receivedAt: '2026-12-01T14:03:00.000Z' },
      // Yesterday in Buenos Aires (02:00 UTC = 23:00 local on Nov 30).
      { order: order('5'), state: 'accepted', receivedAt: '2026-12-01T02:00:00.000Z' },
    ]);
    controls.admit(order('1'));
    controls.admit(order('6'));
    assert.equal(refusalOf(() => controls.admit(order('7')))['value'], '4');
  });

  test('the rate limits count admissions per second and per minute', () => {
    const { controls, clock } = setup('max_orders_per_second = 2\nmax_orders_per_minute = 3');
    controls.admit(order('1'));
    controls.admit(order('2'));
    assert.deepEqual(refusalOf(() => controls.admit(order('3'))), { limit: 'orders_per_second', value: '3', max: '2' });
    clock.advance(1000);
    controls.admit(order('3'));
    clock.advance(1000);
    assert.deepEqual(refusalOf(() => controls.admit(order('4'))), { limit: 'orders_per_minute', value: '4', max: '3' });
    clock.advance(58_001);
    controls.admit(order('4'));
  });
});

describe('risk controls: operator changes', () => {
  test('an override holds until its expiry, then the file value returns; both audited with before and after', () => {
    const { controls, clock, audit } = setup('max_daily_orders = 1');
    controls.admit(order('1'));
    assert.equal(refusalOf(() => controls.admit(order('2')))['max'], '1');
    const expiresAt = new Date(NOON + 3600_000).toISOString();
    const view = controls.override({ limit: 'daily_orders', value: 3, reason: 'client request #42', expiresAt }, { subject: 'CN=desk-operator,OU=operator', requestId: 'r' });
    assert.equal((view as { max: string }).max, '3');
    controls.admit(order('2'));
    controls.admit(order('3'));
    assert.equal(refusalOf(() => controls.admit(order('4')))['max'], '3');
    clock.advance(3600_000);
    assert.deepEqual(refusalOf(() => controls.admit(order('4'))), { limit: 'daily_orders', value: '4', max: '1' });
    const changes = audit.filter((e) => e.action === 'risk.override');
    assert.deepEqual(changes.map((e) => [e.outcome, e.details?.['change'], e.subject, e.details?.['before'], e.details?.['after'], e.details?.['reason']]), [
      ['done', 'set', 'CN=desk-operator,OU=operator', '1', '3', 'client request #42'],
      ['done', 'expired', 'CN=desk-operator,OU=operator', '3', '1', 'client request #42'],
    ]);
  });

  test('an override may set a limit the file does not have, and be lifted', () => {
    const { controls } = setup('');
    controls.override({ limit: 'order_notional.USD', value: '1000', reason: 'tight today', expiresAt: new Date(NOON + 60_000).toISOString() }, { subject: 'op', requestId: 'r' });
    assert.deepEqual(refusalOf(() => controls.admit(order('1', { currency: 'USD', price: '100.000001' }))), { limit: 'order_notional.USD', value: '1000.00001', max: '1000' });
    assert.deepEqual(controls.override({ limit: 'order_notional.USD', value: null, reason: 'done' }, { subject: 'op', requestId: 'r' }), { limit: 'order_notional.USD', lifted: true });
    controls.admit(order('1', { currency: 'USD', price: '100.000001' }));
  });

  test('bad override requests are refused with the field', () => {
    const { controls } = setup('');
    const bad = (body: Record<string, unknown>, field: string): void => {
      assert.throws(() => controls.override(body, { subject: 'op', requestId: 'r' }), (err: unknown) => err instanceof ApiError && err.code === 'INVALID_REQUEST' && err.details?.['field'] === field);
    };
    const future = new Date(NOON + 60_000).toISOString();
    bad({ limit: 'daily_order', value: 1, reason: 'x', expiresAt: future }, 'limit');
    bad({ limit: 'daily_orders', value: '1.5', reason: 'x', expiresAt: future }, 'value');
    bad({ limit: 'order_notional.ARS', value: 5, reason: 'x', expiresAt: future }, 'value');
    bad({ limit: 'daily_orders', value: 1, reason: '', expiresAt: future }, 'reason');
    bad({ limit: 'daily_orders', value: 1, reason: 'x', expiresAt: new Date(NOON).toISOString() }, 'expiresAt');
    bad({ limit: 'daily_orders', value: 1, reason: 'x', expiresAt: new Date(NOON + 8 * 86_400_000).toISOString() }, 'expiresAt');
    bad({ limit: 'price_band', value: '101', reason: 'x', expiresAt: future }, 'value');
  });

  test('reload applies the edited file and audits every change; a broken file keeps the limits in force and says why', () => {
    const { controls, audit, writeRisk, writePrices } = setup('max_order_quantity = "1000"\nreference_prices_file = "prices.toml"\nprice_band_percent = "5"', 'AL30 = "100"\n');
    assert.equal(refusalOf(() => controls.admit(order('1', { quantity: '1001' })))['limit'], 'order_quantity');
    writeRisk('max_order_quantity = "2000"\nreference_prices_file = "prices.toml"\nprice_band_percent = "5"');
    writePrices('AL30 = "110"\n');
    const outcome = controls.reload({ subject: 'CN=op', requestId: 'r' }, 'raise for the auction');
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.changes, [
      { key: 'limit.order_quantity', before: '1000', after: '2000' },
      { key: 'reference_price.AL30', before: '100', after: '110' },
    ]);
    controls.admit(order('1', { quantity: '1001', price: '115' }));
    assert.equal(audit.at(-1)?.action, 'risk.reload');
    assert.equal(audit.at(-1)?.outcome, 'done');
    assert.equal(audit.at(-1)?.details?.['change'], 'changed');

    writeRisk('max_order_quantity = 2000\nfoo = 1');
    const broken = controls.reload({ subject: 'SIGHUP', requestId: 'r' }, 'signal');
    assert.equal(broken.ok, false);
    assert.deepEqual(!broken.ok && [...broken.problems].sort(), ['risk.foo: unknown key', 'risk.max_order_quantity: write amounts as strings, e.g. "2000" (a TOML number may be a binary float)']);
    assert.equal(refusalOf(() => controls.admit(order('2', { quantity: '2001', price: '110' })))['limit'], 'order_quantity');
    assert.deepEqual((controls.view()['lastReload'] as Record<string, unknown>)['ok'], false);
    assert.equal(audit.at(-1)?.outcome, 'failed');

    writeRisk('max_order_quantity = "2000"\nreference_prices_file = "prices.toml"\nprice_band_percent = "5"');
    writePrices('AL30 = 110\n');
    const badPrices = controls.reload({ subject: 'op', requestId: 'r' }, 'x');
    assert.ok(!badPrices.ok && badPrices.problems[0]?.endsWith('AL30: write the price as a string, e.g. "1234.5"'));
    assert.equal(refusalOf(() => controls.admit(order('2', { price: '116' })))['limit'], 'price_band.AL30');
  });

  test('operator reference prices feed the collar; prices outside the band never move the reference', () => {
    const { controls, audit } = setup('price_band_percent = "1"');
    assert.equal(refusalOf(() => controls.admit(order('1')))['limit'], 'price_band.unreferenced');
    assert.equal(controls.setReferencePrices({ AL30: '100' }, 'last close', { subject: 'CN=op', requestId: 'r' }), 1);
    controls.admit(order('1', { price: '101' }));
    assert.deepEqual(refusalOf(() => controls.admit(order('2', { price: '101.000001' }))), { limit: 'price_band.AL30', value: '101.000001', max: '101', min: '99', reference: '100' });
    assert.equal(refusalOf(() => controls.admit(order('3', { price: '101.5' })))['reference'], '100');
    assert.throws(() => controls.setReferencePrices({ al30: '1' }, 'x', { subject: 'op', requestId: 'r' }), (err: unknown) => err instanceof ApiError && err.code === 'INVALID_REQUEST');
    assert.deepEqual(audit.at(-1)?.details, { change: 'set', reason: 'last close', changes: [{ key: 'reference_price.AL30', before: null, after: '100' }] });
  });
});

describe('risk controls: visibility', () => {
  test('view shows limits in force with usage, headroom and ratio; the refusal label set is closed', () => {
    const { controls } = setup('max_daily_notional = { ARS = "10000" }\nmax_daily_instrument_notional = { ARS = "4000" }\nmax_daily_orders = 4\nmax_order_quantity = "5000"\nprice_band_percent = "5"\nunreferenced = "allow"\ninstruments_deny = ["TX26"]');
    controls.setReferencePrices({ AL30: '100' }, 'close', { subject: 'op', requestId: 'r' });
    controls.admit(order('1'));
    controls.admit(order('2', { instrument: 'GD30', quantity: '3000' }));
    const view = controls.view();
    const limits = view['limits'] as Array<Record<string, unknown>>;
    const byName = new Map(limits.map((l) => [l['limit'], l]));
    assert.deepEqual([...byName.keys()], ['order_quantity', 'daily_notional.ARS', 'daily_instrument_notional.ARS', 'daily_orders', 'price_band']);
    assert.deepEqual(
      [byName.get('daily_notional.ARS')?.['used'], byName.get('daily_notional.ARS')?.['headroom'], byName.get('daily_notional.ARS')?.['usageRatio']],
      ['4000', '6000', 0.4],
    );
    assert.equal(byName.get('daily_instrument_notional.ARS')?.['usageRatio'], 0.75);
    assert.deepEqual(byName.get('daily_instrument_notional.ARS')?.['instruments'], [
      { instrument: 'AL30', used: '1000', headroom: '3000', usageRatio: 0.25 },
      { instrument: 'GD30', used: '3000', headroom: '1000', usageRatio: 0.75 },
    ]);
    assert.equal(byName.get('daily_orders')?.['used'], '2');
    assert.equal(byName.get('order_quantity')?.['used'], undefined);
    assert.deepEqual(controls.usageRatios(), [
      { limit: 'daily_notional.ARS', ratio: 0.4 },
      { limit: 'daily_instrument_notional.ARS', ratio: 0.75 },
      { limit: 'daily_orders', ratio: 0.5 },
    ]);
    assert.deepEqual(controls.refusalLimits(), ['order_quantity', 'daily_notional.ARS', 'daily_instrument_notional.ARS', 'daily_orders', 'price_band.AL30', 'instrument_denied', 'counterparty_denied', 'currency_denied', 'settlement_denied']);
    assert.deepEqual((view['collar'] as Record<string, unknown>)['referencePrices'], [{ instrument: 'AL30', price: '100', source: 'operator', setAt: new Date(NOON).toISOString(), by: 'op', reason: 'close' }]);
  });
});
