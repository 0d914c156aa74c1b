/**
 * Chaos: random kill -9 and SIGSTOP of any of the four supervised processes, 30 rounds; after
 * each, all four answer again within the bound and exactly one restart happened (the launcher's
 * invocation counters); then two kans killed at once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@qsen/testkit';
import { NODE_NAMES, editConfig, readLogs, startSystem, type LocalSystem, type NodeName } from '../support/index.js';

const ROUNDS = 30;
/** Detection (startup grace 5 s + 3 rounds of 1 s + 0.7 s timeout) + stop grace 3 s + back-off (at most 4 s) + start, with room for a loaded CI machine. */
const RECOVERY_BOUND_MS = 45_000;

let system: LocalSystem;

/** Shorter watchdog periods than production so that 30 rounds fit in minutes (documented in docs/reliability.md). */
const TUNED_WATCHDOG = { startup_grace_ms: '5000', backoff_max_ms: '4000', stable_after_ms: '10000' };

before(async () => {
  system = await startSystem({ prefix: 'qsen-chaos-supervision-', prepare: (home) => editConfig(home, TUNED_WATCHDOG) });
});

after(async () => {
  await system?.stop();
});

async function invocations(): Promise<Map<NodeName, bigint>> {
  const map = new Map<NodeName, bigint>();
  for (const node of NODE_NAMES) map.set(node, BigInt((await system.status(node)).invocation));
  return map;
}

/** A small seeded generator, so that a failing sequence can be replayed (the seed is printed). */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function waitRecovered(victims: readonly NodeName[], expected: Map<NodeName, bigint>): Promise<void> {
  await waitFor(async () => {
    for (const victim of victims) {
      const status = await system.status(victim);
      if (status.state !== 'running' || BigInt(status.invocation) < (expected.get(victim) ?? 0n)) return false;
    }
    return (await Promise.all(NODE_NAMES.map((n) => system.pingOnce(n, 1500)))).every(Boolean);
  }, { timeoutMs: RECOVERY_BOUND_MS, intervalMs: 200, what: `${victims.join(' and ')} restarted and all four answering` });
}

test(`${ROUNDS} rounds of kill -9 / SIGSTOP of a random process: all healthy after each, exactly one restart per fault`, { timeout: 1_200_000 }, async () => {
  const seed = Number(process.env['QSEN_CHAOS_SEED'] ?? Date.now() % 1_000_000);
  const random = makeRandom(seed);
  const expected = await invocations();
  const recovery: number[] = [];
  const log: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const victim = NODE_NAMES[Math.floor(random() * NODE_NAMES.length)] ?? 'qsen';
    const signal = random() < 0.5 ? 'SIGKILL' : 'SIGSTOP';
    const status = await system.status(victim);
    assert.ok(status.pid !== null, `${victim} has a pid`);
    const started = Date.now();
    process.kill(status.pid, signal);
    expected.set(victim, (expected.get(victim) ?? 0n) + 1n);
    await waitRecovered([victim], expected);
    const ms = Date.now() - started;
    recovery.push(ms);
    log.push(`${round}:${victim}/${signal === 'SIGKILL' ? 'kill' : 'stop'}=${ms}ms`);
    // Exactly one restart: the victim's invocation went up by one, nobody else's moved.
    const now = await invocations();
    for (const node of NODE_NAMES) assert.equal(now.get(node), expected.get(node), `round ${round} (${victim} ${signal}): invocations of ${node}`);
  }
  // A late second restart of any victim would show here.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const settled = await invocations();
  for (const node of NODE_NAMES) assert.equal(settled.get(node), expected.get(node), `after the rounds: invocations of ${node}`);
  const sorted = [...recovery].sort((a, b) => a - b);
  console.log([
    '',
    `supervision chaos (seed ${seed}): ${ROUNDS} faults, ${ROUNDS} restarts, 0 extra restarts`,
    `  recovery: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms (bound ${RECOVERY_BOUND_MS} ms)`,
    `  ${log.join(' ')}`,
    '',
  ].join('\n'));
});

test('two kans killed at once: both restarted exactly once, all four healthy', { timeout: 120_000 }, async () => {
  await system.waitAllAnswering(30_000);
  const expected = await invocations();
  const pids = await Promise.all((['kan0', 'kan1'] as const).map(async (n) => (await system.status(n)).pid));
  const started = Date.now();
  for (const pid of pids) {
    assert.ok(pid !== null);
    process.kill(pid, 'SIGKILL');
  }
  expected.set('kan0', (expected.get('kan0') ?? 0n) + 1n);
  expected.set('kan1', (expected.get('kan1') ?? 0n) + 1n);
  await waitRecovered(['kan0', 'kan1'], expected);
  const ms = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const now = await invocations();
  for (const node of NODE_NAMES) assert.equal(now.get(node), expected.get(node), `invocations of ${node}`);
  console.log(`two kans killed at once: both back in ${ms} ms, one restart each`);
});

test('the acting kan killed in the middle of a restart: qsen restarted exactly once, that kan once', { timeout: 120_000 }, async () => {
  await system.waitAllAnswering(30_000);
  // Let every process leave its startup grace so that the hung qsen is judged at once.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const expected = await invocations();
  const kans = ['kan0', 'kan1', 'kan2'] as const;
  const announced = (kan: string): number => (readLogs(system.home, kan).match(/"message":"restart of qsen"/g) ?? []).length;
  const baseline = new Map(kans.map((k) => [k, announced(k)]));
  const qsen = await system.status('qsen');
  assert.ok(qsen.pid !== null);
  const started = Date.now();
  process.kill(qsen.pid, 'SIGSTOP');
  // The acting kan logs "restart of qsen" just before it asks the owner: kill it right then.
  const actor = await waitFor(() => kans.find((k) => announced(k) > (baseline.get(k) ?? 0)), { timeoutMs: 60_000, intervalMs: 10, what: 'a kan announcing the restart of qsen' });
  const actorPid = (await system.status(actor)).pid;
  assert.ok(actorPid !== null);
  process.kill(actorPid, 'SIGKILL');
  const killedAfter = Date.now() - started;
  expected.set('qsen', (expected.get('qsen') ?? 0n) + 1n);
  expected.set(actor, (expected.get(actor) ?? 0n) + 1n);
  await waitRecovered(['qsen', actor], expected);
  const ms = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const now = await invocations();
  for (const node of NODE_NAMES) assert.equal(now.get(node), expected.get(node), `invocations of ${node}`);
  console.log(`acting kan killed mid-restart: ${actor} killed ${killedAfter} ms after qsen was stopped; all four back in ${ms} ms, qsen restarted once, ${actor} once`);
});
