import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import winston from 'winston';
import { initClusterPki } from '@qsen/pki';
import { loadConfig, type AuditSink, type QsenConfig } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall, makeTempDir, requireTool, waitFor, type HttpsAnswer, ManualClock } from '@qsen/testkit';
import { createKanNode, type KanNode } from '../src/node.js';
import { kanErrors } from '../src/errors.js';
import { TestOwner } from './owner.js';

const tmp = makeTempDir('kan-app-');
const home = tmp.path;
const pingServer = new URL('../../test/fixtures/ping-server.mjs', import.meta.url).pathname;
let config: QsenConfig;
let node: KanNode;
let base = '';
let owner: TestOwner;
let ca = '';
const ids: Record<string, { cert: string; key: string }> = {};
const audited: Array<Parameters<AuditSink['record']>[0]> = [];
const audit: AuditSink = { record: (e) => { audited.push(e); } };
const logger = winston.createLogger({ silent: true });

before(async () => {
  initClusterPki(home);
  ca = readFileSync(join(home, 'pki/ca.crt'), 'utf8');
  for (const role of ['platform', 'operator', 'auditor']) {
    ids[role] = { cert: readFileSync(join(home, `pki/clients/${role}.crt`), 'utf8'), key: readFileSync(join(home, `pki/clients/${role}.key`), 'utf8') };
  }
  const deadExporter = await findFreePort();
  const qsenPort = await findFreePort();
  writeFileSync(join(home, 'conf.toml'), renderConfigToml({
    mode: 'local', qsenPort, kanPorts: [await findFreePort(), await findFreePort(), await findFreePort()],
    nodeExporterUrl: `http://127.0.0.1:${deadExporter}`, listen: '127.0.0.1',
  }));
  config = loadConfig(join(home, 'conf.toml'));
  mkdirSync(config.paths.logs, { recursive: true });
  mkdirSync(config.paths.run, { recursive: true });
  writeFileSync(join(home, 'secret.txt'), 'not a log\n');
  let text = '';
  for (let i = 1; i <= 500; i++) text += `{"n":${i},"msg":"line ${i}"}\n`;
  writeFileSync(join(config.paths.logs, 'qsen-2026-11-22.log'), text);
  writeFileSync(join(config.paths.logs, 'kan0-2026-11-22.log'), 'kan line 1\nkan line 2\n');
  symlinkSync(join(home, 'secret.txt'), join(config.paths.logs, 'evil.log'));
  owner = new TestOwner({
    qsen: { args: () => [pingServer, String(qsenPort), join(home, 'pki/server.crt'), join(home, 'pki/server.key'), '/qsen/v1/ping'] },
    kan1: { args: () => [pingServer, String(config.server.kan_ports[1]), join(home, 'pki/server.crt'), join(home, 'pki/server.key'), '/kan/v1/ping'] },
    // Stands in for this kan's own process in the self-restart test.
    kan0: { args: () => [pingServer, String(config.server.kan_ports[0]), join(home, 'pki/server.crt'), join(home, 'pki/server.key'), '/kan/v1/ping'] },
  });
  await owner.start('qsen');
  node = createKanNode({ index: 0, config, logger, audit, control: owner, watchdog: false });
  const port = await node.listen(0, '127.0.0.1');
  base = `https://localhost:${port}`;
});

after(async () => {
  await node?.close();
  await owner?.closeAll();
  tmp.remove();
});

function call(path: string, role?: string, method = 'GET', body?: string): Promise<HttpsAnswer> {
  return httpsCall(`${base}${path}`, { method, ca, ...(role ? { identity: ids[role] } : {}), ...(body !== undefined ? { body } : {}) });
}

function callRaw(path: string, role: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { ca, cert: ids[role]?.cert, key: ids[role]?.key, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const codeOf = (a: HttpsAnswer): string => (JSON.parse(a.body) as { error: { code: string } }).error.code;

test('ping: loopback without a certificate gets pid and uptime', async () => {
  const a = await call('/kan/v1/ping');
  assert.equal(a.status, 200);
  const body = JSON.parse(a.body) as { ok: boolean; pid: number; uptimeSeconds: number };
  assert.equal(body.ok, true);
  assert.equal(body.pid, process.pid);
  assert.equal(typeof body.uptimeSeconds, 'number');
  assert.equal((await call('/kan/v1/status')).status, 401);
});

test('version: version, commit and node', async () => {
  const a = await call('/kan/v1/version', 'auditor');
  assert.equal(a.status, 200);
  const v = JSON.parse(a.body) as { version: string; commit: string; node: string };
  assert.equal(v.version, '0.1.0');
  assert.match(v.commit, /^([0-9a-f]{40}|unknown)$/);
  assert.equal(v.node, process.version);
});

test('status: this kan, system figures, certificate days left, next scheduled action', async () => {
  const a = await call('/kan/v1/status', 'auditor');
  assert.equal(a.status, 200);
  const s = JSON.parse(a.body) as {
    node: { index: number; pid: number; controlMode: string }; system: { memory: { totalBytes: number }; disks: { logs: { sizeBytes: number } }; uptimeSeconds: number; load: { avg1: number } };
    certificates: { server: { daysLeft: number }; ca: { daysLeft: number } }; schedule: { window: { open: boolean }; nextScheduledAction: { action: string } };
  };
  assert.equal(s.node.index, 0);
  assert.equal(s.node.controlMode, 'local');
  assert.ok(s.system.memory.totalBytes > 0);
  assert.ok(s.system.disks.logs.sizeBytes > 0);
  assert.ok(s.system.uptimeSeconds > 0);
  assert.ok(s.certificates.server.daysLeft > 300);
  assert.equal(s.schedule.window.open, true);
  assert.equal(s.schedule.nextScheduledAction.action, 'stop qsen');
  assert.doesNotMatch(a.body, /PRIVATE KEY/);
});

test('logs: the list has regular files only', async () => {
  const a = await call('/kan/v1/logs', 'auditor');
  assert.equal(a.status, 200);
  const list = JSON.parse(a.body) as Array<{ name: string; size: number; modified: string }>;
  assert.deepEqual(list.map((e) => e.name), ['kan0-2026-11-22.log', 'qsen-2026-11-22.log']);
  assert.ok(list.every((e) => typeof e.size === 'number' && e.modified.endsWith('Z')));
});

test('logs: download one file, exact, with Content-Length', async () => {
  const r = await callRaw('/kan/v1/logs?file=qsen-2026-11-22.log', 'auditor');
  const expected = readFileSync(join(config.paths.logs, 'qsen-2026-11-22.log'));
  assert.equal(r.status, 200);
  assert.equal(Number(r.headers['content-length']), expected.length);
  assert.deepEqual(r.body, expected);
});

test('logs: all logs as one streamed .tar.gz', async () => {
  const r = await callRaw('/kan/v1/logs?file=all', 'operator');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/gzip');
  const tarball = gunzipSync(r.body);
  // ustar: names at offset 0 of each 512-byte header; find both files and the qsen content.
  assert.ok(tarball.includes(Buffer.from('qsen-2026-11-22.log')));
  assert.ok(tarball.includes(Buffer.from('kan0-2026-11-22.log')));
  assert.ok(tarball.includes(readFileSync(join(config.paths.logs, 'qsen-2026-11-22.log'))));
  assert.ok(!tarball.includes(Buffer.from('not a log')), 'the symlink target is not in the archive');
});

test('logs: tail by bytes and by lines, from a line boundary, exact', async () => {
  const content = readFileSync(join(config.paths.logs, 'qsen-2026-11-22.log'), 'utf8');
  const bytes = await call('/kan/v1/logs/tail?file=qsen-2026-11-22.log&bytes=100', 'auditor');
  assert.equal(bytes.status, 200);
  assert.ok(content.endsWith(bytes.body));
  assert.ok(bytes.body.length <= 100);
  assert.ok(bytes.body.startsWith('{"n":'));
  assert.ok(content.slice(0, content.length - bytes.body.length).endsWith('\n'));
  const lines = await call('/kan/v1/logs/tail?file=qsen-2026-11-22.log&lines=3', 'auditor');
  assert.equal(lines.body, '{"n":498,"msg":"line 498"}\n{"n":499,"msg":"line 499"}\n{"n":500,"msg":"line 500"}\n');
  const dflt = await call('/kan/v1/logs/tail?file=qsen-2026-11-22.log', 'auditor');
  assert.equal(dflt.body, content, 'default 65536 bytes covers this small file');
  assert.equal(codeOf(await call('/kan/v1/logs/tail?file=qsen-2026-11-22.log&bytes=-1', 'auditor')), 'INVALID_PARAMETER');
  assert.equal(codeOf(await call('/kan/v1/logs/tail?file=qsen-2026-11-22.log&bytes=5&lines=5', 'auditor')), 'INVALID_PARAMETER');
});

test('logs: traversal attempts over HTTP are refused', async () => {
  const attempts: Array<[string, number, string]> = [
    ['..%2fsecret.txt', 400, 'INVALID_LOG_NAME'],
    ['%2e%2e%2fsecret.txt', 400, 'INVALID_LOG_NAME'],
    ['..%252fsecret.txt', 400, 'INVALID_LOG_NAME'],
    ['%2fetc%2fpasswd', 400, 'INVALID_LOG_NAME'],
    ['..%5csecret.txt', 400, 'INVALID_LOG_NAME'],
    ['qsen-2026-11-22.log%00', 400, 'INVALID_LOG_NAME'],
    ['.rotation', 400, 'INVALID_LOG_NAME'],
    ['evil.log', 404, 'LOG_NOT_FOUND'],
    ['secret.txt', 404, 'LOG_NOT_FOUND'],
  ];
  for (const [name, status, code] of attempts) {
    for (const path of [`/kan/v1/logs?file=${name}`, `/kan/v1/logs/tail?file=${name}`]) {
      const a = await call(path, 'auditor');
      assert.equal(a.status, status, `${path}: ${a.body}`);
      assert.equal(codeOf(a), code);
      assert.doesNotMatch(a.body, /not a log/);
    }
  }
  assert.equal(codeOf(await call('/kan/v1/logs?file=a&file=b', 'auditor')), 'INVALID_PARAMETER');
  const t = await call('/kan/v1/logs/truncate?file=..%2fsecret.txt', 'operator', 'POST');
  assert.equal(t.status, 400);
});

test('logs: truncate needs platform or operator, answers before/after sizes, is audited with the subject', async () => {
  assert.equal((await call('/kan/v1/logs/truncate?file=qsen-2026-11-22.log&keep=100', 'auditor')).status, 403);
  const big = join(config.paths.logs, 'big-2026-11-22.log');
  let text = '';
  for (let i = 1; i <= 5_000; i++) text += `line ${i}\n`;
  writeFileSync(big, text);
  const a = await call('/kan/v1/logs/truncate?file=big-2026-11-22.log&keep=1000', 'operator', 'POST');
  assert.equal(a.status, 200, a.body);
  const body = JSON.parse(a.body) as { results: Array<{ file: string; method: string; sizeBefore: number; sizeAfter: number }> };
  assert.equal(body.results[0]?.method, 'collapse-range');
  assert.equal(body.results[0]?.sizeBefore, text.length);
  const after = readFileSync(big, 'utf8');
  assert.equal(body.results[0]?.sizeAfter, after.length);
  assert.ok(after.trimStart().length >= 1000 && text.endsWith(after.trimStart()));
  const entry = audited.find((e) => e.action === 'logs/truncate' && e.outcome === 'done');
  assert.match(entry?.subject ?? '', /OU=operator/);
  const get = await call('/kan/v1/logs/truncate?file=big-2026-11-22.log&keep=1000', 'platform');
  assert.equal(get.status, 200);
  assert.equal((await call('/kan/v1/logs/truncate?file=big-2026-11-22.log', 'platform', 'POST', '{"extra":1}')).status, 400);
});

test('restart_qsen: 202, one restart through the owner, audited; concurrent requests coalesce', async () => {
  assert.equal((await call('/kan/v1/restart_qsen', 'auditor')).status, 403);
  const before = owner.starts('qsen');
  const answers = await Promise.all([call('/kan/v1/restart_qsen', 'operator', 'POST'), call('/kan/v1/restart_qsen', 'platform'), call('/kan/v1/restart_qsen', 'operator', 'POST')]);
  assert.deepEqual(answers.map((a) => a.status), [202, 202, 202]);
  const bodies = answers.map((a) => JSON.parse(a.body) as { accepted: boolean; coalesced: boolean; target: string });
  assert.ok(bodies.every((b) => b.accepted && b.target === 'qsen'));
  await node.requests.settle();
  assert.equal(owner.starts('qsen'), before + 1, `calls ${owner.calls.join(', ')}`);
  assert.ok(audited.some((e) => e.action === 'restart_qsen' && /OU=platform/.test(e.subject)));
  assert.ok(audited.some((e) => e.action === 'restart_qsen' && e.outcome === 'done'));
});

test('restart_kan: node parameter checked; a peer is restarted through the owner', async () => {
  assert.equal(codeOf(await call('/kan/v1/restart_kan?node=3', 'operator', 'POST')), 'INVALID_NODE');
  assert.equal(codeOf(await call('/kan/v1/restart_kan?node=x', 'operator', 'POST')), 'INVALID_NODE');
  const a = await call('/kan/v1/restart_kan?node=1', 'operator', 'POST');
  assert.equal(a.status, 202);
  await node.requests.settle();
  assert.equal(owner.starts('kan1'), 1);
  assert.ok(owner.calls.includes('restart kan1'));
});

test('restart_kan without node restarts the answering kan, after its 202 is out', async () => {
  const before = owner.calls.length;
  const a = await call('/kan/v1/restart_kan', 'platform', 'POST');
  assert.equal(a.status, 202);
  assert.equal((JSON.parse(a.body) as { target: string }).target, 'kan0');
  await node.requests.settle();
  assert.deepEqual(owner.calls.slice(before), ['restart kan0']);
  assert.ok(audited.some((e) => e.action === 'restart_kan' && e.outcome === 'done' && e.details?.['target'] === 'kan0'));
});

test('restart_qsen outside the trading window: 409 OUTSIDE_TRADING_WINDOW', async () => {
  const closed: QsenConfig = { ...config, schedule: { ...config.schedule, days: ['mon'], start: '10:30', stop: '17:30' } };
  const clock = new ManualClock(Date.parse('2026-11-22T15:00:00Z')); // a Sunday
  const other = createKanNode({ index: 1, config: closed, logger, audit, control: owner, watchdog: false, clock });
  const port = await other.listen(0, '127.0.0.1');
  try {
    const before = owner.starts('qsen');
    const a = await httpsCall(`https://localhost:${port}/kan/v1/restart_qsen`, { method: 'POST', ca, identity: ids['operator'] });
    assert.equal(a.status, 409);
    assert.equal(codeOf(a), 'OUTSIDE_TRADING_WINDOW');
    assert.equal(owner.starts('qsen'), before);
  } finally {
    await other.close();
  }
});

test('metrics: process metrics and kan metrics on /metrics/process and the /metrics/golang alias', async () => {
  for (const path of ['/kan/v1/metrics/process', '/kan/v1/metrics/golang']) {
    const a = await call(path, 'auditor');
    assert.equal(a.status, 200);
    assert.match(a.body, /^process_resident_memory_bytes /m);
    assert.match(a.body, /kan_restarts_total\{target="qsen",reason="request"\} 1/);
    assert.match(a.body, /kan_probe_duration_seconds/);
  }
});

test('metrics/system: node_exporter down is 502 NODE_EXPORTER_UNAVAILABLE and the kan lives on', async () => {
  for (let i = 0; i < 3; i++) {
    const a = await call('/kan/v1/metrics/system', 'auditor');
    assert.equal(a.status, 502);
    assert.equal(codeOf(a), 'NODE_EXPORTER_UNAVAILABLE');
  }
  assert.equal((await call('/kan/v1/ping')).status, 200);
});

test('metrics/system: proxies the real prometheus-node-exporter', async (t) => {
  const tool = requireTool('prometheus-node-exporter');
  if (typeof tool !== 'string') return t.skip(tool.skip);
  const port = await findFreePort();
  const exporter: ChildProcess = spawn(tool, [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.loadavg', '--collector.meminfo'], { stdio: 'ignore' });
  const other = createKanNode({ index: 2, config: { ...config, node_exporter: { url: `http://127.0.0.1:${port}` } }, logger, audit, control: owner, watchdog: false });
  const kanPort = await other.listen(0, '127.0.0.1');
  try {
    const a = await waitFor(async () => {
      const r = await httpsCall(`https://localhost:${kanPort}/kan/v1/metrics/system`, { ca, identity: ids['auditor'] });
      return r.status === 200 ? r : undefined;
    }, { timeoutMs: 10_000, what: 'node_exporter through the proxy' });
    assert.match(a.body, /node_load1 /);
    assert.match(a.body, /node_memory_MemTotal_bytes/);
    assert.match(String(a.headers['content-type']), /text\/plain/);
  } finally {
    exporter.kill('SIGTERM');
    await other.close();
  }
});

test('cmd: top and ls answer plain text', async () => {
  const top = await call('/kan/v1/cmd/top', 'auditor');
  assert.equal(top.status, 200);
  assert.match(top.body, /PID/);
  assert.equal(top.headers['x-command'], 'top -b -n 1');
  const ls = await call('/kan/v1/cmd/ls', 'auditor');
  assert.equal(ls.status, 200);
  assert.match(ls.body, /conf\.toml/);
  assert.equal((await call('/kan/v1/cmd/top', 'auditor', 'POST')).status, 405);
});

test('errors: codes are unique, upper snake case, and documented in docs/kan.md', () => {
  const doc = readFileSync(new URL('../../../../docs/kan.md', import.meta.url), 'utf8');
  const codes = Object.keys(kanErrors.specs);
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) {
    assert.match(code, /^[A-Z][A-Z0-9_]+$/);
    assert.ok(doc.includes(`\`${code}\``), `${code} is documented`);
  }
});
