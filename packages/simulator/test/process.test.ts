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
