import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QsenConfig } from '@qsen/core';
import { httpsCall, makeTempDir, waitFor } from '@qsen/testkit';
import { createFatalHandler, KAN_EXIT_UNCAUGHT } from '../src/crash.js';
import { makeLocalHome } from './local-home.js';

const tmp = makeTempDir('kan-crash-');
const main = new URL('../src/main.js', import.meta.url).pathname;
const preload = new URL('../../test/fixtures/uncaught-twice.mjs', import.meta.url).pathname;
let config: QsenConfig;
let confFile = '';

before(async () => {
  ({ confFile, config } = await makeLocalHome(tmp.path));
});
after(() => tmp.remove());

test('fatal path (injected): runs once, logs only while the logger takes lines, exits with its code after a bounded flush', async () => {
  const exits: number[] = [];
  const logged: unknown[] = [];
  const stderr: string[] = [];
  let writable = true;
  const handler = createFatalHandler({
    log: (err) => { if (!writable) throw new Error('write after end'); logged.push(err); },
    logWritable: () => writable,
    flush: () => { writable = false; return new Promise(() => undefined); }, // a flush that never ends
    stderr: (t) => { stderr.push(t); },
    exit: (code) => { exits.push(code); },
    flushTimeoutMs: 200,
  });
  handler(new Error('one'));
  handler(new Error('two'));
  handler('three');
  await waitFor(() => exits.length > 0, { timeoutMs: 5_000, what: 'the bounded flush to give up' });
  assert.deepEqual(exits, [KAN_EXIT_UNCAUGHT]);
  assert.equal(logged.length, 1);
  assert.equal(stderr.filter((t) => t.includes('another uncaught exception')).length, 2);
  // A log call that throws and a stderr that throws do not escape the handler.
  const again = createFatalHandler({
    log: () => { throw new Error('write after end'); }, logWritable: () => true, flush: () => { throw new Error('flush'); },
    stderr: () => { throw new Error('EPIPE'); }, exit: (code) => { exits.push(code); },
  });
  assert.doesNotThrow(() => again(new Error('x')));
  await waitFor(() => exits.length === 2, { timeoutMs: 5_000, what: 'the second handler to exit' });
  assert.equal(exits[1], KAN_EXIT_UNCAUGHT);
});

test('a real kan hit by two uncaught exceptions in a row: logs the first, never writes after end, exits 70', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', preload, main, '--config', confFile, '--index', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const ca = readFileSync(config.tls.ca, 'utf8');
    await waitFor(async () => out.includes('armed') && (await httpsCall(`https://localhost:${config.server.kan_ports[0]}/kan/v1/ping`, { ca })).status === 200,
      { timeoutMs: 30_000, intervalMs: 100, what: 'the kan to answer its ping' });
    child.kill('SIGUSR2');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    assert.equal(code, KAN_EXIT_UNCAUGHT, `exit code; output:\n${out}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  assert.doesNotMatch(out, /write after end/i);
  assert.match(out, /first uncaught exception \(test\)/);
  assert.match(out, /another uncaught exception while stopping: Error: second uncaught exception \(test\)/);
  const logName = readdirSync(config.paths.logs).find((n) => n.startsWith('kan0-'));
  assert.ok(logName, 'kan0 wrote its log');
  const lines = readFileSync(join(config.paths.logs, logName), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { message: string; error?: string });
  const fatal = lines.filter((l) => l.message === 'uncaught exception');
  assert.deepEqual(fatal.map((l) => l.error), ['first uncaught exception (test)'], 'the first error is in the log, flushed, once');
});
