import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, loadConfig } from '@qsen/core';
import { createRestartLedger } from '@qsen/kan';
import { makeTempDir, waitFor } from '@qsen/testkit';
import { initStateFolder } from '../src/state/init.js';
import { buildLocalSpecs, QSEN_NODE_FLAGS, startLocalSystem, type LocalSystem } from '../src/system/local-system.js';
import { readRecordedChildren } from '../src/supervise/ownership.js';
import { createControlClient } from '../src/control/client.js';
import { createRecordingLogger, fixturePath, isAlive } from './recording-logger.js';

const forever = fixturePath('forever.mjs');
const entryPoints = { simulator: forever, qsen: forever, kan: forever };

function readJsonLine(child: ReturnType<typeof spawn>): Promise<{ pids: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const newline = text.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)) as { pids: Record<string, number> });
    });
    child.once('exit', (code) => reject(new Error(`host launcher exited with ${code}`)));
  });
}

const planted = {
  streak: 4, lastRestartAt: Date.now() - 5000,
  events: [1, 2, 3, 4].map((i) => ({ at: new Date(Date.now() - i * 1000).toISOString(), target: 'qsen', action: 'restart', reason: 'exited', by: 0, invocationBefore: String(i), invocationAfter: String(i + 1), ok: true })),
};

describe('startLocalSystem (fixture programs)', () => {
  const dir = makeTempDir('qsen-launcher-sys-');
  const home = join(dir.path, 'home');
  const logger = createRecordingLogger();
  let system: LocalSystem;

  before(async () => {
    initStateFolder({ home, ports: { qsen: 28443, kans: [28444, 28445, 28446], senebi: 29443, nodeExporter: 29100 } });
    // An earlier run's crash loop: qsen restarted four times in a streak.
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(join(home, 'run/kan-history-qsen.json'), JSON.stringify(planted));
    system = await startLocalSystem({ home, logger, entryPoints, nodeExporterBinary: null, restartPolicy: { initialDelayMs: 200 } });
  });
  after(async () => {
    await system.stop();
    dir.remove();
  });

  it('starts simulator, qsen (window open all day) and the three kans with their arguments', async () => {
    const list = system.supervisor.list();
    assert.deepEqual(list.map((s) => [s.name, s.state]), [
      ['simulator', 'running'], ['qsen', 'running'], ['kan0', 'running'], ['kan1', 'running'], ['kan2', 'running'],
    ]);
    assert.equal(system.window.open, true);
    assert.equal(system.nodeExporter, null);
    const conf = join(home, 'conf.toml');
    await waitFor(() => {
      const lines = logger.lines.map((l) => `${String(l.meta['process'])}: ${l.message}`);
      return lines.some((l) => l.startsWith(`kan2: forever ready`) && l.endsWith(`--config ${conf} --index 2`))
        && lines.some((l) => l.startsWith('simulator: forever ready') && l.endsWith(`--home ${home}`))
        && lines.some((l) => l.startsWith('qsen: forever ready') && l.endsWith(`--config ${conf}`));
    }, { what: 'each program started with its arguments' });
  });

  it("a clean start sets the earlier run's crash loop aside: no streak, no crash-loop flag, the history kept as .previous", async () => {
    assert.equal(existsSync(join(home, 'run/kan-history-qsen.json')), false);
    assert.deepEqual(JSON.parse(readFileSync(join(home, 'run/kan-history-qsen.json.previous'), 'utf8')), planted);
    const ledger = createRestartLedger(join(home, 'run'), { backoffInitialMs: 1000, backoffMaxMs: 60_000, stableAfterMs: 60_000 });
    const history = await ledger.read('qsen');
    assert.equal(history, undefined);
    assert.equal(ledger.standing(history, Date.now(), null).crashLoop, false);
    // Before the clean start, the same history was a crash loop.
    assert.equal(ledger.standing(planted, Date.now(), null).crashLoop, true);
    assert.ok(logger.lines.some((l) => l.message.startsWith('clean start: the restart history of the earlier run')));
  });

  it('serves the control socket (0600) and records the children for orphan cleanup', async () => {
    assert.equal(system.controlSocket, join(home, 'run/control.sock'));
    assert.equal(statSync(system.controlSocket).mode & 0o777, 0o600);
    const list = await createControlClient(system.controlSocket).list();
    assert.equal(list.length, 5);
    const recorded = readRecordedChildren(join(home, 'run'));
    assert.deepEqual(new Set(recorded.map((r) => r.pid)), new Set(list.map((s) => s.pid)));
  });

  it('refuses a second launcher on the same state folder', async () => {
    await assert.rejects(startLocalSystem({ home, logger, entryPoints, nodeExporterBinary: null }),
      (err: unknown) => err instanceof ApiError && err.code === 'ALREADY_RUNNING');
    assert.ok(existsSync(system.controlSocket), 'the refused launcher left the socket alone');
  });

  it('brings back a kan killed with SIGKILL but not qsen', async () => {
    const client = createControlClient(system.controlSocket);
    const kan = await client.status('kan1');
    const qsen = await client.status('qsen');
    assert.ok(kan.pid !== null && qsen.pid !== null);
    process.kill(kan.pid, 'SIGKILL');
    process.kill(qsen.pid, 'SIGKILL');
    const back = await waitFor(async () => {
      const s = await client.status('kan1');
      return s.state === 'running' && s.invocation === kan.invocation + 1 ? s : null;
    }, { timeoutMs: 5000, what: 'kan1 restarted' });
    assert.equal(back.lastExit?.signal, 'SIGKILL');
    const qsenAfter = await client.status('qsen');
    assert.equal(qsenAfter.state, 'stopped');
    assert.equal(qsenAfter.invocation, qsen.invocation, 'qsen is left to the kans');
    // The kans' way: start it over the control socket.
    const started = await client.start('qsen');
    assert.equal(started.invocation, qsen.invocation + 1);
  });

  it('stops everything, kans first, and releases the state folder', async () => {
    const pids = system.supervisor.list().map((s) => s.pid as number);
    const exitOrder: string[] = [];
    system.supervisor.subscribe((e) => { if (e.type === 'exited') exitOrder.push(e.name); });
    await system.stop();
    for (const pid of pids) assert.equal(isAlive(pid), false);
    assert.deepEqual(new Set(exitOrder.slice(0, 3)), new Set(['kan0', 'kan1', 'kan2']));
    assert.deepEqual(exitOrder.slice(3), ['qsen', 'simulator']);
    assert.equal(existsSync(system.controlSocket), false);
    assert.deepEqual(readRecordedChildren(join(home, 'run')), []);
    system = await startLocalSystem({ home, logger, entryPoints, nodeExporterBinary: null });
    assert.deepEqual(system.orphans.filter((o) => o.outcome !== 'gone'), []);
  });
});

describe('a launcher that dies by SIGKILL', () => {
  const dir = makeTempDir('qsen-launcher-kill-');
  after(() => dir.remove());

  it('takes its children with it (parent-death signal)', async (t) => {
    if (!existsSync('/usr/bin/setpriv')) return t.skip('setpriv (util-linux) is not installed');
    const home = join(dir.path, 'with-pdeathsig');
    initStateFolder({ home });
    const host = spawn(process.execPath, [fixturePath('host-launcher.mjs'), home], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { pids } = await readJsonLine(host);
    assert.equal(Object.keys(pids).length, 5);
    host.kill('SIGKILL');
    await waitFor(() => Object.values(pids).every((pid) => !isAlive(pid)), { timeoutMs: 5000, what: 'children gone with the launcher' });
  });

  it('leaves orphans without it, which the next launcher stops before starting', async () => {
    const home = join(dir.path, 'without-pdeathsig');
    initStateFolder({ home });
    const host = spawn(process.execPath, [fixturePath('host-launcher.mjs'), home, 'no-pdeathsig'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { pids } = await readJsonLine(host);
    host.kill('SIGKILL');
    await new Promise((resolve) => host.once('exit', resolve));
    assert.ok(Object.values(pids).every((pid) => isAlive(pid)), 'the children outlived the launcher');
    const logger = createRecordingLogger();
    const next = await startLocalSystem({ home, logger, entryPoints, nodeExporterBinary: null });
    try {
      assert.deepEqual(new Set(next.orphans.map((o) => o.pid)), new Set(Object.values(pids)));
      assert.ok(next.orphans.every((o) => o.outcome === 'terminated'));
      for (const pid of Object.values(pids)) assert.equal(isAlive(pid), false);
    } finally {
      await next.stop();
    }
  });
});

describe('startLocalSystem outside the trading window', () => {
  const dir = makeTempDir('qsen-launcher-closed-');
  after(() => dir.remove());

  it('leaves qsen down and starts the others', async () => {
    const home = join(dir.path, 'home');
    const { configFile } = initStateFolder({ home });
    const text = readFileSync(configFile, 'utf8').replace(/^days = .*$/m, 'days = ["mon", "tue", "wed", "thu", "fri"]');
    writeFileSync(configFile, text);
    // Sunday 2026-11-22 12:00 in Buenos Aires.
    const clock = { now: () => Date.parse('2026-11-22T15:00:00Z') };
    const system = await startLocalSystem({ home, logger: createRecordingLogger(), clock, entryPoints, nodeExporterBinary: null });
    try {
      assert.equal(system.window.open, false);
      assert.equal(system.window.reason, 'day_off');
      const qsen = system.supervisor.status('qsen');
      assert.equal(qsen.state, 'stopped');
      assert.equal(qsen.invocation, 0);
      for (const name of ['simulator', 'kan0', 'kan1', 'kan2']) assert.equal(system.supervisor.status(name).state, 'running');
    } finally {
      await system.stop();
    }
  });
});

describe('buildLocalSpecs', () => {
  const dir = makeTempDir('qsen-launcher-specs-');
  after(() => dir.remove());

  it('runs node_exporter on loopback at the configured port without the privileged collectors', () => {
    const home = join(dir.path, 'home');
    initStateFolder({ home, ports: { nodeExporter: 19199 } });
    const config = loadConfig(join(home, 'conf.toml'));
    const specs = buildLocalSpecs(config, { entryPoints, nodeExecutable: '/usr/bin/node', nodeExporterBinary: '/opt/ne', home, cwd: home });
    assert.deepEqual(specs.map((s) => [s.name, s.restart]), [
      ['simulator', 'always'], ['qsen', 'never'], ['kan0', 'always'], ['kan1', 'always'], ['kan2', 'always'], ['node_exporter', 'always'],
    ]);
    const exporter = specs.find((s) => s.name === 'node_exporter');
    assert.equal(exporter?.command, '/opt/ne');
    assert.deepEqual(exporter?.args, ['--web.listen-address=127.0.0.1:19199', '--no-collector.systemd', '--no-collector.rapl']);
    assert.equal(buildLocalSpecs(config, { entryPoints, nodeExecutable: '/usr/bin/node', nodeExporterBinary: null, home, cwd: home }).length, 5);
  });

  it("starts qsen with the heap flags of systemd/qsen.service's ExecStart", () => {
    const home = join(dir.path, 'home-flags');
    initStateFolder({ home });
    const config = loadConfig(join(home, 'conf.toml'));
    const qsen = buildLocalSpecs(config, { entryPoints, nodeExecutable: '/usr/bin/node', nodeExporterBinary: null, home, cwd: home }).find((s) => s.name === 'qsen');
    assert.deepEqual(qsen?.args.slice(0, QSEN_NODE_FLAGS.length), [...QSEN_NODE_FLAGS]);
    assert.ok(QSEN_NODE_FLAGS.some((flag) => flag.startsWith('--max-semi-space-size=')), 'a young-generation limit');
    const unit = readFileSync(fileURLToPath(new URL('../../../../systemd/qsen.service', import.meta.url)), 'utf8');
    const execStart = /^ExecStart=\S+ (.*) \/opt\/qsen\/current\/packages\/qsen\/dist\/src\/main\.js/m.exec(unit);
    assert.deepEqual(execStart?.[1]?.split(' '), [...QSEN_NODE_FLAGS]);
  });
});
