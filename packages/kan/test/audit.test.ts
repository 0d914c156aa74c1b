import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { initClusterPki } from '@qsen/pki';
import { createAuditLog, loadConfig, type AuditLog, type QsenConfig } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall, makeTempDir, type HttpsAnswer, ManualClock } from '@qsen/testkit';
import { createKanNode, type KanNode } from '../src/node.js';
import { createSelfRestartMarker, selfRestartMarkerPath } from '../src/audit/self-restart.js';
import { TestOwner } from './owner.js';

const tmp = makeTempDir('kan-audit-');
const home = tmp.path;
const pingServer = new URL('../../test/fixtures/ping-server.mjs', import.meta.url).pathname;
let config: QsenConfig;
let node: KanNode;
let base = '';
let owner: TestOwner;
let ca = '';
let audit: AuditLog;
const ids: Record<string, { cert: string; key: string }> = {};
const logger = winston.createLogger({ silent: true });
const T0 = Date.parse('2026-11-24T14:00:00.000Z');

before(async () => {
  initClusterPki(home);
  ca = readFileSync(join(home, 'pki/ca.crt'), 'utf8');
  for (const role of ['platform', 'operator', 'auditor']) {
    ids[role] = { cert: readFileSync(join(home, `pki/clients/${role}.crt`), 'utf8'), key: readFileSync(join(home, `pki/clients/${role}.key`), 'utf8') };
  }
  writeFileSync(join(home, 'conf.toml'), renderConfigToml({
    mode: 'local', qsenPort: await findFreePort(), kanPorts: [await findFreePort(), await findFreePort(), await findFreePort()],
    nodeExporterUrl: `http://127.0.0.1:${await findFreePort()}`, listen: '127.0.0.1',
  }));
  config = loadConfig(join(home, 'conf.toml'));
  mkdirSync(config.paths.logs, { recursive: true });
  mkdirSync(config.paths.run, { recursive: true });
  owner = new TestOwner({
    kan0: { args: () => [pingServer, String(config.server.kan_ports[0]), join(home, 'pki/server.crt'), join(home, 'pki/server.key'), '/kan/v1/ping'] },
  });
  audit = createAuditLog({ dir: config.paths.logs, chain: 'kan0' });
  node = createKanNode({ index: 0, config, logger, audit, control: owner, watchdog: false });
  base = `https://localhost:${await node.listen(0, '127.0.0.1')}`;
});

after(async () => {
  await node?.close();
  await owner?.closeAll();
  await audit?.close();
  tmp.remove();
});

function call(path: string, role = 'auditor', method = 'GET'): Promise<HttpsAnswer> {
  return httpsCall(`${base}${path}`, { method, ca, identity: ids[role] });
}
const ndjson = (a: HttpsAnswer): Array<Record<string, unknown>> => a.body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

test('GET /kan/v1/audit/verify: every role may read it; it reports the first broken link with file, line, expected and found', async () => {
  const dir = config.paths.logs;
  const clock = new ManualClock(T0);
  const qsen = createAuditLog({ dir, chain: 'qsen', clock });
  for (let i = 0; i < 6; i++) qsen.record({ action: 'sendOrder', subject: 'CN=quantex,OU=platform', outcome: 'accepted', requestId: `q-${i}`, details: { orderId: `999900000000000000${i}` } });
  await qsen.close();
  for (const role of ['platform', 'operator', 'auditor']) {
    const a = await call('/kan/v1/audit/verify?chain=qsen', role);
    assert.equal(a.status, 200, a.body);
    const report = JSON.parse(a.body) as { ok: boolean; chains: Array<{ chain: string; lines: number }> };
    assert.equal(report.ok, true);
    assert.deepEqual(report.chains.map((c) => [c.chain, c.lines]), [['qsen', 6]]);
  }
  const file = join(dir, 'audit-qsen-2026-11-24.log');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[2] = (lines[2] ?? '').replace('"outcome":"accepted"', '"outcome":"refused"');
  writeFileSync(file, lines.join('\n'));
  const broken = JSON.parse((await call('/kan/v1/audit/verify')).body) as { ok: boolean; chains: Array<{ chain: string; firstBreak: Record<string, unknown> | null }> };
  assert.equal(broken.ok, false);
  const qsenChain = broken.chains.find((c) => c.chain === 'qsen');
  assert.equal(qsenChain?.firstBreak?.['file'], 'audit-qsen-2026-11-24.log');
  assert.equal(qsenChain?.firstBreak?.['line'], 4);
  assert.equal(qsenChain?.firstBreak?.['kind'], 'prev_mismatch');
  assert.match(String(qsenChain?.firstBreak?.['expected']), /^[0-9a-f]{64}$/);
  assert.notEqual(qsenChain?.firstBreak?.['expected'], qsenChain?.firstBreak?.['found']);
  // Put it back for the other tests.
  lines[2] = (lines[2] ?? '').replace('"outcome":"refused"', '"outcome":"accepted"');
  writeFileSync(file, lines.join('\n'));
});

test('GET /kan/v1/audit: streams matching entries as NDJSON by time range, action, subject and id; bad parameters are 400 INVALID_PARAMETER', async () => {
  const all = ndjson(await call('/kan/v1/audit?from=2026-11-24&to=2026-11-24'));
  assert.equal(all.length, 6);
  assert.deepEqual(all.map((e) => e['requestId']), ['q-0', 'q-1', 'q-2', 'q-3', 'q-4', 'q-5']);
  assert.equal(all[0]?.['file'], 'audit-qsen-2026-11-24.log');
  assert.equal(all[0]?.['line'], 1);
  assert.equal(ndjson(await call('/kan/v1/audit?id=9999000000000000003'))[0]?.['requestId'], 'q-3');
  assert.equal(ndjson(await call('/kan/v1/audit?action=halt')).length, 0);
  assert.equal(ndjson(await call('/kan/v1/audit?subject=CN%3Dquantex&from=2026-11-25')).length, 0);
  const limited = ndjson(await call('/kan/v1/audit?limit=2'));
  assert.deepEqual(limited.map((e) => e['requestId'] ?? e['truncated']), ['q-0', 'q-1', true]);
  for (const bad of ['from=yesterday', 'action=rm', 'limit=0', 'to=2026-13-45', 'id=']) {
    const a = await call(`/kan/v1/audit?${bad}`);
    assert.equal(a.status, 400, `${bad}: ${a.body}`);
    assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'INVALID_PARAMETER');
  }
});

test('a state-changing request refused before its handler runs is audited `refused` with its code', async () => {
  const denied = await call('/kan/v1/restart_qsen', 'auditor', 'POST');
  assert.equal(denied.status, 403);
  const crossSite = await httpsCall(`${base}/kan/v1/logs/truncate?file=x.log&keep=0`, { method: 'GET', ca, identity: ids['operator'], headers: { 'sec-fetch-site': 'cross-site' } });
  assert.equal(crossSite.status, 403);
  const forbidden = ndjson(await call(`/kan/v1/audit?id=${String(denied.headers['x-request-id'])}`))[0];
  assert.deepEqual([forbidden?.['action'], forbidden?.['outcome'], forbidden?.['code']], ['restart_qsen', 'refused', 'FORBIDDEN']);
  const refused = ndjson(await call(`/kan/v1/audit?id=${String(crossSite.headers['x-request-id'])}`))[0];
  assert.deepEqual([refused?.['action'], refused?.['outcome'], refused?.['code']], ['logs/truncate', 'refused', 'CROSS_SITE_REQUEST']);
  assert.match(String(refused?.['subject']), /OU=operator/);
});

test("a kan's self-restart ends with `done`: written by the new process once it listens, or by the same one when it survives", async () => {
  // The old process accepted a restart of itself and was stopped before it could write `done`.
  createSelfRestartMarker(config.paths.run, 1).begin({ subject: 'CN=desk-operator,OU=operator', requestId: 'req-self-1', pid: 999_999, at: new Date(T0).toISOString() });
  const kan1Audit = createAuditLog({ dir: config.paths.logs, chain: 'kan1' });
  const fresh = createKanNode({ index: 1, config, logger, audit: kan1Audit, control: owner, watchdog: false });
  try {
    await fresh.listen(0, '127.0.0.1');
    const done = ndjson(await call('/kan/v1/audit?action=restart_kan&id=req-self-1'));
    assert.equal(done.length, 1, JSON.stringify(done));
    assert.equal(done[0]?.['outcome'], 'done');
    assert.equal(done[0]?.['chain'], 'kan1');
    assert.equal((done[0]?.['details'] as Record<string, unknown>)['previousPid'], 999_999);
    assert.equal(existsSync(selfRestartMarkerPath(config.paths.run, 1)), false);
  } finally {
    await fresh.close();
    await kan1Audit.close();
  }

  // A restart that comes back to the same process (the test owner does not stop this one): it writes its own `done`, and leaves no marker.
  await owner.start('kan0');
  const a = await call('/kan/v1/restart_kan', 'operator', 'POST');
  assert.equal(a.status, 202, a.body);
  const requestId = (JSON.parse(a.body) as { requestId: string }).requestId;
  await node.requests.settle();
  const outcomes = ndjson(await call(`/kan/v1/audit?id=${requestId}`)).map((e) => e['outcome']);
  assert.deepEqual(outcomes, ['accepted', 'done']);
  assert.equal(existsSync(selfRestartMarkerPath(config.paths.run, 0)), false);
  assert.equal((JSON.parse((await call('/kan/v1/audit/verify')).body) as { ok: boolean }).ok, true);
});
