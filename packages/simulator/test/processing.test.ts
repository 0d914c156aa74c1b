// The faults a Jepsen-style campaign needs, seen by a real mutual-TLS client: the processing
// window (a held submission is not in the book: GET by id answers 404, a resend can commit
// first, the first to commit wins), slow_answer (committed, answer late), a client that gives
// up while its order is held, and SENEBI's own per-id records in the admin API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@qsen/testkit';
import { startSimulator, type RunningSimulator } from '../src/index.js';
import { makeClient, makeTestHome, makeTestPki, orderBody, type SimClient, type TestHome, type TestPki } from './support/home.js';

/** One record of GET /admin/v1/records or /admin/v1/orders/ID, numbers read as numbers. */
interface Record_ { id: string; received: number; accepted: number; rejected: number; duplicates: number; pending: number; status: string; faults: Record<string, number> }

describe('processing window, slow answers and per-id records', () => {
  let pki: TestPki;
  let home: TestHome;
  let sim: RunningSimulator;
  let client: SimClient;

  const setFaults = async (faults: unknown): Promise<void> => {
    const answer = await client.call('PUT', '/admin/v1/faults', JSON.stringify(faults));
    assert.equal(answer.status, 200, answer.body);
  };
  const toRecord = (raw: Record<string, unknown>): Record_ => ({
    id: String(raw['id']),
    received: Number(String(raw['received'])),
    accepted: Number(String(raw['accepted'])),
    rejected: Number(String(raw['rejected'])),
    duplicates: Number(String(raw['duplicates'])),
    pending: Number(String(raw['pending'])),
    status: String(raw['status']),
    faults: Object.fromEntries(Object.entries(raw['faults'] as Record<string, unknown>).map(([k, v]) => [k, Number(String(v))])),
  });
  const recordOf = async (id: string): Promise<Record_> => {
    const answer = await client.json('GET', `/admin/v1/orders/${id}`);
    assert.equal(answer.status, 200);
    return toRecord(answer.body);
  };
  const statusOf = (answer: { body: string }): string => String((JSON.parse(answer.body) as { order: { status: string; reason?: string } }).order.status);
  const reasonOf = (answer: { body: string }): string | undefined => (JSON.parse(answer.body) as { order: { reason?: string } }).order.reason;

  before(async () => {
    pki = makeTestPki();
    home = makeTestHome(pki);
    sim = await startSimulator({ home: home.path, port: 0 });
    client = makeClient(sim.url, pki);
  });
  after(async () => {
    await sim.close();
    home.remove();
  });

  test('a held submission is pending and absent (GET 404); a resend commits first and wins, the held copy is refused as a duplicate', async () => {
    const id = '9999000000000002001';
    // Held long enough for the looks and the resend below on a loaded machine.
    await setFaults({ latency: { probability: 1, fixed_ms: 4000, paths: ['POST /senebi/v1/orders'] } });
    const first = client.call('POST', '/senebi/v1/orders', orderBody(id));
    await waitFor(async () => (await recordOf(id).catch(() => undefined))?.pending === 1, { timeoutMs: 10_000, intervalMs: 20, what: 'the first copy in process' });
    assert.equal((await client.call('GET', `/senebi/v1/orders/${id}`)).status, 404, 'not in the book while in process');
    assert.equal((await recordOf(id)).status, 'absent');
    await setFaults({});
    const second = await client.call('POST', '/senebi/v1/orders', orderBody(id));
    assert.equal(statusOf(second), 'accepted', 'the resend committed first');
    const held = await first;
    assert.equal(statusOf(held), 'rejected');
    assert.equal(reasonOf(held), 'duplicate order id');
    const record = await recordOf(id);
    assert.deepEqual({ ...record, faults: record.faults }, { id, received: 2, accepted: 1, rejected: 0, duplicates: 1, pending: 0, status: 'matched', faults: { latency: 1 } });
  });

  test('the first to commit wins: a copy held shorter commits before a resend held longer', async () => {
    const id = '9999000000000002002';
    await setFaults({ latency: { probability: 1, fixed_ms: 300, paths: ['POST /senebi/v1/orders'] } });
    const first = client.call('POST', '/senebi/v1/orders', orderBody(id));
    // Received, not "pending": a 300 ms hold can be over before a loaded machine looks. Its
    // delay was drawn on arrival, so it commits 300 ms after it, before any later copy held 1200 ms.
    await waitFor(async () => (await recordOf(id).catch(() => undefined))?.received === 1, { timeoutMs: 10_000, intervalMs: 10, what: 'the first copy received' });
    await setFaults({ latency: { probability: 1, fixed_ms: 1200, paths: ['POST /senebi/v1/orders'] } });
    const second = client.call('POST', '/senebi/v1/orders', orderBody(id));
    await waitFor(async () => (await recordOf(id)).received === 2, { timeoutMs: 10_000, intervalMs: 10, what: 'the resend received' });
    await setFaults({});
    assert.equal(statusOf(await first), 'accepted');
    const refused = await second;
    assert.equal(statusOf(refused), 'rejected');
    assert.equal(reasonOf(refused), 'duplicate order id');
    const record = await recordOf(id);
    assert.equal(record.accepted, 1);
    assert.equal(record.duplicates, 1);
    assert.equal(record.status, 'matched');
  });

  test('processing holds a copy inside its id\'s sequencer: a resend waits behind it and is refused as a duplicate as soon as the held copy commits', async () => {
    const id = '9999000000000002007';
    // A hold long enough for the other id's round trip on a loaded machine: "not held up" is
    // proven by order (answered while the first copy is still pending), not by a stopwatch.
    await setFaults({ processing: { probability: 1, fixed_ms: 3000 } });
    const started = performance.now();
    const first = client.call('POST', '/senebi/v1/orders', orderBody(id));
    await waitFor(async () => (await recordOf(id).catch(() => undefined))?.pending === 1, { timeoutMs: 10_000, intervalMs: 20, what: 'the first copy in process' });
    assert.equal((await client.call('GET', `/senebi/v1/orders/${id}`)).status, 404, 'not in the book while held');
    await setFaults({});
    assert.equal(statusOf(await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000002008'))), 'accepted');
    assert.equal((await recordOf(id)).pending, 1, 'another id is not held up: answered while the first copy is still held');
    const resend = await client.call('POST', '/senebi/v1/orders', orderBody(id));
    const resendAt = performance.now() - started;
    assert.ok(resendAt >= 2980, `the resend waited for the held copy (${Math.round(resendAt)} ms)`);
    assert.equal(statusOf(resend), 'rejected');
    assert.equal(reasonOf(resend), 'duplicate order id');
    assert.equal(statusOf(await first), 'accepted', 'the held copy committed first');
    const record = await recordOf(id);
    assert.deepEqual(record, { id, received: 2, accepted: 1, rejected: 0, duplicates: 1, pending: 0, status: 'matched', faults: { processing: 1 } });
  });

  test('a client that gives up while its order is held does not stop the commit', async () => {
    const id = '9999000000000002003';
    // The client gives up once the simulator holds its order (not at a guessed instant), and the
    // hold outlasts the look that follows on a loaded machine.
    await setFaults({ latency: { probability: 1, fixed_ms: 4000, paths: ['POST /senebi/v1/orders'] } });
    const givingUp = client.call('POST', '/senebi/v1/orders', orderBody(id), undefined, 1000).then(() => 'answered', (err: unknown) => (err instanceof Error ? err.message : String(err)));
    await waitFor(async () => (await recordOf(id).catch(() => undefined))?.pending === 1, { timeoutMs: 10_000, intervalMs: 20, what: 'the order held' });
    assert.match(await givingUp, /timed out/);
    await setFaults({});
    assert.equal((await recordOf(id)).pending, 1, 'still held after the client left');
    assert.equal((await client.call('GET', `/senebi/v1/orders/${id}`)).status, 404, 'still in process after the client left');
    await waitFor(async () => (await client.call('GET', `/senebi/v1/orders/${id}`)).status === 200, { timeoutMs: 15_000, intervalMs: 20, what: 'the held order committed' });
    const record = await recordOf(id);
    assert.equal(record.status, 'matched');
    assert.equal(record.pending, 0);
    assert.equal(record.accepted, 1);
  });

  test('slow_answer commits at once and answers late: GET by id finds the order while its POST is still unanswered', async () => {
    const id = '9999000000000002004';
    await setFaults({ slow_answer: { probability: 1, fixed_ms: 600, jitter_ms: 100, paths: ['POST /senebi/v1/orders'] } });
    const started = performance.now();
    const post = client.call('POST', '/senebi/v1/orders', orderBody(id));
    await waitFor(async () => (await client.call('GET', `/senebi/v1/orders/${id}`)).status === 200, { timeoutMs: 5000, intervalMs: 20, what: 'the order in the book' });
    const answer = await post;
    assert.ok(performance.now() - started >= 595, 'the answer waited');
    assert.equal(statusOf(answer), 'accepted');
    await setFaults({});
    const record = await recordOf(id);
    assert.deepEqual(record.faults, { slow_answer: 1 });
    assert.equal(record.pending, 0);
    assert.equal((await client.call('GET', '/senebi/v1/ping')).status, 200);
  });

  test('slow_answer only delays the answer of its paths and replays from the seed', async () => {
    // Which answers were delayed is read from the simulator's fault counter, not guessed from a
    // stopwatch (on a loaded machine an undelayed answer can take longer than the delay). A
    // delayed answer is then checked against the delay as a lower bound, which load cannot break.
    const slowAnswers = async (): Promise<number> => {
      const faults = (await client.json('GET', '/admin/v1/counters')).body['faults'] as Record<string, unknown>;
      return Number(String(faults['slow_answer'] ?? 0));
    };
    const run = async (): Promise<boolean[]> => {
      await setFaults({ seed: 5, slow_answer: { probability: 0.5, fixed_ms: 150, paths: ['/senebi/v1/ping'] } });
      const slow: boolean[] = [];
      for (let i = 0; i < 10; i++) {
        const counted = await slowAnswers();
        const t = performance.now();
        assert.equal((await client.call('GET', '/senebi/v1/ping')).status, 200);
        const took = performance.now() - t;
        const delayed = (await slowAnswers()) - counted === 1;
        if (delayed) assert.ok(took >= 145, `ping ${i}: counted as delayed, answered after ${Math.round(took)} ms`);
        slow.push(delayed);
      }
      return slow;
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a, b, 'the same seed delays the same answers');
    assert.ok(a.includes(true) && a.includes(false), a.join(','));
    const counted = await slowAnswers();
    assert.equal((await client.call('GET', '/senebi/v1/orders')).status, 200);
    assert.equal(await slowAnswers(), counted, 'other paths are not delayed');
    await setFaults({});
  });

  test('GET /admin/v1/records lists every submitted id with its counts; faults that end a submission end its processing', async () => {
    const id5xx = '9999000000000002005';
    const idReset = '9999000000000002006';
    await setFaults({ http_5xx: { probability: 1, status: 502, paths: ['POST /senebi/v1/orders'] } });
    assert.equal((await client.call('POST', '/senebi/v1/orders', orderBody(id5xx))).status, 502);
    await setFaults({ reset: { probability: 1, paths: ['POST /senebi/v1/orders'] } });
    await assert.rejects(client.call('POST', '/senebi/v1/orders', orderBody(idReset)));
    await setFaults({ accepted_no_answer: { probability: 1, paths: ['POST /senebi/v1/orders'] } });
    await assert.rejects(client.call('POST', '/senebi/v1/orders', orderBody(id5xx)));
    await setFaults({});
    const answer = await client.json('GET', '/admin/v1/records');
    assert.equal(answer.status, 200);
    assert.equal(String(answer.body['pending']), '0');
    const records = (answer.body['records'] as Record<string, unknown>[]).map(toRecord);
    const byId = new Map(records.map((r) => [r.id, r]));
    assert.deepEqual(byId.get(id5xx), { id: id5xx, received: 2, accepted: 1, rejected: 0, duplicates: 0, pending: 0, status: 'matched', faults: { http_5xx: 1, accepted_no_answer: 1 } });
    assert.deepEqual(byId.get(idReset), { id: idReset, received: 1, accepted: 0, rejected: 0, duplicates: 0, pending: 0, status: 'absent', faults: { reset: 1 } });
    assert.ok(byId.has('9999000000000002001') && byId.get('9999000000000002001')?.accepted === 1);
    const ids = records.map((r) => BigInt(r.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), 'sorted by id');
    assert.equal((await client.call('DELETE', '/admin/v1/records')).status, 405);
  });
});
