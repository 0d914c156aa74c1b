import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpsCall } from '@qsen/testkit';
import { startHarness, orderJson, type Harness } from './support/node.js';

const MIN = '9999000000000000000';
const MAX = '9999999999999999999';
const BELOW = '9998999999999999999';
const ABOVE = '10000000000000000000';

describe('qsen API over mutual TLS against a SENEBI stand-in', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ settings: { timeoutMs: 2000 } });
  });
  after(async () => {
    await h.close();
  });

  test('sendOrder forwards once and answers the stored order with SENEBI\'s answer, ids as strings', async () => {
    const r = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000001'));
    assert.equal(r.status, 200, r.body);
    const order = r.json['order'] as Record<string, unknown>;
    assert.equal(order['id'], '9999000000000000001');
    assert.equal(order['status'], 'accepted');
    assert.equal(order['price'], '1234.5');
    assert.equal((order['senebi'] as Record<string, unknown>)['id'], '9999000000000000001');
    assert.equal(h.senebi.posts.get('9999000000000000001'), 1);
    const entry = h.audit.find((e) => e.action === 'sendOrder' && e.details?.['orderId'] === '9999000000000000001');
    assert.ok(entry && entry.subject.includes('CN=quantex') && entry.outcome === 'accepted', JSON.stringify(entry));
  });

  test('range edges: min-1 and max+1 are refused with 403, min and max pass, as strings and as numbers', async () => {
    for (const asNumber of [false, true]) {
      const below = await h.call('POST', '/qsen/v1/sendOrder', orderJson(BELOW, {}, asNumber));
      assert.equal(below.status, 403, below.body);
      assert.equal((below.json['error'] as Record<string, unknown>)['code'], 'ID_OUT_OF_RANGE');
      const above = await h.call('POST', '/qsen/v1/sendOrder', orderJson(ABOVE, {}, asNumber));
      assert.equal(above.status, 403, above.body);
      for (const id of [MIN, MAX]) {
        const ok = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id, {}, asNumber));
        assert.equal(ok.status, 200, ok.body);
        assert.equal((ok.json['order'] as Record<string, unknown>)['id'], id);
      }
    }
    assert.equal(h.senebi.posts.get(MIN), 1);
    assert.equal(h.senebi.posts.get(MAX), 1);
    assert.equal(h.senebi.posts.has(BELOW), false);
    assert.equal(h.senebi.posts.has(ABOVE), false);
  });

  test('same id and content answers the first result without resending; other content is 409 DUPLICATE_ORDER_ID', async () => {
    const id = '9999000000000000010';
    const first = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
    const again = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id, { price: '1234.500' }));
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, first.json);
    const other = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id, { quantity: '999' }));
    assert.equal(other.status, 409);
    assert.equal((other.json['error'] as Record<string, unknown>)['code'], 'DUPLICATE_ORDER_ID');
    assert.equal(h.senebi.posts.get(id), 1);
  });

  test('concurrent identical requests reach SENEBI once and all get the same answer', async () => {
    const id = '9999000000000000020';
    h.senebi.delayMs = 50;
    try {
      const answers = await Promise.all(Array.from({ length: 16 }, () => h.call('POST', '/qsen/v1/sendOrder', orderJson(id))));
      assert.deepEqual(answers.map((a) => a.status), Array(16).fill(200));
      assert.equal(new Set(answers.map((a) => a.body)).size, 1);
    } finally {
      h.senebi.delayMs = 0;
    }
    assert.equal(h.senebi.posts.get(id), 1);
  });

  test('invalid bodies: 400 INVALID_REQUEST naming the field, 400 INVALID_JSON, 413 beyond 64 KiB', async () => {
    const bad = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000030', { side: 'short' }));
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.json['error'] as Record<string, unknown>)['code'], 'INVALID_REQUEST');
    assert.equal(((bad.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['field'], 'side');
    const unknown = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000030').replace('}', ', "note": "x"}'));
    assert.equal(((unknown.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['field'], 'note');
    const json = await h.call('POST', '/qsen/v1/sendOrder', '{"id": ');
    assert.equal((json.json['error'] as Record<string, unknown>)['code'], 'INVALID_JSON');
    const big = await h.call('POST', '/qsen/v1/sendOrder', `{"pad": "${'x'.repeat(70_000)}"}`);
    assert.equal(big.status, 413);
    assert.equal(h.senebi.posts.has('9999000000000000030'), false);
  });

  test('a rejection by SENEBI is a 200 with status rejected, counted by reason in status', async () => {
    const r = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000040', { instrument: 'REJ' }));
    assert.equal(r.status, 200);
    assert.equal((r.json['order'] as Record<string, unknown>)['status'], 'rejected');
    const status = await h.call('GET', '/qsen/v1/status', undefined, 'auditor');
    const orders = status.json['orders'] as { rejected: { byReason: Record<string, number> } };
    assert.equal(orders.rejected.byReason['SENEBI:UNKNOWN_INSTRUMENT'], 1);
    assert.ok((orders.rejected.byReason['ID_OUT_OF_RANGE'] ?? 0) >= 4);
  });

  test('accepted then no answer: 504 SENEBI_TIMEOUT (state unknown); the retry is reconciled by id, not resent', async () => {
    const id = '9999000000000000050';
    h.senebi.fault = 'accepted_no_answer';
    const first = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
    h.senebi.fault = 'none';
    assert.equal(first.status, 504, first.body);
    const error = first.json['error'] as Record<string, unknown>;
    assert.equal(error['code'], 'SENEBI_TIMEOUT');
    assert.equal((error['details'] as Record<string, unknown>)['delivery'], 'unknown');
    const retry = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
    assert.equal(retry.status, 200, retry.body);
    assert.equal((retry.json['order'] as Record<string, unknown>)['status'], 'accepted');
    assert.equal(h.senebi.posts.get(id), 1);
  });

  test('a 5xx or 409 from SENEBI is 502 SENEBI_ERROR (ambiguous): stored there, the retry is not resent; not stored, it is sent once more', async () => {
    h.senebi.fault = 'error_after_store';
    const stored = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000060'));
    h.senebi.fault = 'error_before_store';
    const lost = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000061'));
    h.senebi.fault = 'conflict_after_store';
    const conflict = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000062'));
    h.senebi.fault = 'none';
    assert.equal(((conflict.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['delivery'], 'unknown');
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000062'))).status, 200);
    assert.equal(h.senebi.posts.get('9999000000000000062'), 1, 'a 409 is reconciled by id, not resent');
    for (const r of [stored, lost, conflict]) {
      assert.equal(r.status, 502);
      assert.equal((r.json['error'] as Record<string, unknown>)['code'], 'SENEBI_ERROR');
    }
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000060'))).status, 200);
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000061'))).status, 200);
    assert.equal(h.senebi.posts.get('9999000000000000060'), 1);
    assert.equal(h.senebi.posts.get('9999000000000000061'), 2);
    assert.equal(h.senebi.orders.size > 0, true);
  });

  test('kill switch: operator halts (423 HALTED at once, shown in status), platform may not, resume lifts it; audited', async () => {
    const denied = await h.call('POST', '/qsen/v1/halt', '{}', 'platform');
    assert.equal(denied.status, 403);
    const halted = await h.call('POST', '/qsen/v1/halt', '{"reason": "drill"}', 'operator');
    assert.equal(halted.status, 200);
    assert.equal(halted.json['halted'], true);
    const refused = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000070'));
    assert.equal(refused.status, 423);
    assert.equal((refused.json['error'] as Record<string, unknown>)['code'], 'HALTED');
    const status = await h.call('GET', '/qsen/v1/status');
    assert.equal(status.json['halted'], true);
    const resumed = await h.call('POST', '/qsen/v1/resume', '{}', 'operator');
    assert.deepEqual(resumed.json, { halted: false });
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000070'))).status, 200);
    assert.equal(h.senebi.posts.get('9999000000000000070'), 1);
    const actions = h.audit.filter((e) => (e.action === 'halt' || e.action === 'resume') && e.outcome === 'done');
    assert.deepEqual(actions.map((e) => [e.action, e.outcome, e.details?.['channel'], e.details?.['reason']]), [['halt', 'done', 'api', 'drill'], ['resume', 'done', 'api', null]]);
    // The platform's attempt is in the trail too, refused with its code.
    const denial = h.audit.find((e) => e.action === 'halt' && e.outcome === 'refused');
    assert.ok(denial && denial.code === 'FORBIDDEN' && /OU=platform/.test(denial.subject), JSON.stringify(denial));
    assert.ok(actions.every((e) => e.subject.includes('CN=desk-operator')));
  });

  test('roles: auditor and operator cannot send orders, an unknown OU gets 403 on everything', async () => {
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000080'), 'auditor')).status, 403);
    assert.equal((await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000080'), 'operator')).status, 403);
    assert.equal((await h.call('GET', '/qsen/v1/status', undefined, 'stranger')).status, 403);
    assert.equal((await h.call('POST', '/qsen/v1/getBilateralOrders', '{}', 'auditor')).status, 200);
    assert.equal(h.senebi.posts.has('9999000000000000080'), false);
  });

  test('listings: only in-range orders leave; operations of in-range orders, counterOrderId dropped when outside', async () => {
    h.senebi.extraOrdersJson = [
      `{"id": ${BELOW}, "instrument": "AL30", "status": "accepted"}`,
      `{"id": ${ABOVE}, "instrument": "AL30", "status": "accepted"}`,
      '{"id": 1234567890123456789, "instrument": "AL30", "status": "accepted"}',
    ];
    h.senebi.operationsJson = [
      `{"id": 7000000000000000001, "orderId": ${MIN}, "counterOrderId": ${BELOW}, "instrument": "AL30", "price": 1234.5}`,
      `{"id": 7000000000000000002, "orderId": ${MAX}, "counterOrderId": ${MIN}, "instrument": "AL30"}`,
      `{"id": 7000000000000000003, "orderId": ${ABOVE}, "counterOrderId": ${MAX}, "instrument": "AL30"}`,
    ];
    const orders = await h.call('POST', '/qsen/v1/getBilateralOrders', '{"date": "2026-11-20"}');
    assert.equal(orders.status, 200, orders.body);
    const ids = (orders.json['orders'] as Array<Record<string, unknown>>).map((o) => o['id']);
    assert.ok(ids.includes(MIN) && ids.includes(MAX));
    for (const outside of [BELOW, ABOVE, '1234567890123456789']) assert.ok(!orders.body.includes(outside), outside);
    const ops = await h.call('POST', '/qsen/v1/getBilateralOperations', '{}', 'operator');
    assert.deepEqual(ops.json['operations'], [
      { id: '7000000000000000001', orderId: MIN, instrument: 'AL30', price: '1234.5' },
      { id: '7000000000000000002', orderId: MAX, counterOrderId: MIN, instrument: 'AL30' },
    ]);
    assert.match(String(ops.json['date']), /^\d{4}-\d{2}-\d{2}$/);
    const badDate = await h.call('POST', '/qsen/v1/getBilateralOrders', '{"date": "20-11-2026"}');
    assert.equal(badDate.status, 400);
  });

  test('decrypt says the key opens and matches, with certificate facts, never the key', async () => {
    const r = await h.call('POST', '/qsen/v1/decrypt', '{}', 'auditor');
    assert.equal(r.status, 200);
    assert.equal(r.json['ok'], true);
    assert.equal(r.json['keyMatchesCertificate'], true);
    const cert = r.json['certificate'] as Record<string, unknown>;
    assert.match(String(cert['subject']), /CN=agent-210/);
    for (const key of ['serial', 'notBefore', 'notAfter', 'fingerprintSha256']) assert.ok(cert[key], key);
    assert.ok(!/PRIVATE KEY/.test(r.body) && !r.body.includes(h.state.passphrase));
  });

  test('cert/info, config and status answer; no secret in any of them', async () => {
    const info = await h.call('POST', '/qsen/v1/cert/info', '{}');
    for (const name of ['server', 'clientCa', 'senebiAgent', 'senebiCa']) assert.ok(typeof (info.json[name] as Record<string, unknown>)['daysLeft'] === 'number', name);
    assert.equal((info.json['senebiAgent'] as Record<string, unknown>)['testIdentity'], true);
    const config = await h.call('GET', '/qsen/v1/config');
    assert.equal((config.json['id_range'] as Record<string, unknown>)['min'], MIN);
    const status = await h.call('GET', '/qsen/v1/status');
    const ops = (status.json['senebi'] as Record<string, Record<string, Record<string, unknown>>>)['operations'];
    assert.ok(Number(ops?.['placeOrder']?.['count']) > 0);
    assert.ok(typeof ops?.['placeOrder']?.['p99Ms'] === 'number');
    assert.ok(Number(ops?.['placeOrder']?.['timeouts']) >= 1);
    const window = status.json['window'] as Record<string, unknown>;
    assert.equal(window['open'], true);
    assert.ok(typeof window['nextChangeAt'] === 'string');
    for (const r of [info, config, status]) assert.ok(!/PRIVATE KEY/.test(r.body) && !r.body.includes(h.state.passphrase));
  });

  test('metrics on both paths, with qsen\'s own unit-suffixed metrics and no secret', async () => {
    for (const path of ['/qsen/v1/metrics/process', '/qsen/v1/metrics/golang']) {
      const r = await h.call('GET', path, undefined, 'auditor');
      assert.equal(r.status, 200);
      assert.match(r.body, /qsen_senebi_request_duration_seconds_bucket\{/);
      assert.match(r.body, /qsen_orders_total\{status="accepted"/);
      assert.match(r.body, /^process_cpu_user_seconds_total /m);
      assert.match(r.body, /qsen_journal_flushes_total [1-9]/);
      assert.match(r.body, /qsen_kill_switch_engaged 0/);
      assert.ok(!r.body.includes(h.state.passphrase));
    }
  });

  test('ping/senebi answers SENEBI\'s ping; the internal ping answers loopback without a certificate', async () => {
    const r = await h.call('POST', '/qsen/v1/ping/senebi', '{}', 'auditor');
    assert.equal(r.status, 200);
    assert.equal(r.json['ok'], true);
    assert.ok(typeof r.json['latencyMs'] === 'number');
    const ping = await httpsCall(`https://127.0.0.1:${h.node.port}/qsen/v1/ping`, { ca: h.state.ca });
    const body = JSON.parse(ping.body) as Record<string, unknown>;
    assert.equal(body['ok'], true);
    assert.equal(body['pid'], process.pid);
    assert.equal(body['reconciling'], false);
    assert.equal(typeof body['uptimeSeconds'], 'number');
  });

  test('unknown path 404, wrong method 405, no certificate 401', async () => {
    assert.equal((await h.call('GET', '/qsen/v1/nothing')).status, 404);
    assert.equal((await h.call('GET', '/qsen/v1/sendOrder')).status, 405);
    assert.equal((await h.call('GET', '/qsen/v1/status', undefined, 'none')).status, 401);
  });
});
