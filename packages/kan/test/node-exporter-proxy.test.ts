// /kan/v1/metrics/system against a real tiny stand-in HTTP server that is stopped, stalled
// (accepts, never answers) and started again, and against the real prometheus-node-exporter
// when it is installed (under CI=true it must be): 502 NODE_EXPORTER_UNAVAILABLE within the
// proxy timeout, recovery on the first request once it is back, 503 NODE_EXPORTER_BUSY beyond
// the in-flight bound.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { initClusterPki } from '@qsen/pki';
import { loadConfig } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall, makeTempDir, requireTool, waitFor, type HttpsAnswer } from '@qsen/testkit';
import { createKanNode, type KanNode } from '../src/node.js';
import { NODE_EXPORTER_MAX_IN_FLIGHT } from '../src/routes/metrics.js';
import { TestOwner } from './owner.js';

const TIMEOUT_MS = 800;
const tmp = makeTempDir('kan-node-exporter-');
const owner = new TestOwner({});
let exporterPort = 0;
let node: KanNode;
let base = '';
let ca = '';
let auditor = { cert: '', key: '' };

before(async () => {
  initClusterPki(tmp.path);
  ca = readFileSync(join(tmp.path, 'pki/ca.crt'), 'utf8');
  auditor = { cert: readFileSync(join(tmp.path, 'pki/clients/auditor.crt'), 'utf8'), key: readFileSync(join(tmp.path, 'pki/clients/auditor.key'), 'utf8') };
  exporterPort = await findFreePort();
  writeFileSync(join(tmp.path, 'conf.toml'), renderConfigToml({
    mode: 'local', qsenPort: await findFreePort(), kanPorts: [await findFreePort(), await findFreePort(), await findFreePort()], listen: '127.0.0.1',
    nodeExporterUrl: `http://127.0.0.1:${exporterPort}`,
  }));
  const config = loadConfig(join(tmp.path, 'conf.toml'));
  node = createKanNode({ index: 0, config, logger: winston.createLogger({ silent: true }), audit: { record: () => undefined }, control: owner, watchdog: false, nodeExporterTimeoutMs: TIMEOUT_MS });
  base = `https://localhost:${await node.listen(0, '127.0.0.1')}`;
});

after(async () => {
  await node?.close();
  await owner.closeAll();
  tmp.remove();
});

const scrape = (): Promise<HttpsAnswer> => httpsCall(`${base}/kan/v1/metrics/system`, { ca, identity: auditor, timeoutMs: 30_000 });
const codeOf = (a: HttpsAnswer): string | undefined => (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;

/** A stand-in node_exporter: answers /metrics, or (stalled) accepts and never answers. */
async function standIn(mode: 'answer' | 'stall'): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (mode === 'stall') return;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end('# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.5\n');
  });
  server.on('connection', (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(exporterPort, '127.0.0.1', resolve));
  return {
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

test('node_exporter down: 502 NODE_EXPORTER_UNAVAILABLE at once, never an empty reply', async () => {
  const started = Date.now();
  const a = await scrape();
  assert.equal(a.status, 502, a.body);
  assert.equal(codeOf(a), 'NODE_EXPORTER_UNAVAILABLE');
  assert.ok(Date.now() - started < TIMEOUT_MS + 2_000, `answered after ${Date.now() - started} ms`);
});

test('node_exporter stalled: 502 within the proxy timeout; extra concurrent scrapes 503 NODE_EXPORTER_BUSY; back on the first scrape after it answers again', async () => {
  const stalled = await standIn('stall');
  try {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: NODE_EXPORTER_MAX_IN_FLIGHT + 6 }, () => scrape()));
    const took = Date.now() - started;
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 502).length, NODE_EXPORTER_MAX_IN_FLIGHT, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 503).length, 6, statuses.join(','));
    assert.ok(answers.filter((a) => a.status === 503).every((a) => codeOf(a) === 'NODE_EXPORTER_BUSY'));
    assert.ok(answers.filter((a) => a.status === 502).every((a) => codeOf(a) === 'NODE_EXPORTER_UNAVAILABLE'));
    assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + 5_000, `the stalled scrapes ended after ${took} ms (timeout ${TIMEOUT_MS} ms)`);
  } finally {
    await stalled.close();
  }
  const back = await standIn('answer');
  try {
    const a = await scrape();
    assert.equal(a.status, 200, a.body);
    assert.match(a.body, /^node_load1 0\.5$/m);
  } finally {
    await back.close();
  }
  const down = await scrape();
  assert.equal(down.status, 502, 'stopped again: 502 again');
  const again = await standIn('answer');
  try {
    assert.equal((await scrape()).status, 200, 'and the first scrape after a restart answers');
  } finally {
    await again.close();
  }
});

test('the real prometheus-node-exporter: proxied, then 502 once stopped, then back on the first scrape', async (t) => {
  const tool = requireTool('prometheus-node-exporter');
  if (typeof tool !== 'string') return t.skip(tool.skip);
  const args = [`--web.listen-address=127.0.0.1:${exporterPort}`, '--collector.disable-defaults', '--collector.loadavg', '--collector.meminfo'];
  const run = () => {
    const child = spawn(tool, args, { stdio: 'ignore' });
    return { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  };
  let exporter = run();
  try {
    const first = await waitFor(async () => { const a = await scrape(); return a.status === 200 ? a : null; }, { timeoutMs: 20_000, what: 'node_exporter answering' });
    assert.match(first.body, /^node_load1 /m);
    exporter.child.kill('SIGTERM');
    await exporter.exited;
    const down = await scrape();
    assert.equal(down.status, 502);
    assert.equal(codeOf(down), 'NODE_EXPORTER_UNAVAILABLE');
    exporter = run();
    await waitFor(async () => (await scrape()).status === 200, { timeoutMs: 20_000, what: 'node_exporter back' });
    // SIGSTOP: a stalled exporter, as the issue saw it.
    process.kill(exporter.child.pid ?? 0, 'SIGSTOP');
    const started = Date.now();
    const stalled = await scrape();
    assert.equal(stalled.status, 502);
    assert.ok(Date.now() - started < TIMEOUT_MS + 5_000);
    process.kill(exporter.child.pid ?? 0, 'SIGCONT');
    assert.equal((await scrape()).status, 200, 'the first scrape after it resumes answers');
  } finally {
    exporter.child.kill('SIGKILL');
    await exporter.exited;
  }
});
