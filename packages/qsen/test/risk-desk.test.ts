/**
 * The risk checks in the running node: over mutual TLS, against the SENEBI double, with the real
 * journal file; concurrency, release on rejection, unknown delivery, restart, day rollover,
 * reload and overrides through the endpoints, metrics and audit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '@qsen/testkit';
import { startHarness, orderJson, type Harness } from './support/node.js';
import { startSenebiDouble } from './support/senebi-double.js';
import { makeTestState } from './support/state.js';

// 2026-12-01 12:00 in Buenos Aires (UTC-3).
const NOON = Date.parse('2026-12-01T15:00:00Z');
const id = (n: number): string => `99990000000000${String(n).padStart(5, '0')}`;
const errorOf = (json: Record<string, unknown>): Record<string, unknown> => (json['error'] ?? {}) as Record<string, unknown>;

const QSENCTL = fileURLToPath(new URL('../../../ctl/dist/src/main.js', import.meta.url));

/** Runs the real qsenctl as the operator against the harness (a profile with its port and files). */
function qsenctl(h: Harness, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = join(h.state.home, 'ctl');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'operator.crt'), h.state.clients.operator.certPem);
  writeFileSync(join(dir, 'operator.key'), h.state.clients.operator.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), h.state.ca);
  writeFileSync(join(dir, 'profile.toml'), `host = "127.0.0.1"\nca = "ca.crt"\ncert = "operator.crt"\nkey = "operator.key"\nqsen_port = ${h.node.port}\n`);
  return new Promise((resolve) => {
    execFile(process.execPath, [QSENCTL, '--profile', join(dir, 'profile.toml'), ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function journalOrderIds(h: Harness): string[] {
  const text = readFileSync(join(h.state.home, 'data', 'journal.log'), 'utf8');
  return text.split('\n').filter((l) => l.includes('"type":"order"')).map((l) => /"id":"(\d+)"/.exec(l)?.[1] ?? '');
}

async function usageOf(h: Harness, limit: string): Promise<Record<string, unknown> | undefined> {
  const r = await h.call('GET', '/qsen/v1/risk', undefined, 'auditor');
  assert.equal(r.status, 200, r.body);
  return (r.json['limits'] as Array<Record<string, unknown>>).find((l) => l['limit'] === limit);
}

describe('risk in the node: a daily limit under 64 concurrent orders, restart and rollover', () => {
  const clock = new ManualClock(NOON);
  const state = makeTestState({ senebiPort: 0 });
  let senebi: Awaited<ReturnType<typeof startSenebiDouble>>;
  let h: Harness;
  before(async () => {
    senebi = await startSenebiDouble({ ...state.senebiServer, clientCa: state.agentCa });
    h = await startHarness({ clock, state, senebi, settings: { risk: 'max_daily_orders = 10\nmax_daily_notional = { ARS = "1000000" }' } });
  });
  after(async () => {
    await h.close();
    await senebi.close();
    state.remove();
  });

  test('64 concurrent orders against a daily limit of 10: exactly 10 accepted, nothing refused is journaled or sent', async () => {
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => h.call('POST', '/qsen/v1/sendOrder', orderJson(id(i)))));
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 422);
    assert.equal(accepted.length, 10, JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 422).map((a) => a.body)));
    assert.equal(refused.length, 54);
    for (const r of refused) assert.deepEqual(errorOf(r.json)['details'], { limit: 'daily_orders', value: '11', max: '10' });
    assert.equal(errorOf(refused[0]?.json ?? {})['code'], 'RISK_LIMIT_EXCEEDED');
    assert.equal([...senebi.posts.values()].reduce((a, b) => a + b, 0), 10);
    await h.node.journal.flush();
    assert.equal(journalOrderIds(h).length, 10);
    const audited = h.audit.filter((e) => e.action === 'sendOrder' && e.outcome === 'refused');
    assert.equal(audited.length, 54);
    assert.deepEqual({ ...audited[0]?.details, orderId: undefined }, { orderId: undefined, code: 'RISK_LIMIT_EXCEEDED', limit: 'daily_orders', value: '11', max: '10' });
    const metrics = await h.call('GET', '/qsen/v1/metrics/process');
    assert.match(metrics.body, /^qsen_risk_refusals_total\{limit="daily_orders"\} 54$/m);
    assert.match(metrics.body, /^qsen_risk_refusals_total\{limit="daily_notional.ARS"\} 0$/m);
    assert.match(metrics.body, /^qsen_risk_usage_ratio\{limit="daily_orders"\} 1$/m);
    // 10 x (1000 x 1234.5 / 100) = 123450 of 1000000
    assert.match(metrics.body, /^qsen_risk_usage_ratio\{limit="daily_notional.ARS"\} 0.12345$/m);
    const status = await h.call('GET', '/qsen/v1/status', undefined, 'auditor');
    assert.deepEqual(status.json['risk'], { active: true, usage: [{ limit: 'daily_notional.ARS', ratio: 0.12345 }, { limit: 'daily_orders', ratio: 1 }], refusals: { daily_orders: 54 } });
  });

  test('identical resends of accepted orders answer 200 and do not count again', async () => {
    const accepted = journalOrderIds(h);
    for (const orderId of accepted.slice(0, 3)) {
      const again = await h.call('POST', '/qsen/v1/sendOrder', orderJson(orderId));
      assert.equal(again.status, 200, again.body);
    }
    assert.equal((await usageOf(h, 'daily_orders'))?.['used'], '10');
    assert.equal((await usageOf(h, 'daily_notional.ARS'))?.['used'], '123450');
  });

  test('after a restart over the same journal, today\'s usage is the same and the limit still holds', async () => {
    await h.close();
    h = await startHarness({ clock, state, senebi, settings: { risk: 'max_daily_orders = 10\nmax_daily_notional = { ARS = "1000000" }' } });
    assert.equal((await usageOf(h, 'daily_orders'))?.['used'], '10');
    assert.equal((await usageOf(h, 'daily_notional.ARS'))?.['used'], '123450');
    const r = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(100)));
    assert.equal(r.status, 422, r.body);
    assert.equal((errorOf(r.json)['details'] as Record<string, unknown>)['limit'], 'daily_orders');
  });

  test('at the day boundary in the schedule\'s zone the counters start again', async () => {
    // 23:59:59.999 local, then midnight.
    clock.set(Date.parse('2026-12-02T02:59:59.999Z'));
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(101)))).status, 422);
    clock.advance(1);
    const r = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(101)));
    assert.equal(r.status, 200, r.body);
    const view = await h.call('GET', '/qsen/v1/risk', undefined, 'platform');
    assert.equal(view.json['day'], '2026-12-02');
    assert.equal((await usageOf(h, 'daily_orders'))?.['used'], '1');
  });
});

describe('risk in the node: release on rejection, unknown delivery, operator endpoints', () => {
  let h: Harness;
  // The daily counters roll over at midnight in Buenos Aires: on the real clock a run at 03:00 UTC
  // would see "used" drop to 0 between two calls. The node's clock stays at noon.
  const clock = new ManualClock(NOON);
  before(async () => {
    h = await startHarness({ clock, settings: { risk: 'max_daily_orders = 1\nmax_order_quantity = "1000"' } });
  });
  after(async () => {
    await h.close();
  });

  test('exactly at the per-order limit passes, one unit over is refused and never reaches SENEBI', async () => {
    const over = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(1), { quantity: '1001' }));
    assert.equal(over.status, 422);
    assert.deepEqual(errorOf(over.json)['details'], { limit: 'order_quantity', value: '1001', max: '1000' });
    assert.equal(h.senebi.posts.has(id(1)), false);
    // The refused id is not burnt: the same id with an acceptable content goes through.
    const rejected = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(1), { quantity: '1000', instrument: 'REJ' }));
    assert.equal(rejected.status, 200, rejected.body);
    assert.equal((rejected.json['order'] as Record<string, unknown>)['status'], 'rejected');
  });

  test('a SENEBI rejection gives the consumption back; an unknown delivery keeps it', async () => {
    assert.equal((await usageOf(h, 'daily_orders'))?.['used'], '0');
    h.senebi.fault = 'error_after_store';
    const unknown = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(2)));
    assert.equal(unknown.status, 502, unknown.body);
    h.senebi.fault = 'none';
    assert.equal((await usageOf(h, 'daily_orders'))?.['used'], '1');
    const refused = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(3)));
    assert.equal(refused.status, 422);
    // The platform's retry of the unknown order is not a new order: it holds its reservation.
    const retry = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(2)));
    assert.equal(retry.status, 200, retry.body);
    assert.equal((await usageOf(h, 'daily_orders'))?.['used'], '1');
  });

  test('GET /qsen/v1/risk answers every role; the changes are operator-only', async () => {
    for (const role of ['platform', 'operator', 'auditor'] as const) assert.equal((await h.call('GET', '/qsen/v1/risk', undefined, role)).status, 200);
    assert.equal((await h.call('GET', '/qsen/v1/risk', undefined, 'stranger')).status, 403);
    const body = JSON.stringify({ limit: 'daily_orders', value: '3', reason: 'x', expiresAt: new Date(clock.now() + 60_000).toISOString() });
    for (const role of ['platform', 'auditor'] as const) {
      assert.equal((await h.call('POST', '/qsen/v1/risk/override', body, role)).status, 403);
      assert.equal((await h.call('POST', '/qsen/v1/risk/reload', '{}', role)).status, 403);
      assert.equal((await h.call('POST', '/qsen/v1/risk/reference-prices', '{"prices": {"AL30": "1"}, "reason": "x"}', role)).status, 403);
    }
  });

  test('an operator override raises the limit (audited with who, before, after, reason); unknown fields are refused', async () => {
    const body = JSON.stringify({ limit: 'daily_orders', value: 2, reason: 'desk approval 17', expiresAt: new Date(clock.now() + 3600_000).toISOString() });
    const r = await h.call('POST', '/qsen/v1/risk/override', body, 'operator');
    assert.equal(r.status, 200, r.body);
    assert.equal((r.json['override'] as Record<string, unknown>)['max'], '2');
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(3)))).status, 200);
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(4)))).status, 422);
    const audited = h.audit.find((e) => e.action === 'risk.override');
    assert.ok(audited?.subject.includes('CN=desk-operator'));
    assert.deepEqual([audited?.outcome, audited?.details?.['change'], audited?.details?.['before'], audited?.details?.['after'], audited?.details?.['reason']], ['done', 'set', '1', '2', 'desk approval 17']);
    const extra = await h.call('POST', '/qsen/v1/risk/override', JSON.stringify({ limit: 'daily_orders', value: 2, reason: 'x', expiresAt: '2999-01-01T00:00:00Z', colour: 'red' }), 'operator');
    assert.equal(extra.status, 400);
    assert.equal(errorOf(extra.json)['code'], 'INVALID_REQUEST');
  });

  test('reload: an edited conf.toml takes effect; a broken one answers 422 RISK_CONFIG_INVALID and keeps the limits', async () => {
    const conf = h.state.confFile;
    const text = readFileSync(conf, 'utf8');
    writeFileSync(conf, text.replace('max_order_quantity = "1000"', 'max_order_quantity = "500"'));
    const ok = await h.call('POST', '/qsen/v1/risk/reload', '{"reason": "tighter"}', 'operator');
    assert.equal(ok.status, 200, ok.body);
    assert.deepEqual(ok.json['changes'], [{ key: 'limit.order_quantity', before: '1000', after: '500' }]);
    writeFileSync(conf, text.replace('max_order_quantity = "1000"', 'max_order_quantity = 2000'));
    const bad = await h.call('POST', '/qsen/v1/risk/reload', '{}', 'operator');
    assert.equal(bad.status, 422, bad.body);
    assert.equal(errorOf(bad.json)['code'], 'RISK_CONFIG_INVALID');
    assert.match(String((errorOf(bad.json)['details'] as Record<string, unknown>)['problems']), /risk.max_order_quantity: write amounts as strings/);
    assert.equal((await usageOf(h, 'order_quantity'))?.['max'], '500');
    const view = await h.call('GET', '/qsen/v1/risk', undefined, 'operator');
    assert.equal((view.json['lastReload'] as Record<string, unknown>)['ok'], false);
    // The same through qsenctl: exit 1 with the code and the problem; the table says the reload failed.
    const ctlReload = await qsenctl(h, ['risk', 'reload', '--reason', 'via qsenctl']);
    assert.equal(ctlReload.code, 1, ctlReload.stderr);
    assert.match(ctlReload.stderr, /RISK_CONFIG_INVALID \(HTTP 422\).*risk.max_order_quantity: write amounts as strings/);
    const table = await qsenctl(h, ['risk']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^daily_orders +2 +2 +0 +\[#{20}\] 100% +override until /m);
    assert.match(table.stdout, /^order_quantity +500 +- +- +file$/m);
    assert.match(table.stdout, /last reload: .* FAILED \(limits kept\)/);
    const json = await qsenctl(h, ['risk', '--json']);
    assert.equal(json.code, 0);
    assert.equal((JSON.parse(json.stdout) as Record<string, unknown>)['day'], view.json['day']);
    writeFileSync(conf, text);
    const fixed = await qsenctl(h, ['risk', 'reload']);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /^reloaded: 1 change\(s\)\nKEY +BEFORE +AFTER\nlimit.order_quantity +500 +1000$/m);
  });
});

describe('risk in the node: the resend of an order whose delivery is unknown', () => {
  const clock = new ManualClock(NOON);
  let h: Harness;
  before(async () => {
    h = await startHarness({ clock, settings: { risk: 'max_order_quantity = "1000"' } });
  });
  after(async () => {
    await h.close();
  });

  test('is never refused by a limit tightened since it was first admitted, even on the next day (SENEBI may hold it)', async () => {
    h.senebi.fault = 'error_before_store';
    const first = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(1)));
    assert.equal(first.status, 502, first.body);
    assert.equal((errorOf(first.json)['details'] as Record<string, unknown>)['delivery'], 'unknown');
    h.senebi.fault = 'none';
    // The next trading day: the reservation of yesterday is gone, and the limit is tighter.
    clock.advance(24 * 3600_000);
    const tighten = JSON.stringify({ limit: 'order_quantity', value: '10', reason: 'tighter', expiresAt: new Date(clock.now() + 3600_000).toISOString() });
    assert.equal((await h.call('POST', '/qsen/v1/risk/override', tighten, 'operator')).status, 200);
    const retry = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(1)));
    assert.equal(retry.status, 200, retry.body);
    assert.equal((retry.json['order'] as Record<string, unknown>)['status'], 'accepted');
    // A new order is checked against the tightened limit.
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id(2)))).status, 422);
  });
});
