// SENEBI's answers are capped and the wait for a free connection is bounded (docs/qsen.md, "The
// SENEBI adapter"), against the real simulator over real mutual TLS: the `oversize` fault
// (docs/simulator.md) sends a huge or endless body. The adapter stops reading at the cap (the
// bytes read are asserted, not the process's memory), reports delivery `unknown` for an order
// that was written, and the retry reconciles it by id to exactly SENEBI's record; an order whose
// deadline passes while it waits for the only connection is `not_sent` and never reaches SENEBI,
// even after the connection frees. Last, qsen itself (a child process, `max_answer_bytes =
// 65536`) answers an oversize placement 502 unknown and the platform's retry answers SENEBI's record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initClusterPki } from '@qsen/pki';
import { ApiError, type Uint64 } from '@qsen/core';
import { parseFaultSettings, startSimulator, type RunningSimulator } from '@qsen/simulator';
import { createSenebiClient, type SenebiClient } from '@qsen/qsen';
import { findFreePort, httpsCall, makeTempDir, waitFor, type HttpsAnswer } from '@qsen/testkit';
import { writeQsenConf } from '../support/qsen-conf.js';
import { readAgentIdentity } from '../support/simulator.js';

const REPOSITORY = new URL('../../../', import.meta.url).pathname;
const QSEN_MAIN = join(REPOSITORY, 'packages/qsen/dist/src/main.js');
const CAP = 65_536;
/** undici hands the body over in pieces of at most 64 KiB: the most ever held is the cap plus one. */
const MOST_READ = CAP + 65_536;

const order = (id: string): { id: Uint64; instrument: string; side: 'buy'; quantity: string; price: string; currency: 'USD'; settlement: 'T1'; counterparty: string } =>
  ({ id: id as Uint64, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '210' });

/** The ApiError a call rejected with. */
async function failureOf(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('the call succeeded');
}

describe('SENEBI answer cap and bounded queueing, through real mutual TLS against the simulator', () => {
  const dir = makeTempDir('qsen-system-answer-cap-');
  const home = dir.path;
  let sim: RunningSimulator;
  const clients: SenebiClient[] = [];
  const children: ChildProcess[] = [];

  const faults = (settings: Record<string, unknown>): void => {
    const parsed = parseFaultSettings(settings);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    sim.simulator.faults.replace(parsed.value);
  };
  const client = (options: { timeoutMs: number; maxSockets?: number }): SenebiClient => {
    const { identity, ca } = readAgentIdentity(home);
    const made = createSenebiClient({ url: `https://127.0.0.1:${sim.port}`, ca, cert: identity.cert, key: identity.key, maxAnswerBytes: CAP, ...options });
    clients.push(made);
    return made;
  };
  const received = (id: string): number => sim.simulator.counters.ordersReceivedFor(id as Uint64);

  before(async () => {
    initClusterPki(home);
    writeQsenConf(home, await findFreePort(), 9443, 5000);
    sim = await startSimulator({ home, port: 0 });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sim.close();
    dir.remove();
  });

  it('an endless listing is cut at the cap: SENEBI_ERROR unknown, at most the cap plus one piece read, and the client goes on', { timeout: 60_000 }, async () => {
    const senebi = client({ timeoutMs: 10_000 });
    faults({ oversize: { probability: 1, paths: ['GET /senebi/v1/orders'] } });
    const err = await failureOf(senebi.listOrders('2026-12-01'));
    faults({});
    assert.equal(err.code, 'SENEBI_ERROR');
    assert.equal(err.details?.['delivery'], 'unknown');
    assert.equal(err.details?.['cause'], 'QSEN_ANSWER_TOO_LARGE');
    const bytesRead = Number(err.details?.['bytesRead']);
    assert.ok(bytesRead > CAP && bytesRead <= MOST_READ, `read ${bytesRead} bytes of an endless body (cap ${CAP})`);
    assert.ok(Array.isArray(await senebi.listOrders('2026-12-01')), 'the next listing is read normally');
  });

  it('an order answered with a body over the cap is unknown, never rejected, and its read by id is SENEBI\'s record; it was sent once', { timeout: 60_000 }, async () => {
    const senebi = client({ timeoutMs: 10_000 });
    for (const [id, bytes] of [['9999000000000021001', 0], ['9999000000000021002', 10 * 1024 * 1024]] as const) {
      faults({ oversize: { probability: 1, bytes, paths: ['POST /senebi/v1/orders'] } });
      const err = await failureOf(senebi.placeOrder(order(id)));
      faults({});
      assert.equal(err.code, 'SENEBI_ERROR', id);
      assert.equal(err.details?.['delivery'], 'unknown', `${id}: SENEBI took it, qsen cannot know`);
      const bytesRead = Number(err.details?.['bytesRead']);
      // A Content-Length over the cap is refused before a byte of the body is read.
      if (bytes > 0) assert.equal(bytesRead, 0, 'announced over the cap: nothing read');
      else assert.ok(bytesRead > CAP && bytesRead <= MOST_READ, `read ${bytesRead}`);
      const record = await senebi.getOrder(id as Uint64);
      const held = sim.simulator.store.getOrder(id as Uint64);
      assert.ok(record && held, 'SENEBI holds the order');
      assert.equal(record.state, held.status, 'the read by id is SENEBI\'s record');
      assert.equal(record.status, 'accepted');
      assert.equal(received(id), 1, 'sent once');
    }
  });

  it('an order whose deadline passes while it waits for the only connection is not_sent and never reaches SENEBI', { timeout: 60_000 }, async () => {
    // One socket; a ping SENEBI holds 20 s occupies it. The order, sent right after (before the
    // ping's TLS handshake can end), waits in the queue and gives up at its own deadline, before
    // the ping's (which starts once the ping is on the socket).
    const senebi = client({ timeoutMs: 3000, maxSockets: 1 });
    faults({ latency: { probability: 1, fixed_ms: 20_000, paths: ['GET /senebi/v1/ping'] } });
    const blocker = senebi.ping().then(() => 'answered', (err: unknown) => (err instanceof ApiError ? String(err.details?.['delivery']) : String(err)));
    const queued = '9999000000000021101';
    const err = await failureOf(senebi.placeOrder(order(queued)));
    assert.equal(err.code, 'SENEBI_TIMEOUT');
    assert.equal(err.details?.['delivery'], 'not_sent');
    // The ping was written and timed out (`unknown`); on a machine stalled past its own deadline
    // before its handshake ended it is `not_sent` instead. Either way it held the only socket.
    assert.ok(['unknown', 'not_sent'].includes(await blocker));
    faults({});
    const next = '9999000000000021102';
    const placed = await senebi.placeOrder(order(next));
    assert.equal(placed.kind, 'placed');
    assert.equal(received(next), 1);
    assert.equal(received(queued), 0, 'the order that gave up in the queue was never sent, even once the socket was free');
  });

  it('qsen (max_answer_bytes = 65536) answers an oversize placement 502 unknown; the retry answers SENEBI\'s record, sent once', { timeout: 120_000 }, async () => {
    const port = await findFreePort();
    writeQsenConf(home, port, sim.port, 5000);
    appendFileSync(join(home, 'conf.toml'), `max_answer_bytes = ${CAP}\n`);
    const child = spawn(process.execPath, [QSEN_MAIN, '--config', join(home, 'conf.toml')], { stdio: 'ignore' });
    children.push(child);
    const ca = readFileSync(join(home, 'pki/ca.crt'));
    await waitFor(async () => {
      const r = await httpsCall(`https://127.0.0.1:${port}/qsen/v1/ping`, { ca, timeoutMs: 1000 });
      return r.status === 200 && (JSON.parse(r.body) as { reconciling: boolean }).reconciling === false;
    }, { timeoutMs: 30_000, what: 'qsen up and reconciled' });
    const id = '9999000000000021201';
    const send = (): Promise<HttpsAnswer> => httpsCall(`https://127.0.0.1:${port}/qsen/v1/sendOrder`, {
      method: 'POST',
      ca,
      identity: { cert: readFileSync(join(home, 'pki/clients/platform.crt')), key: readFileSync(join(home, 'pki/clients/platform.key')) },
      body: `{"id": ${id}, "instrument": "AL30", "side": "buy", "quantity": 1000, "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210"}`,
      timeoutMs: 30_000,
    });
    faults({ oversize: { probability: 1, paths: ['POST /senebi/v1/orders'] } });
    const first = await send();
    faults({});
    assert.equal(first.status, 502, first.body);
    const details = (JSON.parse(first.body) as { error: { code: string; details: Record<string, unknown> } }).error.details;
    assert.equal(details['delivery'], 'unknown');
    const retry = await send();
    assert.equal(retry.status, 200, retry.body);
    const answered = (JSON.parse(retry.body) as { order: { status: string; senebi: { status: string } } }).order;
    const held = sim.simulator.store.getOrder(id as Uint64);
    assert.ok(held);
    assert.equal(answered.status, 'accepted');
    assert.equal(answered.senebi.status, held.status, 'the answer is SENEBI\'s record');
    assert.equal(received(id), 1, 'reconciled by id, not sent again');
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
});
