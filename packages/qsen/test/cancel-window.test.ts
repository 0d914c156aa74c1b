// cancelOrder and the trading window (injected clock), its audit lines and its metric: a cancel
// that would reach SENEBI outside the window is 409 MARKET_CLOSED (as sendOrder) and sends
// nothing; a final result is answered again from qsen's record at any hour.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '@qsen/testkit';
import { orderJson, startHarness, type Harness } from './support/node.js';

// Buenos Aires is UTC-3. 2026-11-20 is a Friday.
const schedule = ['timezone = "America/Argentina/Buenos_Aires"', 'start = "10:30"', 'stop = "17:30"', 'days = ["mon", "tue", "wed", "thu", "fri"]', 'holidays = []'].join('\n');
const OPEN = Date.parse('2026-11-20T15:00:00.000Z');
const CLOSED = Date.parse('2026-11-20T21:00:00.000Z');

describe('cancelOrder and the trading window', () => {
  const clock = new ManualClock(OPEN);
  let h: Harness;
  before(async () => {
    h = await startHarness({ clock, settings: { schedule } });
  });
  after(async () => {
    await h.close();
  });

  const cancel = (id: string) => h.call('POST', '/qsen/v1/cancelOrder', JSON.stringify({ id }));
  const cancelLines = () => h.audit.filter((e) => e.action === 'cancelOrder');

  test('outside the window a cancel is 409 MARKET_CLOSED and nothing is journaled or sent; inside it goes through', async () => {
    clock.set(OPEN);
    const id = '9999000000000031001';
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id))).status, 200);
    clock.set(CLOSED);
    const closed = await cancel(id);
    assert.equal(closed.status, 409, closed.body);
    assert.equal((closed.json['error'] as { code: string }).code, 'MARKET_CLOSED');
    assert.equal(h.senebi.orders.get(id)?.['status'], 'accepted', 'SENEBI was not asked');
    assert.equal(h.node.desk.isStopped(), false);
    clock.set(OPEN);
    const done = await cancel(id);
    assert.equal(done.status, 200, done.body);
    assert.equal((done.json['order'] as { status: string }).status, 'cancelled');
    assert.equal(h.senebi.orders.get(id)?.['status'], 'cancelled');
  });

  test('a final result is answered again outside the window, and audited as replayed', async () => {
    const id = '9999000000000031001';
    clock.set(CLOSED);
    const again = await cancel(id);
    assert.equal(again.status, 200, again.body);
    const lines = cancelLines().filter((e) => e.details?.['orderId'] === id).map((e) => [e.outcome, e.code ?? null]);
    assert.deepEqual(lines, [['refused', 'MARKET_CLOSED'], ['done', null], ['replayed', null]]);
  });

  test('unknown and out-of-range ids are refused with ORDER_NOT_FOUND in the audit, and counted under closed labels', async () => {
    clock.set(OPEN);
    assert.equal((await cancel('9999000000000031099')).status, 404);
    assert.equal((await cancel('1')).status, 404);
    const refused = cancelLines().filter((e) => e.code === 'ORDER_NOT_FOUND').map((e) => e.details?.['orderId']);
    assert.deepEqual(refused, ['9999000000000031099', '1']);
    const metrics = await h.call('GET', '/qsen/v1/metrics/process', undefined, 'auditor');
    const series = Object.fromEntries(metrics.body.split('\n').filter((l) => l.startsWith('qsen_cancels_total{')).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
    assert.deepEqual(series, {
      'qsen_cancels_total{result="cancelled"}': 1,
      'qsen_cancels_total{result="not_cancellable"}': 0,
      'qsen_cancels_total{result="not_found"}': 2,
      'qsen_cancels_total{result="replayed"}': 1,
      'qsen_cancels_total{result="refused"}': 1,
      'qsen_cancels_total{result="failed"}': 0,
    });
  });
});

describe('cancelOrder when SENEBI contradicts itself (SENEBI double)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });
  const cancel = (id: string) => h.call('POST', '/qsen/v1/cancelOrder', JSON.stringify({ id }));
  const errorOf = (r: { json: Record<string, unknown> }) => r.json['error'] as { code: string; details: Record<string, unknown> };

  test('SENEBI denies an order it accepted: 502 delivery unknown, problem cancel_order_missing, never a final answer', async () => {
    const id = '9999000000000032001';
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id))).status, 200);
    h.senebi.orders.delete(id);
    for (let i = 0; i < 2; i += 1) {
      const r = await cancel(id);
      assert.equal(r.status, 502, r.body);
      assert.deepEqual([errorOf(r).code, errorOf(r).details['delivery'], errorOf(r).details['problem']], ['SENEBI_ERROR', 'unknown', 'cancel_order_missing']);
    }
    const status = await h.call('GET', '/qsen/v1/status', undefined, 'auditor');
    assert.equal(((status.json['senebi'] as Record<string, unknown>)['contradictions'] as Record<string, number>)['cancel_order_missing'], 2);
  });

  test('SENEBI\'s cancelled record differs from the order: 502 record_differs; the cancel stays unknown', async () => {
    const id = '9999000000000032002';
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson(id))).status, 200);
    h.senebi.orders.set(id, { ...h.senebi.orders.get(id), quantity: '7' });
    const r = await cancel(id);
    assert.equal(r.status, 502, r.body);
    assert.equal(errorOf(r).details['problem'], 'record_differs');
    assert.equal(h.node.cancels.inFlightCount(), 0);
  });
});
