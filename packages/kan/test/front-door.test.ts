// The kan's front door (src/front-door.ts, docs/kan.md "Memory"): pings are answered before the
// app is built, and byte for byte as the built app answers them; the first other requests, in
// flight together (a random mix, fast-check), make one load and each get the answer a warm kan
// gives; a failed load is 503 KAN_UNAVAILABLE for every waiting request, then onLoadFailed (the
// node's exit: app-unavailable.test.ts runs it in a real kan); a close during the load releases
// the app once it is built and keeps no handler. Real kan nodes over mutual TLS (createKanNode) and, for the
// load failure and a client that goes away while the app loads (its access line is still written),
// the front door alone on the real mutual-TLS server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import winston from 'winston';
import { roleFiles } from '@qsen/pki';
import { type AuditSink, type QsenConfig } from '@qsen/core';
import { createApiParts, createMtlsServer, declareRoute, openTrustStore, sendJson } from '@qsen/core/http/server';
import { httpsCall, makeTempDir, waitFor, type HttpsAnswer, ManualClock } from '@qsen/testkit';
import { createKanNode, type KanNode } from '../src/node.js';
import { createFrontDoor, type LoadedApp } from '../src/front-door.js';
import { makeLocalHome } from './local-home.js';

const tmp = makeTempDir('kan-front-');
let config: QsenConfig;
let ca = '';
const ids: Record<string, { cert: string; key: string }> = {};
const nodes: KanNode[] = [];
const audit: AuditSink = { record: () => undefined };

/** A logger that keeps its lines. */
function memoryLogger(): { logger: winston.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] }), lines };
}

before(async () => {
  ({ config } = await makeLocalHome(tmp.path));
  ca = readFileSync(config.tls.ca, 'utf8');
  for (const role of ['platform', 'operator', 'auditor'] as const) {
    const files = roleFiles(role);
    ids[role] = { cert: readFileSync(join(tmp.path, files.cert), 'utf8'), key: readFileSync(join(tmp.path, files.key), 'utf8') };
  }
});
after(async () => {
  for (const node of nodes) await node.close();
  tmp.remove();
});

async function startNode(): Promise<{ node: KanNode; port: number; lines: Array<Record<string, unknown>> }> {
  const { logger, lines } = memoryLogger();
  const node = createKanNode({ index: 0, config, logger, audit, clock: new ManualClock(Date.UTC(2026, 10, 24, 15)), watchdog: false, watchTlsFiles: false });
  nodes.push(node);
  return { node, port: await node.listen(0, '127.0.0.1'), lines };
}

/** One raw HTTP/1.1 exchange over TLS (no client certificate), the answer's bytes with Date and X-Request-Id masked. */
function rawPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      socket.write('GET /kan/v1/ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1').replace(/^(Date|X-Request-Id): .*$/gim, '$1: *')));
    socket.on('error', reject);
  });
}

/** The first requests a kan may get after idle. */
const REQUESTS = [
  { path: '/kan/v1/status', role: 'auditor' },
  { path: '/kan/v1/version', role: 'operator' },
  { path: '/kan/v1/logs', role: 'auditor' },
  { path: '/kan/v1/metrics/process', role: 'auditor' },
  { path: '/kan/v1/restart_qsen', role: 'auditor', method: 'POST', body: '{}' },
  { path: '/kan/v1/logs/truncate', role: 'auditor', method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(40_000) }) },
  { path: '/kan/v1/no-such-route', role: 'platform' },
  { path: '/kan/v1/status' },
  { path: '/kan/v1/ping' },
  { path: '/kan/v1/ping?probe=1' },
] as const;
type Request = (typeof REQUESTS)[number];

function send(port: number, r: Request): Promise<HttpsAnswer> {
  return httpsCall(`https://localhost:${port}${r.path}`, {
    ca, method: 'method' in r ? r.method : 'GET', ...('role' in r ? { identity: ids[r.role] } : {}), ...('body' in r ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}),
  });
}

/** What must be equal between a cold and a warm kan's answer (volatile fields aside). */
function comparable(r: Request, a: HttpsAnswer): unknown {
  const body = a.headers['content-type']?.toString().startsWith('application/json') ? JSON.parse(a.body) as Record<string, unknown> : a.body;
  let shape: unknown = body;
  if (r.path === '/kan/v1/status' && a.status === 200) shape = Object.keys(body as object).sort();
  if (r.path === '/kan/v1/metrics/process') shape = (body as string).split('\n').filter((l) => l.startsWith('# TYPE')).sort();
  if (r.path === '/kan/v1/logs') shape = 'a list';
  if (r.path.startsWith('/kan/v1/ping')) shape = Object.keys(body as object).sort();
  return { status: a.status, type: a.headers['content-type'], headers: ['cache-control', 'strict-transport-security', 'x-content-type-options'].map((h) => a.headers[h]), shape };
}

test('pings are answered before the app exists, byte for byte as the built app answers them', async () => {
  const { node, port, lines } = await startNode();
  const cold = await rawPing(port);
  assert.match(cold, /^HTTP\/1\.1 200 OK\r\n/);
  assert.equal(await rawPing(port), cold);
  assert.equal(node.front.loaded(), false, 'pings alone do not build the app');
  assert.equal(lines.filter((l) => l['message'] === 'request').length, 0, 'internal pings write no access line');
  const first = await send(port, { path: '/kan/v1/version', role: 'operator' });
  assert.equal(first.status, 200);
  assert.equal(node.front.loaded(), true);
  assert.equal(await rawPing(port), cold, 'the same bytes once the app answers');
});

test('the first requests after idle, a random mix in flight together, make one load and each get a warm kan\'s answer', { timeout: 120_000 }, async () => {
  const warm = await startNode();
  await send(warm.port, REQUESTS[1]);
  const expected = new Map<Request, unknown>();
  for (const r of REQUESTS) expected.set(r, comparable(r, await send(warm.port, r)));
  await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...REQUESTS), { minLength: 1, maxLength: 8 }), async (batch) => {
    const { node, port, lines } = await startNode();
    const answers = await Promise.all(batch.map((r) => send(port, r)));
    batch.forEach((r, i) => assert.deepEqual(comparable(r, answers[i] as HttpsAnswer), expected.get(r), `${r.path} as a first request`));
    // Each external request wrote its access line (the ping route, whatever the URL form, answers loopback with none).
    const external = batch.filter((r) => !r.path.startsWith('/kan/v1/ping')).length;
    await waitFor(() => lines.filter((l) => l['message'] === 'request').length === external, { timeoutMs: 10_000, what: `${external} access lines` });
    assert.equal(node.front.loaded(), batch.some((r) => r.path !== '/kan/v1/ping'));
    await node.close();
  }), { numRuns: 12 });
});

test('a failed load answers every waiting request 503 KAN_UNAVAILABLE, then calls onLoadFailed once; a close during the load releases the app and keeps no handler', async () => {
  const { logger, lines } = memoryLogger();
  const trust = openTrustStore(config.tls, { logger });
  let loads = 0;
  let fail = true;
  let released = 0;
  let finishLoad: (() => void) | undefined;
  const failures: unknown[] = [];
  const answeredAtFailure: number[] = [];
  let answered = 0; // API answers the server finished writing
  const front = createFrontDoor({
    parts: createApiParts({ logger }),
    direct: [declareRoute('/kan/v1/ping', { GET: { roles: 'internal', handler: (_req, res) => sendJson(res, { ok: true }) } }, { direct: true })],
    loadApp: async () => {
      loads++;
      await new Promise<void>((resolve) => { finishLoad = resolve; });
      if (fail) throw Object.assign(new Error('a broken install'), { code: 'ERR_MODULE_NOT_FOUND' });
      return { handle: (_req, res) => sendJson(res, { app: true }), close: () => { released++; } } satisfies LoadedApp;
    },
    onLoadFailed: (err) => { failures.push(err); answeredAtFailure.push(answered); },
  });
  const server = createMtlsServer({
    trust, logger, watchFiles: false,
    app: (req, res) => { if (req.url !== '/kan/v1/ping') res.once('finish', () => { answered++; }); front.handle(req, res); },
  });
  const port = await server.listen(0, '127.0.0.1');
  try {
    const waiting = [0, 1, 2].map(() => send(port, { path: '/kan/v1/status', role: 'auditor' }));
    await waitFor(() => finishLoad !== undefined, { timeoutMs: 10_000, what: 'the load to start' });
    assert.equal((await send(port, { path: '/kan/v1/ping' })).status, 200, 'pings are answered while the app loads');
    finishLoad?.();
    const answers = await Promise.all(waiting);
    for (const a of answers) {
      assert.equal(a.status, 503);
      assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'KAN_UNAVAILABLE');
      assert.ok(!a.body.includes('broken install'), 'the cause stays in the log');
    }
    await waitFor(() => failures.length === 1, { timeoutMs: 10_000, what: 'onLoadFailed' });
    assert.equal((failures[0] as Error).message, 'a broken install', 'onLoadFailed gets the cause');
    assert.deepEqual(answeredAtFailure, [3], 'the waiting answers were written before onLoadFailed (the node exits there)');
    const later = await send(port, { path: '/kan/v1/version', role: 'operator' });
    assert.equal(later.status, 503, 'a request after the failure gets the same answer');
    assert.equal((JSON.parse(later.body) as { error: { code: string } }).error.code, 'KAN_UNAVAILABLE');
    assert.equal(loads, 1, 'one load');
    assert.equal(failures.length, 1, 'onLoadFailed once');
    assert.equal(front.loaded(), false);
    assert.equal(lines.filter((l) => l['message'] === 'request' && l['code'] === 'KAN_UNAVAILABLE').length, 4, 'an access line for each refused request');
  } finally {
    await server.close();
  }

  // A second front door: closed while its app loads.
  fail = false;
  let finishSecond: (() => void) | undefined;
  let secondLoads = 0;
  const second = createFrontDoor({ parts: createApiParts({ logger }), direct: [], loadApp: async () => {
    secondLoads++;
    await new Promise<void>((resolve) => { finishSecond = resolve; });
    return { handle: (_req, res) => sendJson(res, { app: true }), close: () => { released++; } };
  }, onLoadFailed: (err) => { failures.push(err); } });
  const server2 = createMtlsServer({ trust, app: second.handle, logger, watchFiles: false });
  const port2 = await server2.listen(0, '127.0.0.1');
  try {
    const pending = send(port2, { path: '/kan/v1/status', role: 'auditor' });
    await waitFor(() => finishSecond !== undefined, { timeoutMs: 10_000, what: 'the load to start' });
    second.close();
    finishSecond?.();
    const answer = await pending;
    assert.equal(answer.status, 200, 'the waiting request is still answered');
    assert.deepEqual(JSON.parse(answer.body), { app: true });
    assert.equal(released, 1, 'the app built after close() is released');
    assert.equal(second.loaded(), false, 'the released app is not kept as the handler');
    const after = await send(port2, { path: '/kan/v1/status', role: 'auditor' });
    assert.equal(after.status, 503, 'a request after close is refused, not handed to the released app');
    assert.equal((JSON.parse(after.body) as { error: { code: string } }).error.code, 'KAN_UNAVAILABLE');
    assert.equal(secondLoads, 1, 'no load after close');
    assert.equal(failures.length, 1, 'a close is no load failure');
  } finally {
    await server2.close();
  }
  trust.close();
});

test('a load that hangs past its deadline takes the failed-load path: 503 KAN_UNAVAILABLE, onLoadFailed once; an app built later is released', async () => {
  const { logger } = memoryLogger();
  const trust = openTrustStore(config.tls, { logger });
  let finishLoad: (() => void) | undefined;
  let released = 0;
  const failures: unknown[] = [];
  const front = createFrontDoor({
    parts: createApiParts({ logger }),
    direct: [],
    loadTimeoutMs: 300,
    loadApp: async () => {
      await new Promise<void>((resolve) => { finishLoad = resolve; });
      return { handle: (_req, res) => sendJson(res, { app: true }), close: () => { released++; } } satisfies LoadedApp;
    },
    onLoadFailed: (err) => { failures.push(err); },
  });
  const server = createMtlsServer({ trust, app: front.handle, logger, watchFiles: false });
  const port = await server.listen(0, '127.0.0.1');
  try {
    const answers = await Promise.all([0, 1].map(() => send(port, { path: '/kan/v1/status', role: 'auditor' })));
    for (const a of answers) {
      assert.equal(a.status, 503);
      assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'KAN_UNAVAILABLE');
    }
    await waitFor(() => failures.length === 1, { timeoutMs: 10_000, what: 'onLoadFailed' });
    assert.match((failures[0] as Error).message, /did not load within 0\.3 s/);
    finishLoad?.();
    await waitFor(() => released === 1, { timeoutMs: 10_000, what: 'the late app to be released' });
    assert.equal(front.loaded(), false, 'the late app is not kept as the handler');
    assert.equal(failures.length, 1, 'onLoadFailed once');
  } finally {
    await server.close();
    trust.close();
  }
});

test('a request whose client goes away while the app loads still writes its access line', async () => {
  const { createApiApp, defineRoute } = await import('@qsen/core/http');
  const { logger, lines } = memoryLogger();
  const trust = openTrustStore(config.tls, { logger });
  let release: (() => void) | undefined;
  const front = createFrontDoor({
    parts: createApiParts({ logger }),
    direct: [],
    loadApp: async () => {
      await new Promise<void>((resolve) => { release = resolve; });
      const app = createApiApp({ logger, mount: (a) => defineRoute(a, '/kan/v1/status', { GET: { roles: ['auditor'], handler: (_req, res) => sendJson(res, { ok: true }) } }) });
      return { handle: app, close: () => undefined };
    },
    onLoadFailed: () => assert.fail('the load does not fail'),
  });
  let closedResponses = 0;
  const server = createMtlsServer({ trust, app: (req, res) => { res.once('close', () => { closedResponses++; }); front.handle(req, res); }, logger, watchFiles: false });
  const port = await server.listen(0, '127.0.0.1');
  try {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', cert: ids['auditor']?.cert, key: ids['auditor']?.key }, () => {
      socket.write('GET /kan/v1/status HTTP/1.1\r\nHost: localhost\r\n\r\n');
    });
    socket.on('error', () => undefined);
    await waitFor(() => release !== undefined, { timeoutMs: 10_000, what: 'the load to start' });
    socket.destroy();
    await waitFor(() => closedResponses === 1, { timeoutMs: 10_000, what: 'the server to see the client go' });
    release?.();
    await waitFor(() => front.loaded(), { timeoutMs: 10_000, what: 'the app to load' });
    await waitFor(() => lines.some((l) => l['message'] === 'request' && l['path'] === '/kan/v1/status'), { timeoutMs: 5_000, what: 'the access line of the abandoned request' });
    const line = lines.find((l) => l['message'] === 'request' && l['path'] === '/kan/v1/status');
    assert.equal(line?.['role'], 'auditor', 'the caller established at arrival');
    assert.equal(line?.['aborted'], true);
  } finally {
    await server.close();
    trust.close();
  }
});

test('a state change whose client goes away while the app loads never runs on a body it did not send', async () => {
  const { createApiApp, defineRoute } = await import('@qsen/core/http');
  const { logger } = memoryLogger();
  const trust = openTrustStore(config.tls, { logger });
  let release: (() => void) | undefined;
  const bodies: unknown[] = [];
  const front = createFrontDoor({
    parts: createApiParts({ logger }),
    direct: [],
    loadApp: async () => {
      await new Promise<void>((resolve) => { release = resolve; });
      const app = createApiApp({ logger, mount: (a) => defineRoute(a, '/kan/v1/console/halt', { POST: { roles: ['operator'], bodyFields: ['reason'], handler: (req, res) => { bodies.push(req.body); sendJson(res, { ok: true }); } } }, { stateChange: 'halt' }) });
      return { handle: app, close: () => undefined };
    },
    onLoadFailed: () => assert.fail('the load does not fail'),
  });
  let closedResponses = 0;
  const server = createMtlsServer({ trust, app: (req, res) => { res.once('close', () => { closedResponses++; }); front.handle(req, res); }, logger, watchFiles: false });
  const port = await server.listen(0, '127.0.0.1');
  try {
    const body = JSON.stringify({ reason: 'drill' });
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', cert: ids['operator']?.cert, key: ids['operator']?.key }, () => {
      socket.write(`POST /kan/v1/console/halt HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
    socket.on('error', () => undefined);
    await waitFor(() => release !== undefined, { timeoutMs: 10_000, what: 'the load to start' });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the body reaches the server
    socket.destroy();
    await waitFor(() => closedResponses === 1, { timeoutMs: 10_000, what: 'the server to see the client go' });
    release?.();
    await waitFor(() => front.loaded(), { timeoutMs: 10_000, what: 'the app to load' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // what the app would do with it, done
    for (const b of bodies) assert.deepEqual(b, { reason: 'drill' }, 'the handler ran on a body the client did not send');
  } finally {
    await server.close();
    trust.close();
  }
});
