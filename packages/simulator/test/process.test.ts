// The simulator as a real child process: state survives a SIGKILL restart, SIGTERM flushes
// and exits 0, it logs to logs/simulator-*.log, and a bad command line exits 2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { findFreePort, waitFor } from '@qsen/testkit';
import { SIMULATOR_MAIN_PATH } from '../src/index.js';
import { makeClient, makeTestHome, makeTestPki, orderBody, type TestHome, type TestPki } from './support/home.js';

const MAIN = SIMULATOR_MAIN_PATH;

/** Starts the simulator process; its stderr is kept for failure messages. */
function startProcess(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (c: Buffer) => { text += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { text += c.toString(); });
  return { child, output: () => text };
}

/** Waits for a child to exit and gives its code and signal. */
async function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

describe('the simulator process', () => {
  let pki: TestPki;
  let home: TestHome;
  const children: ChildProcess[] = [];

  before(() => {
    pki = makeTestPki();
  });
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    home?.remove();
  });

  test('state survives a SIGKILL restart; SIGTERM exits 0; logs go to logs/simulator-*.log', async () => {
    const port = await findFreePort();
    home = makeTestHome(pki, { port });
    const client = makeClient(`https://127.0.0.1:${port}`, pki);

    const first = startProcess(['--home', home.path]);
    children.push(first.child);
    await waitFor(async () => (await client.call('GET', '/senebi/v1/ping')).status === 200, { timeoutMs: 15_000, what: `simulator on ${port} (${first.output()})` });
    const sent = await client.json('POST', '/senebi/v1/orders', orderBody('9999000000000000777'));
    assert.equal((sent.body['order'] as Record<string, unknown>)['status'], 'accepted');
    assert.ok(existsSync(join(home.path, 'senebi', 'state.json')));
    first.child.kill('SIGKILL');
    assert.equal((await exitOf(first.child)).signal, 'SIGKILL');

    const second = startProcess(['--home', home.path, '--port', String(port)]);
    children.push(second.child);
    await waitFor(async () => (await client.call('GET', '/senebi/v1/ping')).status === 200, { timeoutMs: 15_000, what: `restarted simulator (${second.output()})` });
    const again = await client.call('GET', '/senebi/v1/orders/9999000000000000777');
    assert.equal(again.status, 200);
    assert.ok(again.body.includes('"id":9999000000000000777,'));
    const counters = await client.json('GET', '/admin/v1/counters');
    assert.equal(String((counters.body['ordersReceived'] as Record<string, unknown>)['9999000000000000777']), '1');
    const duplicate = await client.json('POST', '/senebi/v1/orders', orderBody('9999000000000000777'));
    assert.equal((duplicate.body['order'] as Record<string, unknown>)['reason'], 'duplicate order id');

    second.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(second.child), { code: 0, signal: null });
    const logs = readdirSync(join(home.path, 'logs')).filter((name) => /^simulator-.*\.log$/.test(name));
    assert.equal(logs.length, 1, readdirSync(join(home.path, 'logs')).join(','));
    const text = readFileSync(join(home.path, 'logs', logs[0] ?? ''), 'utf8');
    assert.match(text, /simulator listening/);
    assert.match(text, /stopping/);
    assert.doesNotMatch(text, /PRIVATE KEY|test passphrase/);
  });

  test('faults are driven with a command: senebi-sim faults set/clear, counters, reset (the agent key decrypted from the state folder)', async () => {
    const port = await findFreePort();
    const adminHome = makeTestHome(pki, { port });
    const server = startProcess(['--home', adminHome.path]);
    children.push(server.child);
    const run = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((resolveRun) => {
      const child = spawn(process.execPath, [MAIN, ...args, '--home', adminHome.path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    });
    try {
      const client = makeClient(`https://127.0.0.1:${port}`, pki);
      await waitFor(async () => (await client.call('GET', '/senebi/v1/ping')).status === 200, { timeoutMs: 15_000, what: `simulator on ${port} (${server.output()})` });
      const set = await run(['faults', 'set', '{"http_5xx": {"probability": 1, "status": 502}}']);
      assert.equal(set.code, 0, set.stderr);
      assert.equal((JSON.parse(set.stdout) as { http_5xx: { probability: number } }).http_5xx.probability, 1);
      // In force: SENEBI's order endpoint now answers 502.
      assert.equal((await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000000778'))).status, 502);
      const counters = JSON.parse((await run(['counters'])).stdout) as { faults: Record<string, number> };
      assert.equal(counters.faults['http_5xx'], 1);
      assert.equal((await run(['faults', 'clear'])).code, 0);
      assert.equal((await client.call('POST', '/senebi/v1/orders', orderBody('9999000000000000779'))).status, 200);
      assert.equal((await run(['reset'])).code, 0);
      const bad = await run(['faults', 'set', '{"http_5xx": {"probability": 7}}']);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /INVALID_FAULTS/);
      const usage = await run(['faults', 'set', 'not json']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /not a JSON object/);
      assert.doesNotMatch(set.stdout + set.stderr, /PRIVATE KEY|test passphrase/);
    } finally {
      server.child.kill('SIGTERM');
      await exitOf(server.child);
      adminHome.remove();
    }
  });

  test('a bad command line exits 2 with the usage', async () => {
    const run = startProcess(['--port', '1']);
    children.push(run.child);
    assert.equal((await exitOf(run.child)).code, 2);
    assert.match(run.output(), /--home is required/);
  });

  test('a missing conf.toml exits 1 with a message', async () => {
    const run = startProcess(['--home', '/nonexistent/qsen-home']);
    children.push(run.child);
    assert.equal((await exitOf(run.child)).code, 1);
    assert.match(run.output(), /conf\.toml/);
  });
});
