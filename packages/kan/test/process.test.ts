import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@qsen/testkit';
import { ApiError } from '@qsen/core';
import { createLocalControl, createSystemdControl, parseSystemctlShow, runFixedCommand, unitOf, fromLauncherStatus } from '../src/process/index.js';
import { lockAddress, tryLock, acquireLock } from '../src/watchdog/lock.js';

const tmp = makeTempDir('kan-process-');
const fakeDir = join(tmp.path, 'fake');
const fake = join(fakeDir, 'systemctl');

before(() => {
  mkdirSync(fakeDir);
  copyFileSync(new URL('../../test/fixtures/fake-systemctl.mjs', import.meta.url), fake);
  // copyFileSync keeps the mode bits of the fixture (executable)
});
after(() => tmp.remove());

function calls(): string[][] {
  try {
    return readFileSync(join(fakeDir, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  } catch {
    return [];
  }
}

test('systemd: units are qsen.service and kan@N.service', () => {
  assert.equal(unitOf('qsen'), 'qsen.service');
  assert.equal(unitOf('kan2'), 'kan@2.service');
});

test('systemd: parses systemctl show output (pure)', () => {
  const s = parseSystemctlShow('qsen', 'MainPID=4242\nInvocationID=abc\nActiveState=active\nSubState=running\nExecMainStartTimestamp=@1700000000\n');
  assert.deepEqual(s, { name: 'qsen', state: 'running', pid: 4242, invocation: 'abc', startedAt: 1_700_000_000_000, starts: null, lastExit: null });
  // The last exit: ExecMainCode 1 = exited with ExecMainStatus, 2 = killed by that signal.
  const exited = parseSystemctlShow('qsen', 'MainPID=0\nActiveState=failed\nExecMainExitTimestamp=@1700000100\nExecMainCode=1\nExecMainStatus=2\n');
  assert.deepEqual(exited.lastExit, { code: 2, signal: null, at: '2023-11-14T22:15:00.000Z', line: null });
  const killed = parseSystemctlShow('qsen', 'MainPID=0\nActiveState=failed\nExecMainExitTimestamp=@1700000100\nExecMainCode=2\nExecMainStatus=9\n');
  assert.deepEqual(killed.lastExit, { code: null, signal: 'SIGKILL', at: '2023-11-14T22:15:00.000Z', line: null });
  const down = parseSystemctlShow('kan1', 'MainPID=0\nInvocationID=\nActiveState=failed\nExecMainStartTimestamp=\n');
  assert.equal(down.state, 'stopped');
  assert.equal(down.pid, null);
  assert.equal(parseSystemctlShow('qsen', 'MainPID=7\nActiveState=deactivating\n').state, 'stopping');
});

test('systemd: status/start/restart/stop run the right systemctl verbs on the right units', async () => {
  const control = createSystemdControl({ systemctlPath: fake });
  const before = await control.status('qsen');
  assert.equal(before.state, 'stopped');
  const started = await control.start('qsen');
  assert.equal(started.state, 'running');
  assert.ok(started.pid !== null);
  const restarted = await control.restart('qsen');
  assert.notEqual(restarted.invocation, started.invocation);
  const stopped = await control.stop('kan1');
  assert.equal(stopped.state, 'stopped');
  const verbs = calls().map((c) => [c[0], c.at(-1)]);
  assert.deepEqual(verbs, [
    ['show', 'qsen.service'], ['start', 'qsen.service'], ['show', 'qsen.service'], ['restart', 'qsen.service'], ['show', 'qsen.service'],
    ['stop', 'kan@1.service'], ['show', 'kan@1.service'],
  ]);
  assert.ok(calls()[0]?.includes('MainPID,InvocationID,ActiveState,SubState,ExecMainStartTimestamp,ExecMainExitTimestamp,ExecMainCode,ExecMainStatus'));
  assert.ok(calls()[1]?.includes('--no-ask-password'));
});

test('systemd: a refused verb is PROCESS_CONTROL_FAILED with systemctl\'s message', async () => {
  writeFileSync(join(fakeDir, 'fail'), '');
  try {
    await assert.rejects(createSystemdControl({ systemctlPath: fake }).restart('kan0'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'PROCESS_CONTROL_FAILED');
      assert.match(String(err.details?.['stderr']), /Access denied/);
      return true;
    });
  } finally {
    rmSync(join(fakeDir, 'fail'));
  }
});

test('local: speaks the launcher protocol over the Unix socket', async () => {
  const socketPath = join(tmp.path, 'control.sock');
  const seen: string[] = [];
  let invocation = 3;
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url?.endsWith('/restart')) invocation += 1;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/processes/kan9') { res.statusCode = 404; res.end('{"error":{"code":"NOT_FOUND","message":"x"}}'); return; }
    res.end(JSON.stringify({ name: 'qsen', state: 'running', pid: 321, invocation, startedAt: '2026-11-22T04:00:00.000Z', starts: invocation, lastExit: null }));
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  try {
    const control = createLocalControl(socketPath);
    const s = await control.status('qsen');
    assert.deepEqual(s, { name: 'qsen', state: 'running', pid: 321, invocation: '3', startedAt: Date.parse('2026-11-22T04:00:00.000Z'), starts: 3, lastExit: null });
    const r = await control.restart('qsen');
    assert.equal(r.invocation, '4');
    await control.start('kan1');
    await control.stop('kan2');
    assert.deepEqual(seen, ['GET /v1/processes/qsen', 'POST /v1/processes/qsen/restart', 'POST /v1/processes/kan1/start', 'POST /v1/processes/kan2/stop']);
  } finally {
    await new Promise((r) => server.close(r));
  }
  await assert.rejects(createLocalControl(join(tmp.path, 'nothing.sock')).status('qsen'), (err: unknown) => err instanceof ApiError && err.code === 'PROCESS_CONTROL_FAILED');
});

test('local: launcher status mapping (pure)', () => {
  const s = fromLauncherStatus('kan0', { name: 'kan0', state: 'stopped', pid: null, invocation: 0, startedAt: null, starts: 0, lastExit: null });
  assert.deepEqual(s, { name: 'kan0', state: 'stopped', pid: null, invocation: '0', startedAt: null, starts: 0, lastExit: null });
  const exited = fromLauncherStatus('kan0', { state: 'stopped', pid: null, invocation: 2, startedAt: null, starts: 2, lastExit: { code: 2, signal: null, at: '2026-11-22T04:00:00.000Z', line: 'kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444' } });
  assert.deepEqual(exited.lastExit, { code: 2, signal: null, at: '2026-11-22T04:00:00.000Z', line: 'kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444' });
});

test('cmd: top -b -n 1 and ls -Rlath run with fixed arguments', async () => {
  const top = await runFixedCommand('top', { installDir: tmp.path });
  assert.equal(top.command, 'top -b -n 1');
  assert.match(top.output, /PID/);
  writeFileSync(join(tmp.path, 'marker-file.txt'), 'x');
  const ls = await runFixedCommand('ls', { installDir: tmp.path });
  assert.equal(ls.command, `ls -Rlath -- ${tmp.path}`);
  assert.match(ls.output, /marker-file\.txt/);
  assert.equal(ls.truncated, false);
});

test('cmd: output is capped', async () => {
  const ls = await runFixedCommand('ls', { installDir: '/usr/share', maxBytes: 4096 });
  assert.equal(ls.truncated, true);
  assert.ok(ls.output.length <= 4096);
});

test('lock: one holder at a time; freed by the kernel when the holder is SIGKILLed', async () => {
  const runDir = join(tmp.path, 'run');
  const first = await tryLock(runDir, 'qsen');
  assert.ok(first);
  assert.equal(await tryLock(runDir, 'qsen'), null);
  assert.ok(await tryLock(runDir, 'kan1').then(async (l) => { await l?.release(); return l; }));
  await first.release();
  const name = lockAddress(runDir, 'qsen').slice(1);
  const child = spawn(process.execPath, [new URL('../../test/fixtures/hold-lock.mjs', import.meta.url).pathname, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  await waitFor(() => out.includes('locked'), { what: 'the child to hold the lock' });
  assert.equal(await tryLock(runDir, 'qsen'), null);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const again = await acquireLock(runDir, 'qsen', { timeoutMs: 2_000 });
  assert.ok(again, 'the lock is free once its holder died');
  await again.release();
});
