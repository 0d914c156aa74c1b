import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueServerCertificate } from '@qsen/pki';
import { evaluateWindow, heartbeatFile, readHeartbeat, systemClock, type Clock, type ScheduleConfig, type WatchdogConfig, type LogSink, SILENT_LOG } from '@qsen/core';
import { findFreePort, makeTempDir, waitFor, ManualClock } from '@qsen/testkit';
import { createCoordinator } from '../src/watchdog/coordinator.js';
import { createWatchdog, type Watchdog } from '../src/watchdog/watchdog.js';
import { createHttpsProbe } from '../src/watchdog/probe.js';
import { clientContextOf, type PeerTls } from '../src/watchdog/peer-tls.js';

/** A PeerTls that never changes (the CA given once). */
function fixedPeerTls(caPem: string | Buffer): PeerTls {
  const context = clientContextOf(caPem);
  return { context: () => context, onChange: () => () => undefined, close: () => undefined };
}
import { backoffPolicyOf, readHistory, createRestartLedger } from '../src/watchdog/ledger.js';
import type { ProcessName } from '../src/process/control.js';
import { TestOwner } from './owner.js';

const pingServer = new URL('../../test/fixtures/ping-server.mjs', import.meta.url).pathname;
const tmp = makeTempDir('kan-watchdog-');
let caPem = '';
let certFile = '';
let keyFile = '';

before(() => {
  const ca = createCa({ commonName: 'watchdog test CA' });
  const server = issueServerCertificate(ca, { commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] });
  caPem = ca.certPem;
  certFile = join(tmp.path, 'server.crt');
  keyFile = join(tmp.path, 'server.key');
  writeFileSync(certFile, server.certPem);
  writeFileSync(keyFile, server.keyPem, { mode: 0o600 });
});
after(() => tmp.remove());

const defaultSettings: WatchdogConfig = {
  interval_ms: 600, timeout_ms: 500, failure_threshold: 3, startup_grace_ms: 3_000, stop_grace_ms: 500,
  backoff_initial_ms: 400, backoff_max_ms: 3_200, stable_after_ms: 10_000,
};

interface Cluster {
  owner: TestOwner;
  watchdogs: Watchdog[];
  runDir: string;
  /** The watchdogs' decision clock: lastSeenAt is on it. */
  clock: Clock;
  close(): Promise<void>;
}

/** Three watchdogs (kan 0, 1, 2) over stand-in nodes owned by a TestOwner. */
async function startCluster(opts: { qsenCrashAfterMs?: number; clock?: Clock; windowOpen?: (ms: number) => boolean; startQsen?: boolean; watchers?: number[]; settings?: WatchdogConfig; watchConnections?: boolean; dailyDueAt?: (afterMs: number) => number; ownerRestartGraceMs?: number; qsenHeartbeat?: boolean } = {}): Promise<Cluster> {
  const settings = opts.settings ?? defaultSettings;
  const runDir = join(tmp.path, `run-${Math.random().toString(16).slice(2)}`);
  mkdirSync(runDir);
  const qsenPort = await findFreePort();
  const kanPorts = [await findFreePort(), await findFreePort(), await findFreePort()];
  const args = (port: number, path: string, crash?: number) => () => [pingServer, String(port), certFile, keyFile, path, ...(crash ? [String(crash)] : [])];
  const owner = new TestOwner({
    qsen: { args: () => [...args(qsenPort, '/qsen/v1/ping', opts.qsenCrashAfterMs)(), ...(opts.qsenHeartbeat ? [`--heartbeat=${heartbeatFile(runDir, 'qsen')}`] : [])] },
    kan0: { args: args(kanPorts[0] ?? 0, '/kan/v1/ping'), autoRestartMs: 300 },
    kan1: { args: args(kanPorts[1] ?? 0, '/kan/v1/ping'), autoRestartMs: 300 },
    kan2: { args: args(kanPorts[2] ?? 0, '/kan/v1/ping'), autoRestartMs: 300 },
  }, settings.stop_grace_ms);
  const watchers = opts.watchers ?? [0, 1, 2];
  // The stand-ins of the kans that are not watching (their ping must answer for the peers).
  for (const i of [0, 1, 2]) await owner.start(`kan${i}` as ProcessName);
  if (opts.startQsen !== false) await owner.start('qsen');
  const clock = opts.clock ?? systemClock;
  const probes: Array<ReturnType<typeof createHttpsProbe>> = [];
  // Every stand-in answers before the watchdogs start.
  const ready = createHttpsProbe({ caPem });
  try {
    const qsenUp = opts.startQsen !== false && opts.qsenCrashAfterMs === undefined;
    const up = [...kanPorts.map((port) => ({ port, path: '/kan/v1/ping' })), ...(qsenUp ? [{ port: qsenPort, path: '/qsen/v1/ping' }] : [])];
    for (const target of up) await waitFor(async () => (await ready(target, 1_000)).outcome === 'ok', { timeoutMs: 15_000, what: `stand-in on ${target.port}` });
  } catch (err) {
    await owner.closeAll();
    throw err;
  } finally {
    ready.close();
  }
  const watchdogs = watchers.map((selfIndex) => {
    const ledger = createRestartLedger(runDir, backoffPolicyOf(settings));
    const coordinator = createCoordinator({ control: owner, ledger, runDir, selfIndex, clock, logger: debugLog(selfIndex) });
    const probe = createHttpsProbe({ caPem });
    probes.push(probe);
    return createWatchdog({
      selfIndex, qsenPort, kanPorts, settings, control: owner, coordinator, ledger, probe, clock,
      isWindowOpen: opts.windowOpen ?? (() => true), dailyRestartDueAt: opts.dailyDueAt ?? null, ...(opts.watchConnections ? { peerTls: fixedPeerTls(caPem) } : {}), ownerRestartGraceMs: opts.ownerRestartGraceMs ?? 2_000, logger: debugLog(selfIndex),
    });
  });
  for (const w of watchdogs) w.start();
  return {
    owner, watchdogs, runDir, clock,
    async close() {
      await Promise.all(watchdogs.map((w) => w.stop()));
      for (const p of probes) p.close();
      await owner.closeAll();
    },
  };
}

const settings = defaultSettings;

/** Prints the watchdog's log lines when KAN_DEBUG is set (diagnosing a failing run). */
function debugLog(selfIndex: number): LogSink {
  if (!process.env['KAN_DEBUG']) return SILENT_LOG;
  const print = (m: string, x?: object): void => console.log(selfIndex, m, JSON.stringify(x));
  return { error: print, warn: print, info: print, debug: () => undefined };
}

/** Seen answering since `since` (real time); under a manual clock, whose lastSeenAt stands still, the last probe answered. */
const seenHealthySince = (w: Watchdog, name: ProcessName, since: number, realClock: boolean): boolean => {
  const v = w.view().find((t) => t.name === name);
  if (v === undefined || v.lastSeenAt === null || v.failures !== 0) return false;
  return realClock ? v.lastSeenAt > since : v.lastOutcome === 'ok' && v.verdict.kind === 'healthy';
};

/**
 * Waits until every kan has seen `name` healthy after `rounds` rounds from now. Each kan on its
 * own: on a loaded machine a probe of one kan can time out once while another's answers, so
 * "all at the same poll" could take long without anything being wrong.
 */
async function allSeeHealthy(c: Cluster, name: ProcessName, rounds = 4): Promise<void> {
  const since = Date.now() + rounds * settings.interval_ms;
  const realClock = c.clock === systemClock;
  const seen = new Set<Watchdog>();
  await waitFor(() => {
    if (Date.now() <= since) return false;
    for (const w of c.watchdogs) {
      if (w.view().find((t) => t.name === name) === undefined || seenHealthySince(w, name, since, realClock)) seen.add(w);
    }
    return seen.size === c.watchdogs.length;
  }, { timeoutMs: 30_000, intervalMs: 10, what: `every kan to see ${name} healthy` });
}

/**
 * Settings for the tests whose subject is not the startup grace: a grace longer than the test.
 * On a loaded machine a replacement can take seconds to listen, and one that refuses past its
 * grace is rightly judged hung and replaced again; that second start is not what these tests
 * are about. An exit is judged at once, grace or not (judgeTarget).
 */
const longGrace: WatchdogConfig = { ...defaultSettings, startup_grace_ms: 120_000 };

/**
 * Settings for the tests of a hang after the startup grace: a grace the test waits out before
 * the hang, and that the replacement must then listen within (6 s: a loaded machine can take
 * more than 3 s to start a stand-in; the replacement is judged by the same grace).
 */
const hangGrace: WatchdogConfig = { ...defaultSettings, startup_grace_ms: 6_000 };

test('kill -9 of qsen seen by three kans: exactly one start', async () => {
  const c = await startCluster({ settings: longGrace });
  try {
    await allSeeHealthy(c, 'qsen');
    process.kill(c.owner.pid('qsen') ?? 0, 'SIGKILL');
    await waitFor(() => c.owner.starts('qsen') >= 2, { timeoutMs: 30_000, what: 'qsen started again' });
    await allSeeHealthy(c, 'qsen', 8);
    assert.equal(c.owner.starts('qsen'), 2, `calls: ${c.owner.calls.join(', ')}`);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen', 'start qsen'], 'started by one kan, never restarted');
    const h = await readHistory(c.runDir, 'qsen');
    assert.equal(h?.events.length, 1);
    assert.equal(h?.events[0]?.reason, 'exited');
  } finally {
    await c.close();
  }
});

test('SIGSTOP of qsen (hung, process present): exactly one restart', async () => {
  const c = await startCluster({ settings: hangGrace });
  try {
    await allSeeHealthy(c, 'qsen');
    await waitFor(async () => Date.now() - ((await c.owner.status('qsen')).startedAt ?? 0) > hangGrace.startup_grace_ms, { timeoutMs: 30_000, what: 'the startup grace to pass' });
    process.kill(c.owner.pid('qsen') ?? 0, 'SIGSTOP');
    await waitFor(() => c.owner.starts('qsen') >= 2, { timeoutMs: 30_000, what: 'qsen restarted' });
    await allSeeHealthy(c, 'qsen', 8);
    assert.equal(c.owner.starts('qsen'), 2, `calls: ${c.owner.calls.join(', ')}`);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen', 'restart qsen']);
    const h = await readHistory(c.runDir, 'qsen');
    assert.equal(h?.events[0]?.reason, 'hung');
  } finally {
    await c.close();
  }
});

test('a kan killed with -9 is brought back by its owner; the peers do not restart it', async () => {
  const c = await startCluster({ watchers: [0, 1], settings: longGrace });
  try {
    await allSeeHealthy(c, 'kan2');
    process.kill(c.owner.pid('kan2') ?? 0, 'SIGKILL');
    await waitFor(() => c.owner.starts('kan2') >= 2, { timeoutMs: 10_000, what: 'kan2 back' });
    await allSeeHealthy(c, 'kan2', 8);
    assert.equal(c.owner.starts('kan2'), 2, `calls: ${c.owner.calls.join(', ')}`);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('kan2')), ['start kan2'], 'only the initial start: the owner did the rest');
  } finally {
    await c.close();
  }
});

test('a hung kan (SIGSTOP) is restarted once by a peer', async () => {
  const c = await startCluster({ watchers: [0, 1], settings: hangGrace });
  try {
    await allSeeHealthy(c, 'kan2');
    await waitFor(async () => Date.now() - ((await c.owner.status('kan2')).startedAt ?? 0) > hangGrace.startup_grace_ms, { timeoutMs: 30_000, what: 'the startup grace to pass' });
    process.kill(c.owner.pid('kan2') ?? 0, 'SIGSTOP');
    await waitFor(() => c.owner.starts('kan2') >= 2, { timeoutMs: 30_000, what: 'kan2 restarted' });
    await allSeeHealthy(c, 'kan2', 8);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('kan2')), ['start kan2', 'restart kan2']);
  } finally {
    await c.close();
  }
});

test('a crash-looping qsen is restarted with growing back-off, and flagged', async () => {
  const c = await startCluster({ qsenCrashAfterMs: 150 });
  try {
    // The back-off is read from the restart ledger, not from a stopwatch in this process: each
    // restart's recorded instant is at least the back-off of its streak after the previous one
    // (400, 800, 1600, 3200 ms), however slow the machine makes the rest of the gap. Without a
    // back-off the fourth gap would be the detection time alone (about 2 s), under its 3.2 s.
    const restartTimes = async (): Promise<number[]> => ((await readHistory(c.runDir, 'qsen'))?.events ?? []).filter((e) => e.action !== 'stop' && e.reason !== 'schedule').map((e) => Date.parse(e.at));
    await waitFor(async () => (await restartTimes()).length >= 5, { timeoutMs: 60_000, intervalMs: 50, what: 'five restarts in the ledger' })
      .catch(async (err: unknown) => { throw new Error(`${String(err)}; ledger: ${JSON.stringify(await readHistory(c.runDir, 'qsen'))}; owner calls: ${c.owner.calls.join(', ')}`); });
    const restarts = (await restartTimes()).slice(0, 5);
    const gaps = restarts.slice(1).map((t, i) => t - (restarts[i] ?? t));
    gaps.forEach((gap, i) => {
      const floor = Math.min(defaultSettings.backoff_max_ms, defaultSettings.backoff_initial_ms * 2 ** i);
      assert.ok(gap >= floor - 5, `gap ${i + 1} is ${gap} ms, under its back-off ${floor} ms (gaps ${gaps.join(', ')})`);
    });
    const h = await readHistory(c.runDir, 'qsen');
    assert.ok((h?.streak ?? 0) >= 4, `streak ${h?.streak}`);
  } finally {
    await c.close();
  }
});

test('a kan whose own event loop stalls does not condemn anyone on stale evidence', async () => {
  const c = await startCluster({ watchers: [0] });
  try {
    await allSeeHealthy(c, 'qsen');
    // Stall this process (the watchdog's event loop) for 2 s: probe timers and timeouts fire late.
    const until = Date.now() + 2_000;
    while (Date.now() < until) { /* busy: a stalled kan */ }
    await allSeeHealthy(c, 'qsen', 6);
    assert.equal(c.owner.starts('qsen'), 1);
    assert.equal(c.owner.starts('kan1'), 1);
    assert.equal(c.owner.starts('kan2'), 1);
    assert.deepEqual(c.owner.calls, ['start kan0', 'start kan1', 'start kan2', 'start qsen']);
  } finally {
    await c.close();
  }
});

test('schedule under a manual clock: qsen started when the window opens, stopped when it closes, never started outside', async () => {
  const schedule: ScheduleConfig = {
    timezone: 'America/Argentina/Buenos_Aires', start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [],
    kan_restart: '00:05', kan_restart_stagger_minutes: 2,
  };
  const beforeOpen = Date.parse('2026-11-23T13:29:00Z'); // Monday 10:29 in Buenos Aires (UTC-3)
  const clock = new ManualClock(beforeOpen);
  const c = await startCluster({ clock, startQsen: false, windowOpen: (ms) => evaluateWindow(schedule, ms).open });
  try {
    await allSeeHealthy(c, 'kan1');
    // Closed: many rounds, qsen is never started.
    const closedUntil = Date.now() + 6 * settings.interval_ms;
    await waitFor(() => Date.now() > closedUntil, { what: 'rounds while closed' });
    assert.equal(c.owner.starts('qsen'), 0);
    clock.set(Date.parse('2026-11-23T13:30:00Z')); // 10:30: open
    await waitFor(() => c.owner.starts('qsen') === 1, { timeoutMs: 10_000, what: 'qsen started at the opening' });
    await allSeeHealthy(c, 'qsen');
    clock.set(Date.parse('2026-11-23T20:30:00Z')); // 17:30: closed
    await waitFor(async () => (await c.owner.status('qsen')).state === 'stopped', { timeoutMs: 10_000, what: 'qsen stopped at the close' });
    const after = Date.now() + 8 * settings.interval_ms;
    await waitFor(() => Date.now() > after, { what: 'rounds after the close' });
    assert.equal(c.owner.starts('qsen'), 1, `not started again outside the window: ${c.owner.calls.join(', ')}`);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen', 'stop qsen'], c.owner.calls.join(', '));
  } finally {
    await c.close();
  }
});

test('an idle connection reports a kill -9 at once, long before the next probe round', async () => {
  // One probe round when the watchdog starts, the next one 10 minutes later: a start before
  // then can only come from the idle connection's close (causality, not a stopwatch).
  const slow = { ...longGrace, interval_ms: 600_000 };
  const firstRoundBefore = Date.now();
  const c = await startCluster({ watchers: [0], settings: slow, watchConnections: true });
  try {
    await waitFor(() => c.watchdogs[0]?.view().find((t) => t.name === 'qsen')?.watching, { timeoutMs: 30_000, what: 'the idle connection to qsen' });
    await waitFor(async () => Date.now() - ((await c.owner.status('qsen')).startedAt ?? 0) > 500, { what: 'qsen settled' });
    process.kill(c.owner.pid('qsen') ?? 0, 'SIGKILL');
    await waitFor(() => c.owner.starts('qsen') >= 2, { timeoutMs: 60_000, what: 'qsen started again before the next round' });
    assert.ok(Date.now() < firstRoundBefore + slow.interval_ms, 'started again before the second probe round was due');
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen', 'start qsen']);
  } finally {
    await c.close();
  }
});

test('daily restart: due, it waits while a peer is down, then restarts itself once through its owner', async () => {
  const clock = new ManualClock(Date.parse('2026-11-23T03:00:00Z'));
  const due = Date.parse('2026-11-23T03:05:00Z');
  // The owner grace is long here: the stopped peer stays down while the test looks.
  const c = await startCluster({ watchers: [0], clock, ownerRestartGraceMs: 60_000, dailyDueAt: (after) => (after < due ? due : due + 86_400_000) });
  try {
    await allSeeHealthy(c, 'kan1');
    assert.equal(c.watchdogs[0]?.dailyRestartDueAt, due);
    await c.owner.stop('kan2'); // a peer down: no daily restart now
    clock.set(due + 1_000);
    const waited = Date.now() + 6 * settings.interval_ms;
    await waitFor(() => Date.now() > waited, { what: 'rounds with a peer down' });
    assert.equal(c.owner.calls.includes('restart kan0'), false, c.owner.calls.join(', '));
    assert.equal(c.owner.calls.includes('start kan2'), true);
    await c.owner.start('kan2');
    await waitFor(() => c.owner.calls.includes('restart kan0'), { timeoutMs: 15_000, what: 'the daily restart once both peers are healthy' });
    await waitFor(() => c.watchdogs[0]?.dailyRestartDueAt === due + 86_400_000, { what: 'the next day scheduled' });
    assert.equal(c.owner.calls.filter((x) => x === 'restart kan0').length, 1);
    const h = await readHistory(c.runDir, 'kan0');
    assert.equal(h?.events.at(-1)?.reason, 'daily');
  } finally {
    await c.close();
  }
});

// Busy is not hung (docs/kan.md): the stand-in's listener answers only after 5 s (SIGUSR1), as
// under a flood of handshakes, while its event loop runs and keeps its heartbeat.
test('a busy listener whose heartbeat advances is never restarted', async () => {
  const c = await startCluster({ qsenHeartbeat: true });
  try {
    await allSeeHealthy(c, 'qsen');
    const pid = c.owner.pid('qsen') ?? 0;
    await waitFor(async () => (await readHeartbeat(heartbeatFile(c.runDir, 'qsen')))?.pid === pid, { what: 'the stand-in heartbeat' });
    await waitFor(async () => Date.now() - ((await c.owner.status('qsen')).startedAt ?? 0) > settings.startup_grace_ms, { what: 'the startup grace to pass' });
    process.kill(pid, 'SIGUSR1');
    // Many more timeouts than failure_threshold: 12 rounds of 600 ms with 500 ms timeouts.
    await waitFor(() => c.watchdogs.every((w) => (w.view().find((t) => t.name === 'qsen')?.busyProbes ?? 0) >= 6), { timeoutMs: 30_000, what: 'every kan to see qsen busy six times' });
    assert.equal(c.owner.starts('qsen'), 1, `calls: ${c.owner.calls.join(', ')}`);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen']);
    assert.equal(await readHistory(c.runDir, 'qsen'), undefined, 'no restart recorded');
  } finally {
    await c.close();
  }
});

test('an event loop stuck in a busy loop is replaced once: its heartbeat stops', async () => {
  const c = await startCluster({ qsenHeartbeat: true, settings: hangGrace });
  try {
    await allSeeHealthy(c, 'qsen');
    await waitFor(async () => Date.now() - ((await c.owner.status('qsen')).startedAt ?? 0) > hangGrace.startup_grace_ms, { timeoutMs: 30_000, what: 'the startup grace to pass' });
    process.kill(c.owner.pid('qsen') ?? 0, 'SIGUSR2');
    await waitFor(() => c.owner.starts('qsen') >= 2, { timeoutMs: 30_000, what: 'qsen restarted' });
    await allSeeHealthy(c, 'qsen', 8);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen', 'restart qsen']);
    const h = await waitFor(async () => { const r = await readHistory(c.runDir, 'qsen'); return (r?.events.length ?? 0) > 0 ? r : null; }, { what: 'the restart recorded' });
    assert.equal(h.events[0]?.reason, 'hung');
  } finally {
    await c.close();
  }
});

test('SIGSTOP inside the startup grace: a stopped process is no slow starter, replaced long before the grace ends', async () => {
  const c = await startCluster({ settings: longGrace });
  try {
    await waitFor(() => c.watchdogs.every((w) => w.view().find((t) => t.name === 'qsen')?.lastOutcome === 'ok'), { timeoutMs: 15_000, what: 'every kan to see qsen answer' });
    const startedAt = (await c.owner.status('qsen')).startedAt ?? 0;
    process.kill(c.owner.pid('qsen') ?? 0, 'SIGSTOP');
    await waitFor(() => c.owner.starts('qsen') >= 2, { timeoutMs: 60_000, what: 'qsen replaced' });
    const age = Date.now() - startedAt;
    assert.ok(age < longGrace.startup_grace_ms, `replaced ${age} ms after its start, inside its ${longGrace.startup_grace_ms} ms grace`);
    assert.deepEqual(c.owner.calls.filter((x) => x.includes('qsen')), ['start qsen', 'restart qsen']);
    // The event is written once the owner's restart has returned.
    const h = await waitFor(async () => { const r = await readHistory(c.runDir, 'qsen'); return (r?.events.length ?? 0) > 0 ? r : null; }, { what: 'the restart recorded' });
    assert.equal(h.events[0]?.reason, 'hung');
  } finally {
    await c.close();
  }
});
