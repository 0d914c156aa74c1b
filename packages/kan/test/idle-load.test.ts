// What an idle kan carries (docs/kan.md, "Memory"): a real kan process, started with the owner's
// flags (KAN_NODE_FLAGS), watching healthy stand-ins of qsen and its two peers, is traced for the
// npm packages it loads and for any Intl.DateTimeFormat it makes. The packages a kan only needs
// for some requests load on the first such request, never at idle: express and the API's routes
// too (the front door answers the pings, front-door.ts). Then the first requests after idle, all
// at once while the app is being built, must each get their full, correct answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { roleFiles } from '@qsen/pki';
import type { QsenConfig } from '@qsen/core';
import { httpsCall, makeTempDir, waitFor, INTL_DATE_FORMAT, PACKAGE_TRACE_REGISTER, readPackageTrace } from '@qsen/testkit';
import { KAN_NODE_FLAGS } from '../src/node-flags.js';
import { makeLocalHome } from './local-home.js';

/**
 * Loaded on first use only: none of them may be in an idle kan. `@opentelemetry/api` (prom-client's
 * CPU counters) and tdigest (prom-client's root entry, through its Summary) come with the default
 * metrics made on the first scrape (core's metrics/registry.ts).
 */
const NOT_AT_IDLE = ['express', 'node-forge', 'http-proxy', 'tar', 'execa', 'systeminformation', 'axios', '@opentelemetry/api', 'tdigest'];

const tmp = makeTempDir('kan-idle-');
const main = new URL('../src/main.js', import.meta.url).pathname;
const pingServer = new URL('../../test/fixtures/ping-server.mjs', import.meta.url).pathname;
const trace = join(tmp.path, 'trace.txt');
let config: QsenConfig;
let confFile = '';
const children: ChildProcess[] = [];
/** Requests each stand-in has received (its `--log-requests` lines). */
const probesSeen = new Map<string, number>();

before(async () => {
  ({ confFile, config } = await makeLocalHome(tmp.path));
  const standIns: Array<[number, string, string]> = [
    [config.server.qsen_port, '/qsen/v1/ping', 'qsen'], [config.server.kan_ports[1] ?? 0, '/kan/v1/ping', 'kan1'], [config.server.kan_ports[2] ?? 0, '/kan/v1/ping', 'kan2'],
  ];
  for (const [port, path, name] of standIns) {
    const child = spawn(process.execPath, [pingServer, String(port), config.tls.cert, config.tls.key, path, `--heartbeat=${join(config.paths.run, `${name}.heartbeat`)}`, '--log-requests'], { stdio: ['ignore', 'pipe', 'ignore'] });
    probesSeen.set(name, 0);
    child.stdout?.on('data', (c: Buffer) => probesSeen.set(name, (probesSeen.get(name) ?? 0) + (c.toString().match(/^request /gm)?.length ?? 0)));
    children.push(child);
  }
});
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  tmp.remove();
});

test('an idle kan loads none of its on-first-use packages (express included) and no Intl date data; the first requests after idle, at once, each get their full answer; a status loads systeminformation, never node-forge', { timeout: 90_000 }, async () => {
  writeFileSync(trace, '');
  const kan = spawn(process.execPath, [...KAN_NODE_FLAGS, '--import', PACKAGE_TRACE_REGISTER, main, '--config', confFile, '--index', '0'], {
    env: { ...process.env, QSEN_PACKAGE_TRACE: trace }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(kan);
  let stderr = '';
  kan.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
  let stdout = '';
  kan.stdout?.on('data', (c: Buffer) => { stdout += c.toString(); });
  const ca = readFileSync(config.tls.ca, 'utf8');
  const auditor = { cert: readFileSync(join(tmp.path, roleFiles('auditor').cert), 'utf8'), key: readFileSync(join(tmp.path, roleFiles('auditor').key), 'utf8') };
  const base = `https://localhost:${config.server.kan_ports[0]}/kan/v1`;
  // Idle: the kan answers its own pings (loopback, no certificate: what its peers' probes do) and
  // has probed each target several times. Nothing but pings has reached it.
  let pings = 0;
  await waitFor(async () => {
    const r = await httpsCall(`${base}/ping`, { ca });
    if (r.status !== 200) return false;
    pings++;
    assert.equal((JSON.parse(r.body) as { pid: number }).pid, kan.pid);
    return ['qsen', 'kan1', 'kan2'].every((t) => (probesSeen.get(t) ?? 0) >= 3);
  }, { timeoutMs: 60_000, intervalMs: 250, what: `pings answered and three probes of each target (${JSON.stringify([...probesSeen])}; exit ${kan.exitCode}, stderr: ${stderr}, stdout: ${stdout.slice(-2000)})` });
  const idle = readPackageTrace(trace);
  assert.ok(idle.has('prom-client') && idle.has('winston'), `the trace sees what the kan does load: ${[...idle].join(' ')}`);
  for (const name of NOT_AT_IDLE) assert.ok(!idle.has(name), `an idle kan loaded ${name} (${[...idle].join(' ')})`);
  assert.ok(!idle.has(INTL_DATE_FORMAT), 'an idle kan made an Intl.DateTimeFormat (ICU date data)');
  assert.equal(stderr, '', 'nothing on stderr at start (no process warning)');

  // The first requests after idle, all in flight while express and the routes load.
  const [status, scrape, refused, unknown, anonymous] = await Promise.all([
    httpsCall(`${base}/status`, { ca, identity: auditor }),
    httpsCall(`${base}/metrics/process`, { ca, identity: auditor }),
    httpsCall(`${base}/restart_qsen`, { ca, identity: auditor, method: 'POST', body: '{}' }),
    httpsCall(`${base}/no-such-route`, { ca, identity: auditor }),
    httpsCall(`${base}/status`, { ca }),
  ]);
  assert.equal(status.status, 200, status.body);
  const report = JSON.parse(status.body) as { node: { pid: number } };
  assert.equal(report.node.pid, kan.pid);
  // The scrape has what the idle kan counted before the app existed: its probes and the pings it answered.
  assert.equal(scrape.status, 200, scrape.body);
  const value = (metric: string, label: string): number => Number(scrape.body.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(label))?.split(' ').at(-1) ?? -1);
  for (const target of ['qsen', 'kan1', 'kan2']) {
    assert.ok(value('kan_probe_duration_seconds_count', `target="${target}"`) >= 3, `probes of ${target} counted at idle`);
    assert.equal(value('kan_target_up', `target="${target}"`), 1);
  }
  assert.ok(value('kan_internal_pings_total', 'path="/kan/v1/ping"') >= pings, `the ${pings} pings answered at idle are counted`);
  assert.equal(refused.status, 403);
  assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'FORBIDDEN');
  assert.equal(unknown.status, 404);
  assert.equal((JSON.parse(unknown.body) as { error: { code: string } }).error.code, 'NOT_FOUND');
  assert.equal(anonymous.status, 401, 'no certificate: refused by the gate');
  assert.equal((JSON.parse(anonymous.body) as { error: { code: string } }).error.code, 'CERTIFICATE_REQUIRED');
  for (const answer of [status, scrape, refused, unknown]) assert.match(String(answer.headers['x-request-id']), /^[0-9a-f-]{36}$/);

  // The refusal is audited, and the log holds the start-up line and one access line per request.
  const logs = await httpsCall(`${base}/logs`, { ca, identity: auditor });
  assert.equal(logs.status, 200, logs.body);
  const names = (JSON.parse(logs.body) as Array<{ name: string }>).map((e) => e.name);
  const ownLog = names.find((n) => /^kan0-.*\.log$/.test(n));
  const auditLog = names.find((n) => /^audit-kan0-.*\.log$/.test(n));
  assert.ok(ownLog !== undefined && auditLog !== undefined, `kan0's log and audit file are listed: ${names.join(' ')}`);
  await waitFor(async () => {
    const tail = await httpsCall(`${base}/logs/tail?file=${ownLog}&lines=100`, { ca, identity: auditor });
    const audited = await httpsCall(`${base}/logs/tail?file=${auditLog}&lines=100`, { ca, identity: auditor });
    return tail.status === 200 && tail.body.includes('kan listening') && tail.body.includes('/kan/v1/restart_qsen') && tail.body.includes('/kan/v1/no-such-route')
      && audited.status === 200 && audited.body.includes('"restart_qsen"') && audited.body.includes('"FORBIDDEN"');
  }, { timeoutMs: 20_000, intervalMs: 200, what: 'the start-up line, the access lines and the audited refusal' });

  const after = readPackageTrace(trace);
  assert.ok(after.has('express'), 'the first request that is not a ping loaded express');
  assert.ok(after.has('@opentelemetry/api'), 'the first scrape made the default metrics that read the process (the trace sees them load)');
  assert.ok(!after.has('tdigest'), "prom-client's root entry is not loaded by a scrape either");
  assert.ok(after.has('systeminformation'), 'the first status call loaded systeminformation (the trace sees packages loaded on first use)');
  assert.ok(!after.has('node-forge'), 'the status call described the certificates without node-forge (@qsen/pki/inspect reads DER itself)');
  kan.kill('SIGKILL');
});
