/**
 * The risk controls in the real qsen process: SIGHUP re-reads [risk] (a broken file keeps the
 * limits in force and says why), and kill -9 does not reset today's usage (rebuilt from the
 * journal at the next start).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { findFreePort, httpsCall, waitFor, type HttpsAnswer } from '@qsen/testkit';
import { orderJson } from './support/node.js';
import { spawnQsen, waitForPing, type QsenChild } from './support/child.js';
import { startSenebiDouble, type SenebiDouble } from './support/senebi-double.js';
import { makeTestState, type TestState } from './support/state.js';

describe('the real qsen process: SIGHUP reloads [risk], kill -9 keeps the day\'s usage', () => {
  let state: TestState;
  let senebi: SenebiDouble;
  let port: number;
  const children: QsenChild[] = [];

  const call = (method: string, path: string, role: 'platform' | 'auditor', body?: string): Promise<HttpsAnswer> => httpsCall(`https://127.0.0.1:${port}${path}`, {
    method, ca: state.ca, identity: { cert: state.clients[role].certPem, key: state.clients[role].keyPem }, ...(body === undefined ? {} : { body }), timeoutMs: 20_000,
  });
  const limit = async (name: string): Promise<Record<string, unknown> | undefined> => {
    const r = await call('GET', '/qsen/v1/risk', 'auditor');
    return (JSON.parse(r.body) as { limits: Array<Record<string, unknown>> }).limits.find((l) => l['limit'] === name);
  };
  const lastReload = async (): Promise<Record<string, unknown>> => (JSON.parse((await call('GET', '/qsen/v1/risk', 'auditor')).body) as { lastReload: Record<string, unknown> }).lastReload;

  before(async () => {
    state = makeTestState({ senebiPort: 0 });
    senebi = await startSenebiDouble({ ...state.senebiServer, clientCa: state.agentCa });
    port = await findFreePort();
    state.writeConfig({ senebiPort: senebi.port, qsenPort: port, timeoutMs: 5000, risk: 'max_daily_orders = 3' });
  });
  after(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await senebi.close();
    state.remove();
  });

  test('SIGHUP applies an edited [risk]; a broken one keeps the limits and says why', async () => {
    const child = spawnQsen(state.confFile);
    children.push(child);
    await waitForPing(port, state.ca);
    for (const id of ['9999000000000000001', '9999000000000000002']) assert.equal((await call('POST', '/qsen/v1/sendOrder', 'platform', orderJson(id))).status, 200);
    const text = readFileSync(state.confFile, 'utf8');
    writeFileSync(state.confFile, text.replace('max_daily_orders = 3', 'max_daily_orders = 2'));
    child.child.kill('SIGHUP');
    await waitFor(async () => ((await limit('daily_orders'))?.['max'] === '2' ? true : undefined), { timeoutMs: 15_000, what: 'daily_orders reloaded to 2' });
    const refused = await call('POST', '/qsen/v1/sendOrder', 'platform', orderJson('9999000000000000003'));
    assert.equal(refused.status, 422, refused.body);

    writeFileSync(state.confFile, text.replace('max_daily_orders = 3', 'max_daily_orders = "many"'));
    const before = String((await lastReload())['at']);
    child.child.kill('SIGHUP');
    const reload = await waitFor(async () => {
      const r = await lastReload();
      return r['ok'] === false ? r : undefined;
    }, { timeoutMs: 15_000, what: 'the failed reload shown' });
    assert.notEqual(String(reload['at']), before);
    assert.equal(reload['by'], 'SIGHUP');
    assert.deepEqual(reload['problems'], ['risk.max_daily_orders: expected a number, got a string']);
    assert.equal((await limit('daily_orders'))?.['max'], '2');
    assert.equal((await call('POST', '/qsen/v1/sendOrder', 'platform', orderJson('9999000000000000003'))).status, 422);
    writeFileSync(state.confFile, text.replace('max_daily_orders = 3', 'max_daily_orders = 2'));

    // kill -9, restart: the two orders of the day are counted again from the journal.
    child.child.kill('SIGKILL');
    await child.exited;
    const second = spawnQsen(state.confFile);
    children.push(second);
    await waitForPing(port, state.ca);
    assert.equal((await limit('daily_orders'))?.['used'], '2');
    assert.equal((await call('POST', '/qsen/v1/sendOrder', 'platform', orderJson('9999000000000000003'))).status, 422);
    assert.equal(senebi.posts.has('9999000000000000003'), false);
  });
});
