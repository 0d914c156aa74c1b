/**
 * Chaos: an order stream from several concurrent platform clients while qsen is kill -9'ed at
 * random moments, 10 times, and the simulator answers some orders "accepted, then no answer".
 * Every order that got a 200 is in SENEBI exactly once, every retried order exactly once, no
 * order twice. Prints sent / acknowledged / retried / lost / duplicated.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@qsen/testkit';
import { createSimulatorAdmin, editConfig, errorCodeOf, orderBody, startSystem, type LocalSystem, type SimulatorAdmin } from '../support/index.js';

const KILLS = 10;
const CLIENTS = 4;
const FIRST_ID = 9999000000000100000n;

let system: LocalSystem;
let admin: SimulatorAdmin;

/**
 * The campaign's shorter back-off periods (the startup grace stays production's 15 s: a qsen
 * reconciling after a kill on a loaded machine is not to be judged hung). With production's (back-off
 * doubling to 60 s, reset only after 60 s of stable running) ten kills a few seconds apart made
 * the kans wait 1+2+4+...+60 s, about five minutes of a 10-minute budget, and the last kills
 * 58 s of a 90 s recovery wait (docs/reliability.md): a loaded machine ran out of time although
 * nothing was wrong. The back-off is not what this suite checks (back-off.test.ts does); what it
 * checks, no order lost or doubled across kill -9, is the same with any period.
 */
const TUNED_BACKOFF = { backoff_max_ms: '4000', stable_after_ms: '10000' };

before(async () => {
  system = await startSystem({ prefix: 'qsen-chaos-orders-', prepare: (home) => editConfig(home, TUNED_BACKOFF) });
  admin = createSimulatorAdmin(system);
  await admin.putFaults({ seed: 8, accepted_no_answer: { probability: 0.1, paths: ['POST /senebi/v1/orders'] } });
});

after(async () => {
  await system?.stop();
});

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test(`orders from ${CLIENTS} clients while qsen is kill -9'ed ${KILLS} times: none lost, none twice`, { timeout: 600_000 }, async () => {
  let nextId = FIRST_ID;
  let stopping = false;
  const acknowledged = new Map<string, string>();
  const sent = new Set<string>();
  const retried = new Set<string>();
  const unexpected: string[] = [];
  const answers = new Map<string, number>();
  let lastAckAt = 0;

  const client = async (n: number): Promise<void> => {
    while (!stopping) {
      const id = String(nextId++);
      const body = orderBody(id, { quantity: String(100 + n) });
      sent.add(id);
      const deadline = Date.now() + 180_000;
      for (;;) {
        let label: string;
        try {
          const answer = await system.call('qsen', '/qsen/v1/sendOrder', { method: 'POST', identity: 'platform', body, timeoutMs: 20_000 });
          label = `${answer.status} ${errorCodeOf(answer) ?? ''}`.trim();
          if (answer.status === 200) {
            const order = (JSON.parse(answer.body) as { order: { id: string; status: string } }).order;
            if (order.id !== id) unexpected.push(`${id}: answered for ${order.id}`);
            acknowledged.set(id, order.status);
            lastAckAt = Date.now();
            answers.set(label, (answers.get(label) ?? 0) + 1);
            break;
          }
          if (answer.status === 409 || answer.status === 403 || answer.status === 400) {
            unexpected.push(`${id}: ${answer.status} ${answer.body.slice(0, 200)}`);
            break;
          }
        } catch (err) {
          label = (err as { code?: string }).code ?? 'connection error';
        }
        answers.set(label, (answers.get(label) ?? 0) + 1);
        retried.add(id);
        if (Date.now() > deadline) {
          unexpected.push(`${id}: no 200 within 180 s of retries`);
          break;
        }
        await pause(200);
      }
    }
  };

  const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
  const kills: Array<{ pid: number; afterMs: number; recoveredMs: number }> = [];
  try {
    for (let k = 0; k < KILLS; k++) {
      await waitFor(() => system.pingOnce('qsen'), { timeoutMs: 90_000, intervalMs: 100, what: 'qsen answering again' });
      const since = Date.now();
      await waitFor(() => lastAckAt > since, { timeoutMs: 60_000, intervalMs: 50, what: 'an order acknowledged since the last kill' });
      const delay = 200 + Math.floor(Math.random() * 1500);
      await pause(delay);
      const status = await system.status('qsen');
      assert.ok(status.pid !== null, 'qsen has a pid');
      const killedAt = Date.now();
      process.kill(status.pid, 'SIGKILL');
      await waitFor(async () => {
        const now = await system.status('qsen');
        return now.pid !== null && now.pid !== status.pid && now.state === 'running';
      }, { timeoutMs: 90_000, intervalMs: 100, what: 'qsen restarted by the kans' });
      await waitFor(() => system.pingOnce('qsen'), { timeoutMs: 90_000, intervalMs: 100, what: 'qsen answering' });
      kills.push({ pid: status.pid, afterMs: delay, recoveredMs: Date.now() - killedAt });
    }
    await pause(2000);
  } finally {
    stopping = true;
    await Promise.all(clients);
  }

  const counters = await admin.counters();
  let lost = 0;
  let duplicated = 0;
  let notInSenebi = 0;
  for (const id of sent) {
    const received = counters.ordersReceived[id] ?? 0;
    if (received > 1) duplicated += 1;
    if (acknowledged.has(id)) {
      const seen = await admin.order(id);
      if (seen.order === null) lost += 1;
    } else if (received === 0) {
      notInSenebi += 1;
    }
  }
  const faults = counters.faults['accepted_no_answer'] ?? 0;
  const recovery = kills.map((k) => k.recoveredMs);
  console.log([
    '',
    `orders under kill -9: ${KILLS} kills of qsen, ${CLIENTS} concurrent clients, accepted_no_answer injected ${faults} times`,
    `  sent ${sent.size}, acknowledged ${acknowledged.size}, retried ${retried.size}, lost ${lost}, duplicated ${duplicated}, never reached SENEBI ${notInSenebi}`,
    `  answers seen: ${[...answers].map(([k, v]) => `${k} x${v}`).join(', ')}`,
    `  qsen back after a kill in ${Math.min(...recovery)}..${Math.max(...recovery)} ms`,
    '',
  ].join('\n'));
  assert.deepEqual(unexpected, []);
  assert.equal(acknowledged.size, sent.size, 'every order was acknowledged in the end');
  assert.equal(lost, 0, 'no acknowledged order is missing in SENEBI');
  assert.equal(duplicated, 0, 'no order reached SENEBI twice');
  assert.ok(faults > 0, 'the ambiguous case was exercised');
});
