import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiError } from '@qsen/core';
import { makeTempDir } from '@qsen/testkit';
import { createSupervisor, type Supervisor } from '../src/supervise/supervisor.js';
import { createControlApp } from '../src/control/app.js';
import { listenControlSocket, type ControlSocket } from '../src/control/socket.js';
import { createControlClient } from '../src/control/client.js';
import { createRecordingLogger, fixturePath, isAlive } from './recording-logger.js';

function rawCall(socketPath: string, method: string, path: string): Promise<{ status: number; body: string; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, allow: res.headers['allow'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

function hasCode(code: string, status: number) {
  return (err: unknown) => err instanceof ApiError && err.code === code && err.status === status;
}

describe('control socket', () => {
  const dir = makeTempDir('qsen-launcher-control-');
  const socketPath = join(dir.path, 'control.sock');
  const logger = createRecordingLogger();
  let supervisor: Supervisor;
  let socket: ControlSocket;

  before(async () => {
    // A stale socket file left by a process that died by SIGKILL: the launcher must replace it.
    const holder = spawn(process.execPath, [fixturePath('listen-socket.mjs'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise<void>((resolve) => holder.once('exit', () => resolve()));
    assert.ok(statSync(socketPath).isSocket(), 'the stale socket file is there');
    supervisor = createSupervisor([
      { name: 'qsen', command: process.execPath, args: [fixturePath('forever.mjs')], restart: 'never' },
      { name: 'kan0', command: process.execPath, args: [fixturePath('forever.mjs')], restart: 'always' },
      { name: 'simulator', command: process.execPath, args: [fixturePath('forever.mjs')], restart: 'always' },
    ], { clock: { now: () => Date.now() }, logger });
    socket = await listenControlSocket(socketPath, createControlApp({ supervisor, logger }));
  });

  after(async () => {
    await socket.close();
    await supervisor.close();
    dir.remove();
  });

  it('listens with mode 0600 after removing a stale socket file', () => {
    const st = statSync(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  it('starts, reports, restarts and stops a process through the typed client', async () => {
    const client = createControlClient(socketPath);
    const started = await client.start('kan0');
    assert.equal(started.name, 'kan0');
    assert.equal(started.state, 'running');
    assert.equal(started.invocation, 1);
    assert.ok(started.pid !== null && isAlive(started.pid));

    const status = await client.status('kan0');
    assert.deepEqual(status, supervisor.status('kan0'));

    const restarted = await client.restart('kan0');
    assert.equal(restarted.invocation, 2);
    assert.notEqual(restarted.pid, started.pid);
    assert.ok(!isAlive(started.pid));

    const stopped = await client.stop('kan0');
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.pid, null);
    assert.equal(stopped.invocation, 2);
    assert.ok(stopped.lastExit !== null);
    assert.ok(logger.lines.some((l) => l.message === 'control: restart kan0'), 'verbs are logged');
  });

  it('lists every process with the ProcessStatus fields', async () => {
    const client = createControlClient(socketPath);
    const list = await client.list();
    assert.deepEqual(list.map((p) => p.name), ['qsen', 'kan0', 'simulator']);
    for (const p of list) {
      assert.deepEqual(Object.keys(p).sort(), ['consecutiveCrashes', 'invocation', 'lastExit', 'name', 'pid', 'restartAt', 'startedAt', 'starts', 'state']);
    }
  });

  it('serializes concurrent restarts of one process into successive invocations', async () => {
    const client = createControlClient(socketPath);
    const before = (await client.status('qsen')).invocation;
    const answers = await Promise.all([client.restart('qsen'), client.restart('qsen'), client.restart('qsen')]);
    assert.deepEqual(answers.map((a) => a.invocation).sort((x, y) => x - y), [before + 1, before + 2, before + 3]);
    assert.equal(new Set(answers.map((a) => a.pid)).size, 3);
    const final = await client.status('qsen');
    assert.equal(final.invocation, before + 3);
    assert.equal(final.state, 'running');
    await client.stop('qsen');
  });

  it('coalesces restarts that name the same invocation: 150 concurrent calls, one restart', async () => {
    const client = createControlClient(socketPath);
    await client.start('qsen');
    const before = await client.status('qsen');
    const answers = await Promise.all(Array.from({ length: 150 }, () => client.restart('qsen', before.invocation)));
    const after = await client.status('qsen');
    assert.equal(after.invocation, before.invocation + 1, 'exactly one new invocation');
    assert.equal(after.starts, before.starts + 1);
    assert.equal(answers.filter((a) => a.coalesced === true).length, 149);
    assert.ok(answers.every((a) => a.invocation === before.invocation + 1 && a.state === 'running'));
    // A stop that names a replaced invocation is a no-op too; one naming the current one acts.
    assert.equal((await client.stop('qsen', before.invocation)).state, 'running');
    assert.equal((await client.stop('qsen', after.invocation)).state, 'stopped');
    const bad = await rawCall(socketPath, 'POST', '/v1/processes/qsen/restart?invocation=x');
    assert.equal(bad.status, 400);
    assert.equal((JSON.parse(bad.body) as { error: { code: string } }).error.code, 'INVALID_INVOCATION');
  });

  it('answers status for simulator but refuses its verbs; unknown names are 404', async () => {
    const client = createControlClient(socketPath);
    assert.equal((await client.status('simulator')).state, 'stopped');
    await assert.rejects(client.start('simulator'), hasCode('VERB_NOT_ALLOWED', 403));
    await assert.rejects(client.status('kan7'), hasCode('UNKNOWN_PROCESS', 404));
    await assert.rejects(client.restart('kan2'), hasCode('UNKNOWN_PROCESS', 404), 'kan2 is not supervised here');
  });

  it('answers unknown paths 404 and wrong methods 405 with the contract error body', async () => {
    const notFound = await rawCall(socketPath, 'GET', '/v1/nothing');
    assert.equal(notFound.status, 404);
    assert.equal((JSON.parse(notFound.body) as { error: { code: string } }).error.code, 'NOT_FOUND');
    const unknownVerb = await rawCall(socketPath, 'POST', '/v1/processes/kan0/explode');
    assert.equal(unknownVerb.status, 404);
    const getVerb = await rawCall(socketPath, 'GET', '/v1/processes/kan0/restart');
    assert.equal(getVerb.status, 405);
    assert.equal(getVerb.allow, 'POST');
    assert.equal((JSON.parse(getVerb.body) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
    const postList = await rawCall(socketPath, 'POST', '/v1/processes');
    assert.equal(postList.status, 405);
  });

  it('reports an unreachable socket with CONTROL_UNREACHABLE', async () => {
    const missing = join(dir.path, 'absent.sock');
    await assert.rejects(createControlClient(missing).list(), hasCode('CONTROL_UNREACHABLE', 503));
  });

  it('refuses to remove a path that is not a socket', async () => {
    const plain = join(dir.path, 'plain-file');
    writeFileSync(plain, 'not a socket');
    const app = createControlApp({ supervisor, logger });
    await assert.rejects(listenControlSocket(plain, app), hasCode('INVALID_SETTING', 400));
  });
});
