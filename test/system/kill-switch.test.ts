// System test of the kill switch that pulls resting orders and of the dead man's switch
// (docs/qsen.md, "Pulling resting orders", "POST /heartbeat"): the real SENEBI simulator in
// process (its store proves what was cancelled), qsen as a real child process over mutual TLS,
// killed with -9 in the middle of a mass cancel, and qsen-admin as a real child process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { initClusterPki } from '@qsen/pki';
import { parseFaultSettings, startSimulator, type RunningSimulator } from '@qsen/simulator';
import { toUint64, type Uint64 } from '@qsen/core';
import { findFreePort, httpsCall, makeTempDir, waitFor, type HttpsAnswer } from '@qsen/testkit';
import { createSimulatorAdmin } from '../support/simulator.js';

const REPOSITORY = new URL('../../../', import.meta.url).pathname;
const QSEN_MAIN = join(REPOSITORY, 'packages/qsen/dist/src/main.js');
const QSEN_ADMIN = join(REPOSITORY, 'packages/qsen/dist/src/cli/admin.js');

function writeConf(home: string, qsenPort: number, senebiPort: number, deadman?: { interval: number; cancelOpen: boolean }): void {
  writeFileSync(join(home, 'conf.toml'), [
    '[server]', 'listen = "127.0.0.1"', `qsen_port = ${qsenPort}`,
    '[schedule]', 'timezone = "America/Argentina/Buenos_Aires"', 'start = "00:00"', 'stop = "24:00"',
    'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
    '[senebi]', `url = "https://127.0.0.1:${senebiPort}"`, 'ca = "senebi/ca.crt"', 'cert = "senebi/agent.crt"',
    'key = "senebi/agent.key.enc"', 'passphrase_file = "senebi/passphrase"', 'timeout_ms = 3000', 'test_identity = true',
    ...(deadman ? ['[deadman]', 'enabled = true', `interval_seconds = ${deadman.interval}`, `cancel_open = ${String(deadman.cancelOpen)}`] : []),
    '',
  ].join('\n'));
}

type Role = 'platform' | 'operator' | 'auditor';
type Json = Record<string, unknown>;

describe('the kill switch pulls resting orders; the dead man\'s switch halts a silent platform', () => {
  const dir = makeTempDir('qsen-system-kill-');
  const home = dir.path;
  let sim: RunningSimulator;
  let port = 0;
  let qsen: ChildProcess | undefined;
  let nextId = 1;
  const ca = (): Buffer => readFileSync(join(home, 'pki/ca.crt'));

  const call = async (role: Role, method: string, path: string, body?: string, timeoutMs = 30_000): Promise<HttpsAnswer & { json: Json }> => {
    const answer = await httpsCall(`https://127.0.0.1:${port}${path}`, {
      method, ca: ca(), timeoutMs,
      identity: { cert: readFileSync(join(home, `pki/clients/${role}.crt`)), key: readFileSync(join(home, `pki/clients/${role}.key`)) },
      ...(body !== undefined ? { body } : {}),
    });
    let json: Json = {};
    try {
      json = JSON.parse(answer.body) as Json;
    } catch {
      json = {};
    }
    return { ...answer, json };
  };
  const startQsen = async (): Promise<void> => {
    qsen = spawn(process.execPath, [QSEN_MAIN, '--config', join(home, 'conf.toml')], { stdio: 'ignore' });
    await waitFor(async () => {
      const r = await httpsCall(`https://127.0.0.1:${port}/qsen/v1/ping`, { ca: ca(), timeoutMs: 1000 });
      return r.status === 200 && (JSON.parse(r.body) as { reconciling: boolean }).reconciling === false;
    }, { timeoutMs: 30_000, what: 'qsen up and reconciled' });
  };
  const stopQsen = async (signal: NodeJS.Signals): Promise<void> => {
    const child = qsen;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  /** Sends `count` new orders (they rest: the simulator's matching is off) and returns their ids. */
  const sendResting = async (count: number): Promise<Uint64[]> => {
    const ids = Array.from({ length: count }, () => toUint64(`99990000000001${String(nextId++).padStart(5, '0')}`));
    for (const id of ids) {
      const r = await call('platform', 'POST', '/qsen/v1/sendOrder', JSON.stringify({ id, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '210' }));
      assert.equal(r.status, 200, r.body);
      assert.equal((r.json['order'] as Json)['status'], 'accepted');
    }
    return ids;
  };
  const senebiState = (id: string): string => sim.simulator.store.getOrder(id as Uint64)?.status ?? 'absent';
  const cancelsAt = (id: string): number => sim.simulator.counters.cancelsReceivedFor(id as Uint64);
  const massCancelDone = (run?: string): Promise<Json> => waitFor(async () => {
    const report = (await call('operator', 'GET', '/qsen/v1/massCancel')).json['massCancel'] as Json | null;
    return report && report['state'] === 'done' && (run === undefined || report['run'] === run) ? report : undefined;
  }, { timeoutMs: 60_000, intervalMs: 200, what: 'the mass cancel done' });
  const auditLines = (): Json[] => readdirSync(join(home, 'logs')).filter((f) => f.startsWith('audit-qsen-') && !f.startsWith('audit-qsen-admin'))
    .flatMap((f) => readFileSync(join(home, 'logs', f), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Json));

  before(async () => {
    initClusterPki(home);
    port = await findFreePort();
    writeConf(home, port, 9443);
    sim = await startSimulator({ home, port: 0 });
    writeConf(home, port, sim.port);
    // Orders rest until a test matches them (the counterparty enters its side) or cancels them.
    sim.simulator.store.setMatching({ probability: 0, seed: 1, match_after_ms: 0, match_jitter_ms: 0 });
    await startQsen();
  });
  after(async () => {
    await stopQsen('SIGKILL');
    await sim.close();
    dir.remove();
  });

  it('halt alone cancels nothing (the default); halt with cancelOpen pulls every resting in-range order, reports the matched ones, never touches an out-of-range order', async () => {
    const ids = await sendResting(6);
    const matched = ids.slice(0, 2);
    for (const id of matched) assert.equal(sim.simulator.store.matchResting(id).kind, 'matched');
    // The agent's other business: a resting order outside qsen's range, straight at SENEBI.
    const outside = '1000000000000000777';
    const placed = sim.simulator.store.submitOrder({ id: outside, instrument: 'AL30', side: 'sell', quantity: '5', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '300' });
    assert.ok(placed.kind === 'answered' && placed.order.status === 'accepted', JSON.stringify(placed));
    assert.equal(senebiState(outside), 'accepted');

    const plain = await call('operator', 'POST', '/qsen/v1/halt', '{"reason":"drill"}');
    assert.equal(plain.status, 200, plain.body);
    assert.equal(plain.json['massCancel'], undefined);
    assert.deepEqual(ids.map(cancelsAt), ids.map(() => 0), 'a halt without cancelOpen sends no cancel');
    assert.equal((await call('operator', 'POST', '/qsen/v1/resume', '{}')).status, 200);

    const halted = await call('operator', 'POST', '/qsen/v1/halt', '{"reason":"runaway algo","cancelOpen":true}');
    assert.equal(halted.status, 200, halted.body);
    assert.equal(halted.json['halted'], true);
    const report = halted.json['massCancel'] as Json;
    assert.equal(report['state'], 'done', JSON.stringify(report));
    assert.deepEqual(report['cancelled'], ids.slice(2));
    assert.deepEqual(report['alreadyMatched'], matched);
    assert.deepEqual(report['failed'], []);
    assert.equal(report['listing'], 'ok');
    for (const id of ids.slice(2)) assert.equal(senebiState(id), 'cancelled', id);
    for (const id of matched) assert.equal(senebiState(id), 'matched', id);
    assert.equal(senebiState(outside), 'accepted', 'the out-of-range order still rests');
    assert.equal(cancelsAt(outside), 0, 'no cancel was ever sent for it');
    const refused = await call('platform', 'POST', '/qsen/v1/sendOrder', JSON.stringify({ id: '9999000000000199999', instrument: 'AL30', side: 'buy', quantity: '1', price: '1', currency: 'USD', settlement: 'T1', counterparty: '210' }));
    assert.equal(refused.status, 423, 'the halt is in force');
    const status = (await call('auditor', 'GET', '/qsen/v1/status')).json;
    assert.equal((status['massCancel'] as Json)['cancelled'], 4);
    const lines = auditLines().filter((l) => l['action'] === 'massCancel' && (l['details'] as Json)['run'] === report['run']);
    assert.equal(lines.length, 1 + 6 + 1, 'start, one line per order, end');
    assert.ok(lines.every((l) => String(l['subject']).includes('OU=operator')));
    const metrics = (await call('operator', 'GET', '/qsen/v1/metrics/process')).body;
    assert.match(metrics, /qsen_mass_cancel_orders_total\{outcome="cancelled"\} 4/);
    assert.match(metrics, /qsen_mass_cancel_orders_total\{outcome="already_matched"\} 2/);
    assert.equal((await call('operator', 'POST', '/qsen/v1/resume', '{}')).status, 200);
  });

  it('an orphan (resting in the range at SENEBI, placed with the agent\'s identity outside qsen) is cancelled straight at SENEBI and reported under orphans, never as failed; an out-of-range order placed the same way stays resting', async () => {
    const own = await sendResting(1);
    // The agent's certificate, straight at SENEBI's wire endpoint: one order in qsen's range, one outside.
    const direct = createSimulatorAdmin({ home, ports: { senebi: sim.port } } as Parameters<typeof createSimulatorAdmin>[0]);
    const orphan = '9999000000000188801';
    const outside = '1000000000000000888';
    for (const id of [orphan, outside]) {
      assert.equal(await direct.placeDirect({ id, instrument: 'AL30', side: 'sell', quantity: '5', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '300' }), 'accepted', id);
    }
    const halted = await call('operator', 'POST', '/qsen/v1/halt', '{"reason":"orphan drill","cancelOpen":true}');
    assert.equal(halted.status, 200, halted.body);
    const report = halted.json['massCancel'] as Json;
    assert.equal(report['state'], 'done', JSON.stringify(report));
    assert.deepEqual(report['cancelled'], own);
    assert.deepEqual(report['failed'], [], 'the orphan is not a failure');
    assert.deepEqual(report['orphans'], [{ id: orphan, result: 'cancelled' }]);
    assert.equal(senebiState(orphan), 'cancelled', 'SENEBI cancelled the orphan');
    assert.equal(cancelsAt(orphan), 1);
    assert.equal(senebiState(outside), 'accepted', 'the out-of-range order still rests');
    assert.equal(cancelsAt(outside), 0, 'no cancel was ever sent for it');
    const lines = auditLines().filter((l) => l['action'] === 'massCancel' && (l['details'] as Json)['run'] === report['run'] && (l['details'] as Json)['source'] === 'orphan');
    assert.equal(lines.length, 1, 'the orphan\'s cancel is audited');
    assert.equal((lines[0]?.['details'] as Json)['orderId'], orphan);
    assert.equal((await call('operator', 'POST', '/qsen/v1/resume', '{}')).status, 200);
  });

  it('kill -9 in the middle of a mass cancel: the restarted qsen resumes the run from its journal and finishes it', async () => {
    const ids = await sendResting(16);
    const faults = parseFaultSettings({ seed: 3, slow_cancel: { probability: 1, fixed_ms: 400, jitter_ms: 0 } });
    assert.ok(faults.ok);
    sim.simulator.faults.replace(faults.value);
    // The halt's own answer is lost with the process.
    void call('operator', 'POST', '/qsen/v1/halt', '{"reason":"crash drill","cancelOpen":true}').catch(() => undefined);
    await waitFor(() => ids.filter((id) => senebiState(id) === 'cancelled').length >= 3, { timeoutMs: 30_000, intervalMs: 20, what: 'a few cancels committed' });
    await stopQsen('SIGKILL');
    const before = ids.filter((id) => senebiState(id) === 'cancelled').length;
    assert.ok(before < ids.length, `killed in the middle (${before} of ${ids.length} cancelled)`);
    const none = parseFaultSettings({});
    assert.ok(none.ok);
    sim.simulator.faults.replace(none.value);
    await startQsen();
    const report = await massCancelDone();
    assert.equal(report['resumed'], 1);
    assert.deepEqual(report['cancelled'], ids);
    assert.deepEqual(report['failed'], []);
    for (const id of ids) assert.equal(senebiState(id), 'cancelled', id);
    assert.ok(auditLines().some((l) => l['action'] === 'massCancel' && (l['details'] as Json)['resumed'] === true));
    assert.equal((await call('auditor', 'GET', '/qsen/v1/status')).json['halted'], true, 'the halt survived the crash');
    assert.equal((await call('operator', 'POST', '/qsen/v1/resume', '{}')).status, 200);
  });

  it('qsen-admin halt --cancel-open from the server shell: the running qsen picks the request up from the halt marker and pulls the orders', async () => {
    const ids = await sendResting(3);
    const admin = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [QSEN_ADMIN, 'halt', '--cancel-open', '--wait', '60', '--reason', 'shell drill', '--json', '--config', join(home, 'conf.toml')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(admin.code, 0, admin.stderr);
    const lastLine = admin.stdout.trim().split('\n').at(-1) ?? '';
    const report = (JSON.parse(lastLine) as { massCancel: Json }).massCancel;
    assert.equal(report['state'], 'done');
    assert.equal(report['channel'], 'local');
    assert.equal(report['by'], `local:${userInfo().username}`);
    assert.deepEqual(report['cancelled'], ids);
    for (const id of ids) assert.equal(senebiState(id), 'cancelled', id);
    const status = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [QSEN_ADMIN, 'status', '--json', '--config', join(home, 'conf.toml')], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
      child.once('exit', () => resolve(out));
    });
    assert.equal(((JSON.parse(status) as Json)['massCancel'] as Json)['run'], report['run']);
    assert.equal((await call('operator', 'POST', '/qsen/v1/resume', '{}')).status, 200);
  });

  it('dead man\'s switch: off by default (409), then with a 1 s interval heartbeats keep it armed and silence halts qsen and pulls the resting orders', async () => {
    const disabled = await call('platform', 'POST', '/qsen/v1/heartbeat', '{}');
    assert.equal(disabled.status, 409);
    assert.equal((disabled.json['error'] as Json)['code'], 'DEADMAN_DISABLED');
    await stopQsen('SIGTERM');
    writeConf(home, port, sim.port, { interval: 1, cancelOpen: true });
    await startQsen();
    const ids = await sendResting(2);
    const first = await call('platform', 'POST', '/qsen/v1/heartbeat', '{}');
    assert.equal(first.status, 200, first.body);
    assert.equal((first.json['deadman'] as Json)['state'], 'armed');
    assert.equal((await call('operator', 'POST', '/qsen/v1/heartbeat', '{}')).status, 403, 'only the platform sends heartbeats');
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await call('platform', 'POST', '/qsen/v1/heartbeat', '{}')).status, 200);
    }
    assert.equal((await call('auditor', 'GET', '/qsen/v1/status')).json['halted'], false, 'heartbeats within the interval keep trading on');
    // The platform goes silent.
    const status = await waitFor(async () => {
      const s = (await call('auditor', 'GET', '/qsen/v1/status')).json;
      return s['halted'] === true ? s : undefined;
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'the deadman halt' });
    assert.equal((status['killSwitch'] as Json)['by'], 'deadman');
    assert.equal((status['deadman'] as Json)['state'], 'tripped');
    // The run the trip asked for (the halt shows before its mass cancel is journaled: wait for that run, not the last one done).
    const run = ((status['killSwitch'] as Json)['cancelOpen'] as Json | undefined)?.['run'];
    assert.equal(typeof run, 'string', 'the trip asked for a mass cancel in the halt marker');
    const report = await massCancelDone(run as string);
    assert.equal(report['channel'], 'deadman');
    assert.deepEqual(report['cancelled'], ids);
    for (const id of ids) assert.equal(senebiState(id), 'cancelled', id);
    const halt = auditLines().find((l) => l['action'] === 'halt' && (l['details'] as Json)['channel'] === 'deadman');
    assert.ok(halt, 'the deadman halt is audited');
    assert.equal(typeof (halt['details'] as Json)['lastHeartbeatAt'], 'string');
    assert.match((await call('operator', 'GET', '/qsen/v1/metrics/process')).body, /qsen_deadman_trips_total 1/);
  });
});
