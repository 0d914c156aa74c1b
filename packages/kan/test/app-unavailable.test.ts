// A real kan whose API cannot be loaded (docs/kan.md, "A kan whose API cannot be loaded"): the
// kan process runs with the owner's flags, its package `express` made unresolvable by a preload
// (test/fixtures/express-missing.mjs: Node's own ERR_MODULE_NOT_FOUND, as in a broken install).
// It answers its pings (no express at ping time); the first API requests, in flight together, each
// get 503 KAN_UNAVAILABLE without the cause; then the kan logs one line with the cause, writes the
// reason to stderr and exits 69, for its owner to restart it. The front door's own rules (once,
// after the waiting answers, later requests) are in front-door.test.ts with an injected factory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { roleFiles } from '@qsen/pki';
import type { QsenConfig } from '@qsen/core';
import { httpsCall, makeTempDir, waitFor } from '@qsen/testkit';
import { KAN_EXIT_APP_UNAVAILABLE } from '../src/crash.js';
import { KAN_NODE_FLAGS } from '../src/node-flags.js';
import { makeLocalHome } from './local-home.js';

const tmp = makeTempDir('kan-unavailable-');
const main = new URL('../src/main.js', import.meta.url).pathname;
const preload = new URL('../../test/fixtures/express-missing.mjs', import.meta.url).pathname;
let config: QsenConfig;
let confFile = '';

before(async () => {
  ({ confFile, config } = await makeLocalHome(tmp.path));
});
after(() => tmp.remove());

test('a real kan whose express does not import answers its pings, then 503 KAN_UNAVAILABLE to the waiting requests, logs the cause once and exits 69', { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [...KAN_NODE_FLAGS, '--import', preload, main, '--config', confFile, '--index', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = config.server.kan_ports[0];
  const ca = readFileSync(config.tls.ca, 'utf8');
  const files = roleFiles('auditor');
  const identity = { cert: readFileSync(join(tmp.path, files.cert), 'utf8'), key: readFileSync(join(tmp.path, files.key), 'utf8') };
  try {
    await waitFor(async () => stdout.includes('express removed') && (await httpsCall(`https://localhost:${port}/kan/v1/ping`, { ca }).catch(() => ({ status: 0 }))).status === 200,
      { timeoutMs: 45_000, intervalMs: 100, what: 'the kan to answer its ping' });
    // The three connections are made (TLS handshakes done) before any request is written, then the
    // requests go out together: a handshake that finishes on a loaded machine only after the kan
    // has answered the others and exited would be a refused connection, not the behaviour named.
    // (No `agent` option: with one, Node ignores createConnection and dials a connection itself.)
    const sockets = await Promise.all([0, 1, 2].map(() => new Promise<TLSSocket>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...identity }, () => resolve(socket));
      socket.once('error', reject);
    })));
    const answers = await Promise.all(['/kan/v1/status', '/kan/v1/version', '/kan/v1/logs'].map((path, i) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({ host: 'localhost', port, path, createConnection: () => sockets[i] as TLSSocket }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.once('error', reject);
      req.end();
    })));
    for (const a of answers) {
      assert.equal(a.status, 503, a.body);
      assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'KAN_UNAVAILABLE');
      assert.ok(!a.body.includes('qsen-test-express-is-missing'), 'the cause stays in the log');
    }
    const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000))]);
    assert.equal(code, KAN_EXIT_APP_UNAVAILABLE, `exit code; stderr:\n${stderr}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  assert.match(stderr, /kan: the kan's API could not be loaded \(.*qsen-test-express-is-missing.*\): exiting with code 69/);
  const logName = readdirSync(config.paths.logs).find((n) => n.startsWith('kan0-'));
  assert.ok(logName, 'kan0 wrote its log');
  const lines = readFileSync(join(config.paths.logs, logName), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const failures = lines.filter((l) => l['message'] === 'kan API could not be loaded');
  assert.equal(failures.length, 1, 'one line for the failure');
  assert.match(String(failures[0]?.['error']), /qsen-test-express-is-missing/);
  assert.equal(failures[0]?.['errorCode'], 'ERR_MODULE_NOT_FOUND');
  assert.equal(failures[0]?.['exitCode'], KAN_EXIT_APP_UNAVAILABLE);
});
