import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toUint64 } from '@qsen/core';
import { httpsCall } from '@qsen/testkit';
import { SENEBI_REJECTION_CODES, classifySenebiReason, rejectionLabel } from '../src/senebi/reasons.js';
import { fenceOrderAnswer } from '../src/orders/listings.js';
import { startHarness, orderJson, type Harness } from './support/node.js';

const RANGE = { min: toUint64('9999000000000000000'), max: toUint64('9999999999999999999') };

describe('qsen: what the audit trail says (docs/auditor.md)', () => {
  let h: Harness;
  before(async () => {
    // Nothing here is about SENEBI timing out: a SENEBI timeout far above what a loaded machine
    // takes to answer 30 concurrent orders (with 2 s, 14 of 300 ended SENEBI_TIMEOUT under
    // load), and callers that wait longer than it.
    h = await startHarness({ settings: { timeoutMs: 20_000 }, callTimeoutMs: 30_000 });
  });
  after(async () => {
    await h.close();
  });

  test('an identical resend is `replayed` with the original time, also during the kill switch; a refusal is `refused` with its code', async () => {
    const id = '9999000000000000501';
    const first = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
    assert.equal(first.status, 200);
    const originalTime = (first.json['order'] as Record<string, unknown>)['receivedAt'];
    assert.equal((await h.call('POST', '/qsen/v1/halt', '{"reason": "drill"}', 'operator')).status, 200);
    try {
      const again = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
      assert.equal(again.status, 200, 'a resend is answered from the record, not sent');
      const fresh = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000502'));
      assert.equal(fresh.status, 423);
    } finally {
      assert.equal((await h.call('POST', '/qsen/v1/resume', '{"reason": "drill over"}', 'operator')).status, 200);
    }
    const mine = h.audit.filter((e) => e.action === 'sendOrder' && e.details?.['orderId'] === id);
    assert.deepEqual(mine.map((e) => e.outcome), ['accepted', 'replayed']);
    assert.equal(mine[1]?.details?.['originalTime'], originalTime);
    assert.equal(mine[1]?.details?.['status'], 'accepted');
    const refused = h.audit.find((e) => e.action === 'sendOrder' && e.details?.['orderId'] === '9999000000000000502');
    assert.deepEqual([refused?.outcome, refused?.code], ['refused', 'HALTED']);
    const switches = h.audit.filter((e) => e.action === 'halt' || e.action === 'resume').slice(-2);
    assert.deepEqual(switches.map((e) => [e.action, e.outcome, e.details?.['channel'], e.details?.['reason']]), [['halt', 'done', 'api', 'drill'], ['resume', 'done', 'api', 'drill over']]);
    assert.equal(h.senebi.posts.get(id), 1);
  });

  test('concurrent identical requests: one `accepted`, the others `replayed`', async () => {
    const id = '9999000000000000503';
    h.senebi.delayMs = 50;
    try {
      await Promise.all(Array.from({ length: 8 }, () => h.call('POST', '/qsen/v1/sendOrder', orderJson(id))));
    } finally {
      h.senebi.delayMs = 0;
    }
    const outcomes = h.audit.filter((e) => e.details?.['orderId'] === id).map((e) => e.outcome).sort();
    assert.deepEqual(outcomes, ['accepted', ...Array(7).fill('replayed')]);
  });

  test("sendOrder's SENEBI echo is field-filtered like the listings", async () => {
    h.senebi.echoExtra = { internalRef: 'BYMA-INTERNAL-7', account: { owner: 'agent' }, counterOrderId: '1234' };
    try {
      const r = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000504'));
      assert.equal(r.status, 200, r.body);
      const echo = (r.json['order'] as Record<string, unknown>)['senebi'] as Record<string, unknown>;
      assert.equal(echo['id'], '9999000000000000504');
      assert.equal(echo['status'], 'accepted');
      assert.equal(echo['instrument'], 'AL30');
      for (const leaked of ['internalRef', 'account', 'counterOrderId']) assert.ok(!(leaked in echo), `${leaked} reached the platform: ${r.body}`);
      assert.ok(!r.body.includes('BYMA-INTERNAL-7'));
    } finally {
      h.senebi.echoExtra = {};
    }
  });

  test('300 orders with distinct unknown instruments make a bounded number of qsen_orders_total series and status keys', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `99990000000001${String(i).padStart(5, '0')}`);
    for (let i = 0; i < ids.length; i += 30) {
      await Promise.all(ids.slice(i, i + 30).map((id, j) => h.call('POST', '/qsen/v1/sendOrder', orderJson(id, { instrument: `UNK${i + j}` }))));
    }
    const metrics = await h.call('GET', '/qsen/v1/metrics/process', undefined, 'auditor');
    const series = metrics.body.split('\n').filter((l) => l.startsWith('qsen_orders_total{'));
    // accepted, the SENEBI codes, and qsen's own error codes: a closed set, whatever SENEBI says.
    assert.ok(series.length <= 1 + SENEBI_REJECTION_CODES.length + 20, series.join('\n'));
    const unknown = series.find((l) => l.includes('reason="SENEBI:UNKNOWN_INSTRUMENT"'));
    assert.ok(unknown && Number(unknown.split(' ').pop()) >= 300, series.join('\n'));
    assert.ok(!metrics.body.includes('UNK1'), 'no instrument name in a label');
    const status = await h.call('GET', '/qsen/v1/status', undefined, 'auditor');
    const byReason = (status.json['orders'] as { rejected: { byReason: Record<string, number> } }).rejected.byReason;
    assert.ok(Object.keys(byReason).every((k) => !k.includes('UNK1')), JSON.stringify(byReason));
    const audited = h.audit.find((e) => e.details?.['orderId'] === ids[7]);
    assert.deepEqual([audited?.outcome, audited?.code, audited?.details?.['reason']], ['rejected', 'SENEBI:UNKNOWN_INSTRUMENT', 'unknown instrument UNK7']);
  });
});

describe('qsen: no state change from another site\'s page', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ settings: { timeoutMs: 2000 } });
  });
  after(async () => {
    await h.close();
  });

  test('sendOrder, halt and resume with browser metadata from another site are 403 CROSS_SITE_REQUEST; without it they work', async () => {
    const send = (headers: Record<string, string>) => httpsCall(`https://127.0.0.1:${h.node.port}/qsen/v1/sendOrder`, {
      method: 'POST', ca: h.state.ca, identity: { cert: h.state.clients.platform.certPem, key: h.state.clients.platform.keyPem }, body: orderJson('9999000000000000601'), headers,
    });
    const refused = await send({ 'sec-fetch-site': 'cross-site' });
    assert.equal(refused.status, 403);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'CROSS_SITE_REQUEST');
    assert.equal(h.senebi.posts.has('9999000000000000601'), false);
    const halt = await httpsCall(`https://127.0.0.1:${h.node.port}/qsen/v1/halt`, {
      method: 'POST', ca: h.state.ca, identity: { cert: h.state.clients.operator.certPem, key: h.state.clients.operator.keyPem }, body: '{}', headers: { origin: 'https://evil.example' },
    });
    assert.equal(halt.status, 403);
    assert.equal((await h.call('GET', '/qsen/v1/status')).json['halted'], false);
    assert.equal((await send({})).status, 200, 'curl and scripts send no such headers');
  });
});

describe('qsen: closed sets (pure)', () => {
  test('SENEBI reasons map to a fixed set of codes', () => {
    assert.equal(classifySenebiReason('unknown instrument XYZ'), 'SENEBI:UNKNOWN_INSTRUMENT');
    assert.equal(classifySenebiReason('invalid price: a positive decimal with at most 6 decimals'), 'SENEBI:INVALID_FIELD');
    assert.equal(classifySenebiReason('missing field "side"'), 'SENEBI:INVALID_FIELD');
    assert.equal(classifySenebiReason('duplicate order id'), 'SENEBI:DUPLICATE_ID');
    assert.equal(classifySenebiReason('price outside the allowed band'), 'SENEBI:PRICE_OUT_OF_BAND');
    assert.equal(classifySenebiReason('}{"label_injection'), 'SENEBI:OTHER');
    const known = new Set(['HALTED']);
    assert.equal(rejectionLabel('SENEBI:anything at all', known), 'SENEBI:OTHER');
    assert.equal(rejectionLabel('HALTED', known), 'HALTED');
    assert.equal(rejectionLabel('SOMETHING_NEW', known), 'OTHER');
  });

  test('the echo filter keeps known fields, drops others, and an id other than the order\'s own', () => {
    const out = fenceOrderAnswer({ id: '9999000000000000001', status: 'accepted', senebi: { id: '9999000000000000002', status: 'accepted', secretRef: 'x', nested: { a: 1 } } }, RANGE);
    assert.deepEqual(out, { id: '9999000000000000001', status: 'accepted', senebi: { status: 'accepted' } });
  });
});
