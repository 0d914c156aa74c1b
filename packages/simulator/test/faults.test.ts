// Every fault mode observed by a real mutual-TLS client, and the admin API (faults, matching,
// counters, order history, reset).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { parseJsonLossless } from '@qsen/core';
import { waitFor } from '@qsen/testkit';
import { startSimulator, type RunningSimulator } from '../src/index.js';
import { makeClient, makeTestHome, makeTestPki, orderBody, type SimClient, type TestHome, type TestPki } from './support/home.js';

/** What a raw client saw of one exchange: the promised length and the bytes that came. */
interface RawOutcome { status?: number; contentLength?: number; received: number; error?: string }

describe('faults on demand and the admin API', () => {
  let pki: TestPki;
  let home: TestHome;
  let sim: RunningSimulator;
  let client: SimClient;

  const setFaults = async (faults: string): Promise<void> => {
    const answer = await client.call('PUT', '/admin/v1/faults', faults);
    assert.equal(answer.status, 200, answer.body);
  };
  const counters = async (): Promise<Record<string, Record<string, number>>> => {
    const { body } = await client.json('GET', '/admin/v1/counters');
    const out: Record<string, Record<string, number>> = {};
    for (const [k, v] of Object.entries(body)) out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([a, b]) => [a, Number(String(b))]));
    return out;
  };
  const rawCall = (method: string, path: string, body?: string): Promise<RawOutcome> => new Promise((resolve) => {
    const outcome: RawOutcome = { received: 0 };
    const req = request(`${sim.url}${path}`, { method, ca: pki.ca.certPem, cert: pki.agent.certPem, key: pki.agent.keyPem, agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      outcome.status = res.statusCode;
      outcome.contentLength = Number(res.headers['content-length']);
      res.on('data', (c: Buffer) => { outcome.received += c.length; });
      res.on('end', () => resolve(outcome));
      res.on('error', (err) => resolve({ ...outcome, error: err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ...outcome, error: err.code ?? err.message }));
    req.setTimeout(5000, () => req.destroy(new Error('client timeout')));
    req.end(body);
  });

  before(async () => {
    pki = makeTestPki();
    home = makeTestHome(pki, { simulatorToml: '[faults]\nseed = 3\n[faults.http_5xx]\nprobability = 1.0\nstatus = 502\npaths = ["GET /senebi/v1/operations"]\n' });
    sim = await startSimulator({ home: home.path, port: 0 });
    client = makeClient(sim.url, pki);
  });
  after(async () => {
    await sim.close();
    home.remove();
  });

  test('faults from simulator.toml apply from the start, only on their paths', async () => {
    const ops = await client.json('GET', '/senebi/v1/operations');
    assert.equal(ops.status, 502);
    assert.equal((ops.body['error'] as Record<string, unknown>)['code'], 'SIMULATED_FAULT');
    assert.equal((await client.call('GET', '/senebi/v1/orders')).status, 200);
    const { body } = await client.json('GET', '/admin/v1/faults');
    assert.equal(String(body['seed']), '3');
    await setFaults('{}');
    assert.equal((await client.call('GET', '/senebi/v1/operations')).status, 200);
  });

  test('latency adds the fixed delay plus jitter', async () => {
    await setFaults('{"latency": {"probability": 1, "fixed_ms": 300, "jitter_ms": 50, "paths": ["/senebi/v1/ping"]}}');
    const started = performance.now();
    assert.equal((await client.call('GET', '/senebi/v1/ping')).status, 200);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 295, `took ${elapsed} ms`);
    // Not delayed: read from the latency counter, not a stopwatch (an undelayed answer can take
    // longer than the delay on a loaded machine).
    const latencies = async (): Promise<number> => Number(String(((await client.json('GET', '/admin/v1/counters')).body['faults'] as Record<string, unknown>)['latency'] ?? 0));
    const counted = await latencies();
    assert.equal((await client.call('GET', '/senebi/v1/orders')).status, 200);
    assert.equal(await latencies(), counted, 'other paths are not delayed');
    await setFaults('{}');
  });

  test('http_5xx answers the configured status and does not record the order', async () => {
    await setFaults('{"http_5xx": {"probability": 1, "status": 503}}');
    const answer = await client.json('POST', '/senebi/v1/orders', orderBody('9999000000000001001'));
    assert.equal(answer.status, 503);
    await setFaults('{}');
    assert.equal((await client.call('GET', '/senebi/v1/orders/9999000000000001001')).status, 404);
  });

  test('reject answers the order rejected with the given reason and records it', async () => {
    await setFaults('{"reject": {"probability": 1, "reason": "market halted (simulated)"}}');
    const { body } = await client.json('POST', '/senebi/v1/orders', orderBody('9999000000000001002'));
    const order = body['order'] as Record<string, unknown>;
    assert.equal(order['status'], 'rejected');
    assert.equal(order['reason'], 'market halted (simulated)');
    assert.equal((await client.call('GET', '/senebi/v1/ping')).status, 200, 'reject only acts on order submissions');
    await setFaults('{}');
    const stored = await client.json('GET', '/senebi/v1/orders/9999000000000001002');
    assert.equal((stored.body['order'] as Record<string, unknown>)['status'], 'rejected');
  });

  test('hang never answers until the client gives up; the order reached the simulator once and was not recorded', async () => {
    await setFaults('{"hang": {"probability": 1, "paths": ["POST /senebi/v1/orders"]}}');
    const started = performance.now();
    await assert.rejects(client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001003'), undefined, 400), /timed out/);
    assert.ok(performance.now() - started >= 390);
    await setFaults('{}');
    assert.equal((await counters())['ordersReceived']?.['9999000000000001003'], 1);
    assert.equal((await client.call('GET', '/senebi/v1/orders/9999000000000001003')).status, 404);
  });

  test('reset destroys the connection without an answer', async () => {
    await setFaults('{"reset": {"probability": 1, "paths": ["/senebi/v1/ping"]}}');
    const outcome = await rawCall('GET', '/senebi/v1/ping');
    assert.equal(outcome.status, undefined);
    assert.match(outcome.error ?? '', /ECONNRESET|socket hang up/);
    await setFaults('{}');
  });

  test('malformed answers invalid JSON (the order is recorded)', async () => {
    await setFaults('{"malformed": {"probability": 1}}');
    const answer = await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001004'));
    assert.equal(answer.status, 200);
    assert.throws(() => parseJsonLossless(answer.body));
    await setFaults('{}');
    const stored = await client.json('GET', '/senebi/v1/orders/9999000000000001004');
    assert.equal((stored.body['order'] as Record<string, unknown>)['status'], 'matched', 'accepted, then matched at acceptance (probability 1)');
  });

  test('truncated promises the full Content-Length and sends part of it', async () => {
    await setFaults('{"truncated": {"probability": 1}}');
    const outcome = await rawCall('GET', '/senebi/v1/orders');
    await setFaults('{}');
    assert.equal(outcome.status, 200);
    assert.ok(outcome.error !== undefined, 'the client sees the body cut');
    assert.ok((outcome.contentLength ?? 0) > outcome.received, `${outcome.received} of ${outcome.contentLength} bytes`);
  });

  test('oversize with bytes: exactly that many bytes of valid JSON, the real answer inside, the order committed', async () => {
    await setFaults('{"oversize": {"probability": 1, "bytes": 300000}}');
    const answer = await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001026'));
    await setFaults('{}');
    assert.equal(answer.status, 200);
    assert.equal(Buffer.byteLength(answer.body), 300000);
    const body = parseJsonLossless(answer.body) as { order: Record<string, unknown>; padding: string };
    assert.equal(String(body.order['id']), '9999000000000001026');
    assert.match(body.padding, /^x+$/);
    const stored = await client.json('GET', '/senebi/v1/orders/9999000000000001026');
    assert.equal(stored.status, 200, 'processed normally: SENEBI holds the order');
  });

  test('oversize without bytes is endless: the client stops reading when it chooses, the simulator stops writing', async () => {
    await setFaults('{"oversize": {"probability": 1, "paths": ["GET /senebi/v1/ping"]}}');
    const limit = 4 * 1024 * 1024;
    const received = await new Promise<{ bytes: number; chunked: boolean }>((resolve, reject) => {
      const req = request(`${sim.url}/senebi/v1/ping`, { ca: pki.ca.certPem, cert: pki.agent.certPem, key: pki.agent.keyPem, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes > limit) {
            resolve({ bytes, chunked: res.headers['transfer-encoding'] === 'chunked' });
            req.destroy();
          }
        });
        res.on('end', () => reject(new Error(`the endless body ended after ${bytes} bytes`)));
      });
      req.on('error', () => undefined);
      req.end();
    });
    await setFaults('{}');
    assert.ok(received.bytes > limit);
    assert.ok(received.chunked, 'no Content-Length: chunked');
    // The simulator still answers after the client went away.
    assert.equal((await client.call('GET', '/senebi/v1/ping')).status, 200);
  });

  test('accepted_no_answer records the order and never answers', async () => {
    await setFaults('{"accepted_no_answer": {"probability": 1}}');
    const outcome = await rawCall('POST', '/senebi/v1/orders', orderBody('9999000000000001005'));
    assert.equal(outcome.status, undefined);
    assert.ok(outcome.error);
    await setFaults('{}');
    const stored = await client.json('GET', '/senebi/v1/orders/9999000000000001005');
    assert.equal(stored.status, 200);
    assert.equal((stored.body['order'] as Record<string, unknown>)['status'], 'matched');
    const history = await client.json('GET', '/admin/v1/orders/9999000000000001005');
    const events = (history.body['history'] as Record<string, unknown>[]).map((e) => e['event']);
    assert.deepEqual(events, ['received', 'fault', 'accepted', 'matched']);
    assert.equal(String(history.body['received']), '1');
    assert.equal(String(history.body['id']), '9999000000000001005');
  });

  test('the same seed gives the same fault sequence', async () => {
    const run = async (): Promise<number[]> => {
      await setFaults('{"seed": 77, "http_5xx": {"probability": 0.5, "paths": ["/senebi/v1/ping"]}}');
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await client.call('GET', '/senebi/v1/ping')).status);
      return statuses;
    };
    const first = await run();
    const second = await run();
    await setFaults('{}');
    assert.deepEqual(first, second);
    assert.ok(first.includes(200) && first.includes(503), `a mix: ${first.join(',')}`);
  });

  test('invalid fault settings are refused with every problem named', async () => {
    const answer = await client.json('PUT', '/admin/v1/faults', '{"hang": {"probability": 2}, "explode": {}}');
    assert.equal(answer.status, 400);
    const error = answer.body['error'] as Record<string, unknown>;
    assert.equal(error['code'], 'INVALID_FAULTS');
    assert.match(String(error['message']), /hang\.probability/);
    assert.match(String(error['message']), /explode/);
  });

  test('matching can be switched off at run time', async () => {
    const put = await client.json('PUT', '/admin/v1/matching', '{"probability": 0, "seed": 1}');
    assert.equal(put.status, 200);
    const got = await client.json('GET', '/admin/v1/matching');
    assert.equal(String(got.body['probability']), '0');
    assert.equal((await client.json('PUT', '/admin/v1/matching', '{"probability": -1}')).status, 400);
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001006'));
    const { body } = await client.json('GET', '/senebi/v1/operations');
    const text = JSON.stringify((body['operations'] as Record<string, unknown>[]).map((op) => String(op['orderId'])));
    assert.ok(!text.includes('9999000000000001006'));
    await client.json('PUT', '/admin/v1/matching', '{"probability": 1, "seed": 1}');
  });

  test('counters count requests per endpoint, orders per id and faults per kind', async () => {
    const before = await counters();
    await client.call('GET', '/senebi/v1/ping');
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001007'));
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001007'));
    await client.call('GET', '/senebi/v1/orders/9999000000000001007');
    const after = await counters();
    const delta = (key: string): number => (after['requests']?.[key] ?? 0) - (before['requests']?.[key] ?? 0);
    assert.equal(delta('GET /senebi/v1/ping'), 1);
    assert.equal(delta('POST /senebi/v1/orders'), 2);
    assert.equal(delta('GET /senebi/v1/orders/:id'), 1);
    assert.equal(after['ordersReceived']?.['9999000000000001007'], 2);
    assert.ok((after['faults']?.['hang'] ?? 0) >= 1);
    assert.ok((after['faults']?.['accepted_no_answer'] ?? 0) >= 1);
  });

  test('an unknown id has no history', async () => {
    const answer = await client.json('GET', '/admin/v1/orders/9999000000000009999');
    assert.equal(answer.status, 404);
  });

  test('reset forgets orders and counters, reseeds, and restores the startup faults', async () => {
    await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000001008'));
    const reset = await client.json('POST', '/admin/v1/reset');
    assert.equal(reset.status, 200);
    assert.equal((await client.call('GET', '/senebi/v1/orders/9999000000000001008')).status, 404);
    assert.deepEqual((await counters())['ordersReceived'], {});
    assert.equal((await client.call('GET', '/senebi/v1/orders/9998999999999999999')).status, 200, 'seeded again');
    assert.equal((await client.call('GET', '/senebi/v1/operations')).status, 502, 'the simulator.toml faults are back');
    await setFaults('{}');
  });

  test('admin paths are never faulted and answer 405 on wrong methods', async () => {
    await setFaults('{"http_5xx": {"probability": 1, "paths": ["/"]}}');
    assert.equal((await client.call('GET', '/admin/v1/counters')).status, 200);
    assert.equal((await client.call('DELETE', '/admin/v1/faults')).status, 405);
    assert.equal((await client.call('GET', '/admin/v1/reset')).status, 405);
    await setFaults('{}');
    await waitFor(async () => (await client.call('GET', '/senebi/v1/ping')).status === 200, { timeoutMs: 2000, what: 'faults cleared' });
  });
});
