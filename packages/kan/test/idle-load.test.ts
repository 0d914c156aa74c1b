// What an idle kan carries (docs/kan.md, "Memory"): a real kan process, started with the owner's
// flags (KAN_NODE_FLAGS), watching healthy stand-ins of qsen and its two peers, is traced for the
// npm packages it loads and for any Intl.DateTimeFormat it makes. The packages a kan only needs
// for some requests load on the first such request, never at idle.
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

/** Loaded on first use only: none of them may be in an idle kan. */
const NOT_AT_IDLE = ['node-forge', 'http-proxy', 'tar', 'execa', 'systeminformation', 'axios'];

const tmp = makeTempDir('kan-idle-');
const main = new URL('../src/main.js', import.meta.url).pathname;
const pingServer = new URL('../../test/fixtures/ping-server.mjs', import.meta.url).pathname;
const trace = join(tmp.path, 'trace.txt');
let config: QsenConfig;
let confFile = '';
const children: ChildProcess[] = [];

before(async () => {
  ({ confFile, config } = await makeLocalHome(tmp.path));
  const standIns: Array<[number, string, string]> = [
    [config.server.qsen_port, '/qsen/v1/ping', 'qsen'], [config.server.kan_ports[1] ?? 0, '/kan/v1/ping', 'kan1'], [config.server.kan_ports[2] ?? 0, '/kan/v1/ping', 'kan2'],
  ];
  for (const [port, path, name] of standIns) {
    children.push(spawn(process.execPath, [pingServer, String(port), config.tls.cert, config.tls.key, path, `--heartbeat=${join(config.paths.run, `${name}.heartbeat`)}`], { stdio: 'ignore' }));
  }
});
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  tmp.remove();
});

test('an idle kan loads none of its on-first-use packages and no Intl date data; a status call then loads systeminformation, and never node-forge', { timeout: 90_000 }, async () => {
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
  // Idle: each target probed several times and up (the scrape itself reads the trading window).
  await waitFor(async () => {
    const r = await httpsCall(`${base}/metrics/process`, { ca, identity: auditor });
    const value = (metric: string, target: string): number => Number(r.body.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`target="${target}"`))?.split(' ').at(-1) ?? 0);
    return r.status === 200 && ['qsen', 'kan1', 'kan2'].every((t) => value('kan_probe_duration_seconds_count', t) >= 3 && value('kan_target_up', t) === 1);
  }, { timeoutMs: 60_000, intervalMs: 250, what: `three good probes of each target (exit ${kan.exitCode}, stderr: ${stderr}, stdout: ${stdout.slice(-2000)})` });
  const idle = readPackageTrace(trace);
  assert.ok(idle.has('express') && idle.has('prom-client'), `the trace sees what the kan does load: ${[...idle].join(' ')}`);
  for (const name of NOT_AT_IDLE) assert.ok(!idle.has(name), `an idle kan loaded ${name}`);
  assert.ok(!idle.has(INTL_DATE_FORMAT), 'an idle kan made an Intl.DateTimeFormat (ICU date data)');
  assert.equal(stderr, '', 'nothing on stderr at start (no process warning)');

  const status = await httpsCall(`${base}/status`, { ca, identity: auditor });
  assert.equal(status.status, 200);
  const afterStatus = readPackageTrace(trace);
  assert.ok(afterStatus.has('systeminformation'), 'the first status call loaded systeminformation (the trace sees packages loaded on first use)');
  assert.ok(!afterStatus.has('node-forge'), 'the status call described the certificates without node-forge (@qsen/pki/inspect reads DER itself)');
  kan.kill('SIGKILL');
});
