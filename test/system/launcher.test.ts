// System test of `npm start`: the real launcher with the real simulator, qsen and kans.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decryptPrivateKey } from '@qsen/pki';
import { allocatePorts, buildSystemEnv, initStateFolderLikeNpm, LAUNCHER_MAIN, REPOSITORY, type SystemPorts } from '../support/system.js';
import { createControlClient, type ProcessStatus } from '@qsen/launcher';
import { httpsCall, makeTempDir, requireTool, waitFor, isProcessAlive as isAlive } from '@qsen/testkit';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

describe('npm start (the launcher with the real processes)', () => {
  const dir = makeTempDir('qsen-system-launcher-');
  const home = join(dir.path, 'home');
  let launcher: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  const ports: SystemPorts = { qsen: 0, kans: [0, 0, 0], senebi: 0, nodeExporter: 0 };
  const seenPids = new Set<number>();
  const identity = () => ({ cert: readFileSync(join(home, 'pki/clients/platform.crt')), key: readFileSync(join(home, 'pki/clients/platform.key')) });
  const ca = () => readFileSync(join(home, 'pki/ca.crt'));
  const control = () => createControlClient(join(home, 'run/control.sock'), { timeoutMs: 30_000 });

  before(async () => {
    Object.assign(ports, await allocatePorts());
    // Initialized first (npm run init), so that the daily kan restart is moved out of the test's way.
    await initStateFolderLikeNpm(home, ports);
    launcher = spawn(process.execPath, [LAUNCHER_MAIN, 'start'], {
      cwd: REPOSITORY,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: buildSystemEnv(home, ports),
    });
    launcher.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    launcher.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    exited = new Promise((resolve) => launcher.once('exit', (code) => resolve(code)));
  });

  after(async () => {
    if (launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGTERM');
      await exited;
    }
    for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    dir.remove();
  });

  async function runningList(): Promise<ProcessStatus[]> {
    const list = await control().list();
    for (const p of list) if (p.pid !== null) seenPids.add(p.pid);
    return list;
  }

  it('prints one plain READY line, with the URLs and the curl command, only once every node answers', async () => {
    const readyLine = await waitFor(() => output.split('\n').find((l) => l.startsWith('launcher: READY')) ?? null,
      { timeoutMs: 90_000, what: `a READY line (launcher output:\n${output})` });
    // Asked at once, without waiting: READY must not come before any of them answers.
    for (const port of [ports.qsen, ...ports.kans]) {
      const ping = port === ports.qsen ? '/qsen/v1/ping' : '/kan/v1/ping';
      assert.equal((await httpsCall(`https://127.0.0.1:${port}${ping}`, { ca: ca() })).status, 200, `port ${port} answers when READY is printed`);
    }
    assert.equal(output.split('\n').filter((l) => l.includes('READY')).length, 1, output);
    assert.equal(readyLine.includes('\u001b'), false, 'no colour in a pipe');
    for (const url of [`https://localhost:${ports.qsen}`, ...ports.kans.map((p) => `https://localhost:${p}`)]) assert.ok(readyLine.includes(url), `${url} in ${readyLine}`);
    assert.ok(readyLine.includes(`try: curl --cacert ${join(home, 'pki/ca.crt')}`), readyLine);
    assert.match(readyLine, /every process answers \(simulator, qsen, kan0, kan1, kan2/);
    // In a pipe the progress is plain lines, one per step: no carriage return, no escape code.
    assert.equal(output.includes('\r'), false, 'no carriage return in a pipe');
    assert.equal(output.includes('\u001b'), false, 'no escape code in a pipe');
    for (const step of [/^launcher: starting the processes\.\.\.$/m, /^launcher: kan2 started \(pid \d+\)$/m, /^launcher: processes started in [\d.]+ s$/m,
      /^launcher: waiting for .* to answer\.\.\.$/m, /^launcher: every process answers, [\d.]+ s after the start$/m]) assert.match(output, step);
    assert.ok(output.indexOf('launcher: every process answers,') < output.indexOf('launcher: READY'), output);
  });

  it('brings up five processes answering with mutual TLS', async () => {
    const expected = ['simulator', 'qsen', 'kan0', 'kan1', 'kan2', ...(existsSync(NODE_EXPORTER) ? ['node_exporter'] : [])];
    await waitFor(async () => {
      const list = await runningList();
      return expected.every((name) => list.some((p) => p.name === name && p.state === 'running'));
    }, { timeoutMs: 60_000, what: `every process running (launcher output:\n${output})` });

    // The simulator: mutual TLS with the agent's SENEBI certificate.
    const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8').trim();
    const agent = { cert: readFileSync(join(home, 'senebi/agent.crt')), key: decryptPrivateKey(readFileSync(join(home, 'senebi/agent.key.enc'), 'utf8'), passphrase) };
    await waitFor(async () => (await httpsCall(`https://127.0.0.1:${ports.senebi}/senebi/v1/ping`, { ca: readFileSync(join(home, 'senebi/ca.crt')), identity: agent })).status === 200,
      { timeoutMs: 60_000, what: 'simulator ping' });

    // The four nodes: internal ping from loopback and status with the platform certificate.
    const nodes = [
      { port: ports.qsen, ping: '/qsen/v1/ping', status: '/qsen/v1/status' },
      ...ports.kans.map((port) => ({ port, ping: '/kan/v1/ping', status: '/kan/v1/status' })),
    ];
    for (const node of nodes) {
      await waitFor(async () => (await httpsCall(`https://127.0.0.1:${node.port}${node.ping}`, { ca: ca() })).status === 200,
        { timeoutMs: 60_000, what: `ping on ${node.port}` });
      const status = await httpsCall(`https://localhost:${node.port}${node.status}`, { ca: ca(), identity: identity() });
      assert.equal(status.status, 200, `status on ${node.port}: ${status.body}`);
    }
    if (existsSync(NODE_EXPORTER)) {
      await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${ports.nodeExporter}/metrics`);
        return res.status === 200 && (await res.text()).includes('node_cpu_seconds_total');
      }, { timeoutMs: 30_000, what: 'node_exporter metrics' });
    }
  });

  it('refuses a second launcher on the same state folder from another network namespace, and leaves the first one\'s processes alone', async (t) => {
    const unshare = requireTool('unshare', 'util-linux');
    if (typeof unshare !== 'string') return t.skip(unshare.skip);
    const before = await runningList();
    // Its own network namespace: the first launcher's abstract-socket lock is invisible there,
    // only the flock on run/launcher.lock can refuse it.
    const second = await promisify(execFile)(unshare, ['-n', process.execPath, LAUNCHER_MAIN, 'start'], {
      cwd: REPOSITORY, env: buildSystemEnv(home, ports), timeout: 60_000,
    }).then(() => ({ code: 0, stdout: '', stderr: '' }), (err: { code?: number; stdout?: string; stderr?: string }) => err);
    assert.equal(second.code, 1, `second launcher: ${second.stdout}${second.stderr}`);
    assert.match(second.stderr ?? '', /ALREADY_RUNNING/);
    assert.doesNotMatch(`${second.stdout}${second.stderr}`, /left behind/);
    const after = await runningList();
    for (const p of before) {
      const now = after.find((q) => q.name === p.name);
      assert.deepEqual({ pid: now?.pid, invocation: now?.invocation, state: now?.state }, { pid: p.pid, invocation: p.invocation, state: p.state }, `${p.name} untouched`);
      if (p.pid !== null) assert.equal(isAlive(p.pid), true, `${p.name} (pid ${p.pid}) alive`);
    }
  });

  it('printed where everything is and a curl command that works', async (t) => {
    assert.match(output, new RegExp(`state folder +${home}`));
    assert.match(output, /control socket .*run\/control\.sock/);
    const line = output.split('\n').find((l) => l.trim().startsWith('curl '));
    assert.ok(line, `a curl command in:\n${output}`);
    assert.ok(line.includes(`https://localhost:${ports.qsen}/qsen/v1/status`));
    const curl = requireTool('curl');
    if (typeof curl !== 'string') return t.skip(curl.skip);
    const args = line.trim().split(/\s+/).slice(1);
    const { stdout } = await promisify(execFile)(curl, ['--silent', '--show-error', '--fail', ...args]);
    assert.equal((JSON.parse(stdout) as { pid?: unknown }).pid !== undefined, true, stdout);
  });

  it('brings back a kan killed with kill -9', async () => {
    const before = await control().status('kan1');
    assert.ok(before.pid !== null);
    process.kill(before.pid, 'SIGKILL');
    const back = await waitFor(async () => {
      const s = await control().status('kan1');
      return s.state === 'running' && s.pid !== before.pid && s.invocation > before.invocation ? s : null;
    }, { timeoutMs: 30_000, what: 'kan1 restarted' });
    assert.ok(back.pid !== null);
    seenPids.add(back.pid);
    await waitFor(async () => (await httpsCall(`https://127.0.0.1:${ports.kans[1]}/kan/v1/ping`, { ca: ca() })).status === 200,
      { timeoutMs: 60_000, what: 'kan1 answering again' });
  });

  it('stops every child on SIGTERM and exits 0', async () => {
    await runningList();
    launcher.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 0, output);
    for (const pid of seenPids) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    assert.equal(existsSync(join(home, 'run/control.sock')), false);
    assert.match(output, /every process stopped/);
  });
});
