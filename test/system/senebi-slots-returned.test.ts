// The SENEBI adapter's own FIFO of connection slots (packages/qsen/src/senebi/slots.ts,
// https-transport.ts), against the real simulator over real mutual TLS: with ONE socket, every
// way a call can end (an answer over the cap, announced or endless; a truncated body; a reset; no
// answer at all; invalid JSON; a 5xx; a request that gives up while queued) must give its slot
// back, or the pool shrinks until every call is `not_sent` QSEN_NO_FREE_CONNECTION. With one
// slot a single leak shows at once: the next call cannot get a connection. The suite that ships
// with the feature (test/system/qsen-answer-cap.test.ts) uses 64 sockets for the cap cases, where
// a leak would not show for 64 calls.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { initClusterPki } from '@qsen/pki';
import { ApiError, type Uint64 } from '@qsen/core';
import { parseFaultSettings, startSimulator, type RunningSimulator } from '@qsen/simulator';
import { createSenebiClient, type SenebiClient } from '@qsen/qsen';
import { findFreePort, makeTempDir, waitFor } from '@qsen/testkit';
import { writeQsenConf } from '../support/qsen-conf.js';
import { readAgentIdentity } from '../support/simulator.js';

const CAP = 65_536;
/** The adapter's deadline in these tests: generous, a loaded 2-core machine may take seconds for a TLS handshake. */
const TIMEOUT_MS = 8000;

/**
 * A TCP relay in front of the simulator that, while `hold` is set, accepts new connections but
 * keeps the client's bytes (its TLS ClientHello) until `release()`: a connection whose handshake
 * stalls as long as the test wants, then completes.
 */
function startHoldingRelay(target: number): Promise<{ server: Server; port: number; accepted: () => number; holding: (on: boolean) => void; release: () => void; close: () => void }> {
  let hold = false;
  let count = 0;
  const sockets = new Set<Socket>();
  const waiting: Array<() => void> = [];
  const server = createServer((client) => {
    count += 1;
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    const kill = (): void => { client.destroy(); upstream.destroy(); };
    client.on('error', kill).on('close', kill);
    upstream.on('error', kill).on('close', kill);
    upstream.pipe(client);
    if (!hold) {
      client.pipe(upstream);
      return;
    }
    const kept: Buffer[] = [];
    const keep = (chunk: Buffer): void => { kept.push(chunk); };
    client.on('data', keep);
    waiting.push(() => {
      client.off('data', keep);
      for (const chunk of kept) upstream.write(chunk);
      client.pipe(upstream);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address ? address.port : 0,
        accepted: () => count,
        holding: (on) => { hold = on; },
        release: () => { for (const go of waiting.splice(0)) go(); },
        close: () => { for (const s of sockets) s.destroy(); server.close(); },
      });
    });
  });
}

const order = (id: string): { id: Uint64; instrument: string; side: 'buy'; quantity: string; price: string; currency: 'USD'; settlement: 'T1'; counterparty: string } =>
  ({ id: id as Uint64, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '210' });

/** How a call ended: 'ok', or the ApiError's code, delivery and cause. */
async function outcomeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return `${err.code}/${String(err.details?.['delivery'])}/${String(err.details?.['cause'] ?? '')}`;
  }
}

describe('the SENEBI adapter never leaks a connection slot (one socket, real mutual TLS, the simulator)', () => {
  const dir = makeTempDir('qsen-slots-');
  const home = dir.path;
  let sim: RunningSimulator;
  let senebi: SenebiClient;

  const faults = (settings: Record<string, unknown>): void => {
    const parsed = parseFaultSettings(settings);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    sim.simulator.faults.replace(parsed.value);
  };
  const received = (id: string): number => sim.simulator.counters.ordersReceivedFor(id as Uint64);

  before(async () => {
    initClusterPki(home);
    writeQsenConf(home, await findFreePort(), 9443, 5000);
    sim = await startSimulator({ home, port: 0 });
    const { identity, ca } = readAgentIdentity(home);
    senebi = createSenebiClient({ url: `https://127.0.0.1:${sim.port}`, ca, cert: identity.cert, key: identity.key, maxAnswerBytes: CAP, maxSockets: 1, timeoutMs: TIMEOUT_MS });
  });
  after(async () => {
    senebi.close();
    await sim.close();
    dir.remove();
  });

  it('after each kind of failed call (repeated), the one slot is free again: the next call is answered', { timeout: 180_000 }, async () => {
    const kinds: Array<[string, Record<string, unknown>]> = [
      ['oversize endless', { oversize: { probability: 1, paths: ['GET /senebi/v1/ping'] } }],
      ['oversize announced', { oversize: { probability: 1, bytes: 4 * CAP, paths: ['GET /senebi/v1/ping'] } }],
      ['truncated', { truncated: { probability: 1, paths: ['GET /senebi/v1/ping'] } }],
      ['reset', { reset: { probability: 1, paths: ['GET /senebi/v1/ping'] } }],
      ['malformed', { malformed: { probability: 1, paths: ['GET /senebi/v1/ping'] } }],
      ['http 503', { http_5xx: { probability: 1, paths: ['GET /senebi/v1/ping'] } }],
      ['hang (answer deadline)', { hang: { probability: 1, paths: ['GET /senebi/v1/ping'] } }],
    ];
    for (const [name, settings] of kinds) {
      // Twice each (a leak of one slot shows on the first next call); no answer costs a whole deadline, so once.
      for (let round = 0; round < (name.startsWith('hang') ? 1 : 2); round += 1) {
        faults(settings);
        const failed = await outcomeOf(senebi.ping());
        assert.notEqual(failed, 'ok', `${name}: the fault makes the ping fail`);
        faults({});
        assert.equal(await outcomeOf(senebi.ping()), 'ok', `${name} (round ${round}): the next call gets the one connection (the failed call's slot was given back; was: ${failed})`);
      }
    }
    const id = '9999000000000031001';
    assert.equal(await outcomeOf(senebi.placeOrder(order(id))), 'ok');
    assert.equal(received(id), 1);
  });

  it('calls that give up while queued free nothing they never had, are not_sent and never reach SENEBI; the queue then drains in order', { timeout: 120_000 }, async () => {
    // The one socket is held by a ping SENEBI answers after 60 s (the ping itself times out at
    // its deadline, written: unknown; not_sent if this machine stalls its handshake that long).
    // Orders queued behind it give up at their deadline, before the ping's.
    faults({ latency: { probability: 1, fixed_ms: 60_000, paths: ['GET /senebi/v1/ping'] } });
    const blocker = outcomeOf(senebi.ping());
    const queued = ['9999000000000031101', '9999000000000031102', '9999000000000031103'];
    const results = await Promise.all(queued.map((id) => outcomeOf(senebi.placeOrder(order(id)))));
    for (const r of results) assert.equal(r, 'SENEBI_TIMEOUT/not_sent/', 'a call that gave up queued is not_sent');
    assert.match(await blocker, /^SENEBI_TIMEOUT\/(unknown|not_sent)\//, 'the blocking ping timed out');
    faults({});
    // Six calls at once on one socket: each waits its turn (FIFO) and all are answered.
    const next = ['9999000000000031201', '9999000000000031202', '9999000000000031203', '9999000000000031204', '9999000000000031205', '9999000000000031206'];
    const answered = await Promise.all(next.map((id) => outcomeOf(senebi.placeOrder(order(id)))));
    assert.deepEqual(answered, next.map(() => 'ok'));
    for (const id of next) assert.equal(received(id), 1, `${id} sent once`);
    for (const id of queued) assert.equal(received(id), 0, `${id} gave up queued and was never sent, even once the socket was free`);
  });

  it('a call undici already holds, whose connection is still being made when its deadline passes, is not_sent and its bytes never reach SENEBI once the handshake completes', { timeout: 120_000 }, async () => {
    // A second client through a relay that can stall a connection's handshake. One socket: a
    // placement SENEBI holds 2 s and then resets occupies it (a placement, because a reset read
    // is sent again at once); an order queued behind it gets the slot when the reset frees it
    // and needs a NEW connection, whose ClientHello the relay keeps. The order's deadline (from
    // its call) passes while undici holds it connecting; then the relay lets the handshake
    // through, before undici's own connect timeout (which started 2 s later, when the slot was
    // taken). onConnect must abort the request before a byte is written (on a machine too slow
    // for the handshake in that window, undici's connect timeout ends it: never written either way).
    const relay = await startHoldingRelay(sim.port);
    const { identity, ca } = readAgentIdentity(home);
    const slow = createSenebiClient({ url: `https://127.0.0.1:${relay.port}`, ca, cert: identity.cert, key: identity.key, maxSockets: 1, timeoutMs: TIMEOUT_MS });
    try {
      faults({ latency: { probability: 1, fixed_ms: 2000, paths: ['POST /senebi/v1/orders'] }, reset: { probability: 1, paths: ['POST /senebi/v1/orders'] } });
      const blocker = outcomeOf(slow.placeOrder(order('9999000000000031300')));
      await waitFor(() => relay.accepted() >= 1, { timeoutMs: 30_000, what: 'the blocking placement\'s connection' });
      relay.holding(true);
      const id = '9999000000000031301';
      const startedAt = Date.now();
      const queued = outcomeOf(slow.placeOrder(order(id)));
      const result = await queued;
      const gaveUpAfter = Date.now() - startedAt;
      faults({});
      relay.holding(false);
      relay.release();
      assert.equal(result, 'SENEBI_TIMEOUT/not_sent/', 'given up before it was on a connected socket: not_sent');
      assert.ok(gaveUpAfter >= TIMEOUT_MS - 50, `it gave up at its own deadline (${gaveUpAfter} ms)`);
      assert.match(await blocker, /^SENEBI_(ERROR|TIMEOUT)\/(unknown|not_sent)\//, 'the blocking placement failed (reset; not_sent only if this machine stalled its handshake past the deadline)');
      // The slot comes back once undici ends the held request (onConnect's abort, or its connect
      // timeout at the latest): the next call through the same client is answered.
      assert.equal(await outcomeOf(slow.ping()), 'ok', 'the slot of the request that gave up connecting was given back');
      const after = '9999000000000031302';
      assert.equal(await outcomeOf(slow.placeOrder(order(after))), 'ok');
      assert.equal(received(after), 1);
      assert.equal(received(id), 0, 'the order that gave up while its connection was being made never reached SENEBI, even after the handshake completed');
    } finally {
      slow.close();
      relay.close();
    }
  });
});
