// The SENEBI wire endpoints over real mutual TLS: orders, listings, matching, validation,
// lossless ids as bare JSON numbers, errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LosslessNumber, isLosslessNumber } from '@qsen/core';
import { startSimulator, type RunningSimulator } from '../src/index.js';
import { makeClient, makeTestHome, makeTestPki, orderBody, RANGE, type SimClient, type TestHome, type TestPki } from './support/home.js';

const TODAY = '2026-03-10';
const YESTERDAY = '2026-03-09';
let tick = Date.parse('2026-03-10T15:00:00.000Z');
const clock = { now: (): number => tick++ };

/** The text of a LosslessNumber field (fails when it is not a bare JSON number). */
function bare(value: unknown): string {
  assert.ok(isLosslessNumber(value), `expected a bare JSON number, got ${JSON.stringify(String(value))}`);
  return (value as LosslessNumber).toString();
}

describe('SENEBI wire endpoints', () => {
  let pki: TestPki;
  let home: TestHome;
  let sim: RunningSimulator;
  let client: SimClient;

  before(async () => {
    pki = makeTestPki();
    home = makeTestHome(pki);
    sim = await startSimulator({ home: home.path, port: 0, clock });
    client = makeClient(sim.url, pki);
  });
  after(async () => {
    await sim.close();
    home.remove();
  });

  test('ping answers ok and the time', async () => {
    const { status, body } = await client.json('GET', '/senebi/v1/ping');
    assert.equal(status, 200);
    assert.equal(body['ok'], true);
    assert.match(String(body['time']), /^2026-03-10T15:00:00\.\d{3}Z$/);
  });

  test('an accepted order is answered with the id as a bare number and prices as exact strings', async () => {
    const answer = await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000000001', { price: '1234.500001' }));
    assert.equal(answer.status, 200);
    assert.match(answer.body, /"id":9999000000000000001[,}]/);
    const { body } = await client.json('GET', '/senebi/v1/orders/9999000000000000001');
    const order = body['order'] as Record<string, unknown>;
    assert.equal(bare(order['id']), '9999000000000000001');
    assert.equal(order['status'], 'matched', 'the GET carries the current state: matched at acceptance (probability 1)');
    assert.equal(order['matchedAt'], order['time']);
    assert.equal(order['price'], '1234.500001');
    assert.equal(order['quantity'], '1000');
    assert.equal(order['tradeDate'], TODAY);
  });

  test('ids sent as strings or numbers at the range edges round-trip exactly', async () => {
    for (const [id, written] of [[RANGE.min, `"${RANGE.min}"`], [RANGE.max, RANGE.max]] as const) {
      const answer = await client.call('POST', '/senebi/v1/orders', orderBody(written));
      assert.equal(answer.status, 200);
      assert.ok(answer.body.includes(`"id":${id}`), answer.body);
      const fetched = await client.call('GET', `/senebi/v1/orders/${id}`);
      assert.ok(fetched.body.includes(`"id":${id},`), fetched.body);
    }
  });

  test('seeded ids near 2^63 and 2^64-1 are listed as exact bare numbers', async () => {
    const listing = await client.call('GET', `/senebi/v1/orders?date=${TODAY}`);
    for (const id of ['9223372036854775807', '9223372036854775808', '9223372036854775809', '18446744073709551615']) {
      assert.ok(listing.body.includes(`"id":${id},`), `listing lacks ${id}`);
    }
    const one = await client.json('GET', '/senebi/v1/orders/9223372036854775809');
    assert.equal(bare((one.body['order'] as Record<string, unknown>)['id']), '9223372036854775809');
  });

  test("every listing holds the agent's orders outside the range, next to its edges and small ones", async () => {
    const { body } = await client.json('GET', '/senebi/v1/orders');
    const ids = (body['orders'] as Record<string, unknown>[]).map((o) => bare(o['id']));
    for (const id of ['9998999999999999999', '10000000000000000000', '1', '42', '123456']) assert.ok(ids.includes(id), `today lacks ${id}`);
    const yesterday = await client.json('GET', `/senebi/v1/orders?date=${YESTERDAY}`);
    const old = (yesterday.body['orders'] as Record<string, unknown>[]).map((o) => BigInt(bare(o['id'])));
    assert.ok(old.some((id) => id < BigInt(RANGE.min)) && old.some((id) => id > BigInt(RANGE.max)), 'yesterday has ids on both sides of the range');
    const operations = await client.json('GET', `/senebi/v1/operations?date=${YESTERDAY}`);
    assert.ok((operations.body['operations'] as unknown[]).length > 0, 'yesterday has operations');
  });

  test('an order met by another agent produces an operation with its own id', async () => {
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000000100', { counterparty: '45', side: 'sell', quantity: '5000' }));
    const { body } = await client.json('GET', '/senebi/v1/operations');
    const ops = (body['operations'] as Record<string, unknown>[]).filter((op) => bare(op['orderId']) === '9999000000000000100');
    assert.equal(ops.length, 1);
    const op = ops[0] ?? {};
    assert.match(bare(op['id']), /^[0-9]{19,20}$/);
    assert.notEqual(bare(op['id']), '9999000000000000100');
    const counter = BigInt(bare(op['counterOrderId']));
    assert.ok(counter < BigInt(RANGE.min) || counter > BigInt(RANGE.max));
    assert.deepEqual(
      [op['instrument'], op['side'], op['quantity'], op['price'], op['currency'], op['settlement'], op['counterparty']],
      ['AL30', 'sell', '5000', '1234.50', 'ARS', 'T1', '45'],
    );
    assert.match(String(op['time']), /^\d{4}-\d{2}-\d{2}T/);
  });

  test("a trade with the agent itself pairs the order with one of the agent's own out-of-range orders", async () => {
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000000200', { counterparty: '210', side: 'buy' }));
    const { body } = await client.json('GET', '/senebi/v1/operations');
    const ops = body['operations'] as Record<string, unknown>[];
    const mine = ops.find((op) => bare(op['orderId']) === '9999000000000000200');
    assert.ok(mine);
    const counterId = bare(mine['counterOrderId']);
    assert.ok(BigInt(counterId) < BigInt(RANGE.min), `counter order ${counterId} lies below the range`);
    const mirror = ops.find((op) => bare(op['orderId']) === counterId);
    assert.ok(mirror, 'the counter leg is listed too');
    assert.equal(bare(mirror['counterOrderId']), '9999000000000000200');
    assert.equal(mirror['side'], 'sell');
    const counterOrder = await client.json('GET', `/senebi/v1/orders/${counterId}`);
    assert.equal((counterOrder.body['order'] as Record<string, unknown>)['side'], 'sell');
  });

  test('invalid orders are rejected with a reason and recorded', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['9999000000000000301', { instrument: 'ZZ99' }, /unknown instrument ZZ99/],
      ['9999000000000000302', { instrument: 'al30' }, /invalid instrument/],
      ['9999000000000000303', { quantity: '0' }, /invalid quantity/],
      ['9999000000000000304', { quantity: '10.5' }, /invalid quantity/],
      ['9999000000000000305', { price: '1.1234567' }, /invalid price/],
      ['9999000000000000306', { price: '0.000000' }, /invalid price/],
      ['9999000000000000307', { currency: 'EUR' }, /invalid currency/],
      ['9999000000000000308', { settlement: 'T2' }, /invalid settlement/],
      ['9999000000000000309', { side: 'hold' }, /invalid side/],
      ['9999000000000000310', { counterparty: '1234567' }, /invalid counterparty/],
      ['9999000000000000311', { note: 'x' }, /unknown field "note"/],
    ];
    for (const [id, overrides, reason] of cases) {
      const { status, body } = await client.json('POST', '/senebi/v1/orders', orderBody(id, overrides));
      assert.equal(status, 200);
      const order = body['order'] as Record<string, unknown>;
      assert.equal(order['status'], 'rejected', id);
      assert.match(String(order['reason']), reason);
      const stored = await client.json('GET', `/senebi/v1/orders/${id}`);
      assert.equal((stored.body['order'] as Record<string, unknown>)['status'], 'rejected');
    }
  });

  test('quantity and price may come as JSON numbers and stay exact', async () => {
    const body = '{"id": 9999000000000000400, "instrument": "GD30", "side": "sell", "quantity": 250000, "price": 81234.123456, "currency": "USD", "settlement": "T0", "counterparty": 57}';
    const { body: answer } = await client.json('POST', '/senebi/v1/orders', body);
    const order = answer['order'] as Record<string, unknown>;
    assert.equal(order['status'], 'accepted');
    assert.equal(order['price'], '81234.123456');
    assert.equal(order['quantity'], '250000');
    assert.equal(order['counterparty'], '57');
  });

  test('a duplicate id is rejected and the first order stays', async () => {
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000000500'));
    const { body } = await client.json('POST', '/senebi/v1/orders', orderBody('9999000000000000500', { quantity: '7' }));
    const answer = body['order'] as Record<string, unknown>;
    assert.equal(answer['status'], 'rejected');
    assert.equal(answer['reason'], 'duplicate order id');
    const stored = await client.json('GET', '/senebi/v1/orders/9999000000000000500');
    assert.equal((stored.body['order'] as Record<string, unknown>)['quantity'], '1000');
    assert.equal((stored.body['order'] as Record<string, unknown>)['status'], 'matched');
  });

  test('a body without a valid id is an invalid request', async () => {
    for (const id of ['"abc"', '18446744073709551616', '-1', '"007"', '1e3']) {
      const { status, body } = await client.json('POST', '/senebi/v1/orders', orderBody(id));
      assert.equal(status, 400, id);
      const error = body['error'] as Record<string, unknown>;
      assert.equal(error['code'], 'INVALID_REQUEST');
      assert.equal((error['details'] as Record<string, unknown>)['field'], 'id');
    }
  });

  test('malformed JSON is 400 INVALID_JSON and a body over 64 KiB is 413', async () => {
    const bad = await client.json('POST', '/senebi/v1/orders', '{"id": ');
    assert.equal(bad.status, 400);
    assert.equal((bad.body['error'] as Record<string, unknown>)['code'], 'INVALID_JSON');
    const big = await client.json('POST', '/senebi/v1/orders', `{"id": 1, "pad": "${'x'.repeat(70_000)}"}`);
    assert.equal(big.status, 413);
    assert.equal((big.body['error'] as Record<string, unknown>)['code'], 'PAYLOAD_TOO_LARGE');
  });

  test('listing dates are validated and a future date is empty', async () => {
    const bad = await client.json('GET', '/senebi/v1/orders?date=2026-02-30');
    assert.equal(bad.status, 400);
    assert.equal((bad.body['error'] as Record<string, unknown>)['code'], 'INVALID_REQUEST');
    const future = await client.json('GET', '/senebi/v1/operations?date=2030-01-01');
    assert.deepEqual(future.body['operations'], []);
  });

  test('an unknown order is 404 ORDER_NOT_FOUND, an unreadable id 400', async () => {
    const missing = await client.json('GET', '/senebi/v1/orders/9999000000000009999');
    assert.equal(missing.status, 404);
    assert.equal((missing.body['error'] as Record<string, unknown>)['code'], 'ORDER_NOT_FOUND');
    const unreadable = await client.json('GET', '/senebi/v1/orders/x12');
    assert.equal(unreadable.status, 400);
  });

  test('ids 2^63+1 and 2^64-1 sent as bare numbers round-trip exactly (a range that holds them)', async () => {
    const wide = makeTestHome(pki, { range: { min: '9223372036854775809', max: '18446744073709551615' } });
    const other = await startSimulator({ home: wide.path, port: 0, clock });
    try {
      const c = makeClient(other.url, pki);
      for (const id of ['9223372036854775809', '18446744073709551615']) {
        const sent = await c.call('POST', '/senebi/v1/orders', orderBody(id));
        assert.ok(sent.body.includes(`"id":${id},`), sent.body);
        assert.match(sent.body, /"status":"accepted"/);
        assert.ok((await c.call('GET', `/senebi/v1/orders/${id}`)).body.includes(`"id":${id},`));
        assert.ok((await c.call('GET', '/senebi/v1/orders')).body.includes(`"id":${id},`));
        assert.ok((await c.call('GET', '/senebi/v1/operations')).body.includes(`"orderId":${id},`));
      }
      const below = await c.json('GET', '/senebi/v1/orders/9223372036854775808');
      assert.equal(below.status, 200, 'min-1 = 2^63 is seeded');
    } finally {
      await other.close();
      wide.remove();
    }
  });

  test('unknown paths are 404 and wrong methods 405', async () => {
    assert.equal((await client.call('GET', '/senebi/v1/nothing')).status, 404);
    assert.equal((await client.call('DELETE', '/senebi/v1/orders')).status, 405);
    assert.equal((await client.call('POST', '/senebi/v1/ping')).status, 405);
    assert.equal((await client.call('PUT', '/senebi/v1/orders/1')).status, 405);
    assert.equal((await client.call('POST', '/senebi/v1/operations')).status, 405);
  });
});
