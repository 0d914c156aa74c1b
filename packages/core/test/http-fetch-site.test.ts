/**
 * Cross-site refusal (fetch-site.ts) of the routes declared state-changing, over a real
 * mutual-TLS server, with crafted browser headers, and the refused-before-handler hook with the
 * route's audit action; and the access log: one line per external request, none per internal
 * ping (counted under the route's declared path).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir, waitFor, httpsCall, type HttpsAnswer } from '@qsen/testkit';
import type { Identity } from '@qsen/pki';
import { createApiApp, createMtlsServer, crossSiteReason, defineRoute, openTrustStore, sendJson, ROLES, type MtlsServer } from '../src/index.js';
import { createMemoryLogger, issueClient, makeCluster, type ClusterMaterial } from './fixtures/http/cluster.js';

const tmp = makeTempDir('qsen-fetch-site-');
const { logger, entries } = createMemoryLogger();
let material: ClusterMaterial;
let server: MtlsServer;
let port = 0;
let operator: Identity;
const carriedOut: string[] = [];
const pings: string[] = [];
const refused: string[] = [];

before(async () => {
  material = makeCluster(tmp.path);
  operator = issueClient(material, { commonName: 'desk operator', ou: 'operator' });
  const change = (name: string) => (_req: unknown, res: Parameters<typeof sendJson>[0]) => {
    carriedOut.push(name);
    sendJson(res, { done: name }, 202);
  };
  const app = createApiApp({
    logger,
    onInternalRequest: (path) => pings.push(path),
    onStateChangeRefused: (_req, action, code) => refused.push(`${action} ${code}`),
    mount: (a) => {
      defineRoute(a, '/kan/v1/restart_qsen', { GET: { roles: ROLES, handler: change('restart') }, POST: { roles: ROLES, handler: change('restart') } }, { stateChange: 'restart_qsen' });
      defineRoute(a, '/kan/v1/logs/truncate', { GET: { roles: ROLES, handler: change('truncate') }, POST: { roles: ROLES, handler: change('truncate') } }, { stateChange: 'logs/truncate' });
      defineRoute(a, '/kan/v1/status', { GET: { roles: ROLES, handler: (_req, res) => sendJson(res, { ok: true }) } });
      defineRoute(a, '/kan/v1/ping', { GET: { roles: 'internal', handler: (_req, res) => sendJson(res, { ok: true }) } });
    },
  });
  server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app, logger });
  port = await server.listen(0, '127.0.0.1');
});

after(async () => {
  await server?.close();
  tmp.remove();
});

function call(path: string, opts: { method?: string; headers?: Record<string, string>; certificate?: boolean } = {}): Promise<HttpsAnswer> {
  return httpsCall(`https://localhost:${port}${path}`, {
    method: opts.method ?? 'GET',
    ca: material.ca.certPem,
    ...(opts.certificate === false ? {} : { identity: { cert: operator.certPem, key: operator.keyPem } }),
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
}
const codeOf = (a: HttpsAnswer): string => (JSON.parse(a.body) as { error: { code: string } }).error.code;

describe('cross-site refusal (pure)', () => {
  test('Sec-Fetch-Site cross-site and same-site, and a foreign Origin, are cross-site; same-origin, none and no headers are not', () => {
    assert.equal(crossSiteReason({ secFetchSite: 'cross-site' }), 'Sec-Fetch-Site: cross-site');
    assert.equal(crossSiteReason({ secFetchSite: 'Same-Site' }), 'Sec-Fetch-Site: same-site');
    assert.equal(crossSiteReason({ origin: 'http://127.0.0.1:9999', host: 'localhost:8444' }), 'Origin: http://127.0.0.1:9999');
    assert.equal(crossSiteReason({ origin: 'null', host: 'localhost:8444' }), 'Origin: null');
    assert.equal(crossSiteReason({ origin: 'https://localhost:8444', host: 'localhost:8444', secFetchSite: 'same-origin' }), undefined);
    assert.equal(crossSiteReason({ secFetchSite: 'none' }), undefined);
    assert.equal(crossSiteReason({}), undefined);
    assert.equal(crossSiteReason({ origin: 'https://localhost:8444' }), 'Origin: https://localhost:8444', 'no Host: nothing to compare with');
  });
});

describe('cross-site refusal over mutual TLS', () => {
  test('a state-changing request with browser metadata from another site is 403 CROSS_SITE_REQUEST and never reaches its handler', async () => {
    const before = carriedOut.length;
    const attempts: Array<{ method: string; path: string; headers: Record<string, string> }> = [
      { method: 'GET', path: '/kan/v1/restart_qsen', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors' } },
      { method: 'POST', path: '/kan/v1/restart_qsen', headers: { 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:1234' } },
      { method: 'GET', path: '/kan/v1/logs/truncate?file=qsen.log&keep=0', headers: { 'sec-fetch-site': 'same-site' } },
      { method: 'POST', path: '/KAN/v1/logs/truncate/', headers: { origin: 'http://evil.example' } },
      { method: 'POST', path: '/kan/v1/restart_qsen', headers: { origin: 'null' } },
    ];
    for (const attempt of attempts) {
      const a = await call(attempt.path, { method: attempt.method, headers: attempt.headers });
      assert.equal(a.status, 403, `${attempt.method} ${attempt.path}: ${a.body}`);
      assert.equal(codeOf(a), 'CROSS_SITE_REQUEST');
      const requestId = a.headers['x-request-id'];
      const line = await waitFor(() => entries.find((e) => e['message'] === 'request' && e['requestId'] === requestId));
      assert.equal(line['code'], 'CROSS_SITE_REQUEST');
      assert.match(String(line['refusal']), /^(Sec-Fetch-Site|Origin): /);
      assert.equal(entries.filter((e) => e['requestId'] === requestId).length, 1, 'one line for the refused request');
    }
    assert.equal(carriedOut.length, before);
    assert.deepEqual(refused.slice(-attempts.length), [
      'restart_qsen CROSS_SITE_REQUEST', 'restart_qsen CROSS_SITE_REQUEST', 'logs/truncate CROSS_SITE_REQUEST', 'logs/truncate CROSS_SITE_REQUEST', 'restart_qsen CROSS_SITE_REQUEST',
    ]);
  });

  test('a cross-site request is refused before the certificate gate; refusals before the handler reach the hook with the action, handled requests and reads do not', async () => {
    const crossNoCert = await call('/kan/v1/restart_qsen', { certificate: false, headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossNoCert.status, 403);
    assert.equal(codeOf(crossNoCert), 'CROSS_SITE_REQUEST');
    const refusedBefore = refused.length;
    assert.equal((await call('/kan/v1/restart_qsen', { certificate: false })).status, 401);
    assert.equal((await call('/kan/v1/logs/truncate', { method: 'PUT' })).status, 405);
    assert.equal((await call('/kan/v1/status', { certificate: false })).status, 401);
    assert.equal((await call('/kan/v1/restart_qsen')).status, 202);
    assert.deepEqual(refused.slice(refusedBefore), ['restart_qsen CERTIFICATE_REQUIRED', 'logs/truncate METHOD_NOT_ALLOWED']);
  });

  test('curl, qsenctl and scripts (no such headers) keep working, GET forms included; same-origin requests and reads pass', async () => {
    const before = carriedOut.length;
    assert.equal((await call('/kan/v1/restart_qsen')).status, 202);
    assert.equal((await call('/kan/v1/logs/truncate?file=qsen.log&keep=10', { method: 'POST' })).status, 202);
    assert.equal((await call('/kan/v1/restart_qsen', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', origin: `https://localhost:${port}` } })).status, 202);
    assert.equal((await call('/kan/v1/restart_qsen', { headers: { 'sec-fetch-site': 'none' } })).status, 202);
    assert.equal((await call('/kan/v1/status', { headers: { 'sec-fetch-site': 'cross-site' } })).status, 200, 'reads are not state changes');
    assert.deepEqual(carriedOut.slice(before), ['restart', 'truncate', 'restart', 'restart']);
  });
});

describe('access log volume', () => {
  test('internal pings from loopback write no access line and are counted; external requests write exactly one', async () => {
    const linesBefore = entries.length;
    const pingsBefore = pings.length;
    for (let i = 0; i < 19; i++) assert.equal((await call('/kan/v1/ping', { certificate: false })).status, 200);
    assert.equal((await call('/KAN/v1/Ping/', { certificate: false })).status, 200);
    // Counted when each answer is done (the response's close), so possibly just after the client has it.
    await waitFor(() => pings.length - pingsBefore >= 20);
    assert.equal(pings.length - pingsBefore, 20);
    assert.deepEqual(new Set(pings.slice(pingsBefore)), new Set(['/kan/v1/ping']), 'the label is the declared path, whatever the letter case asked');
    const status = await call('/kan/v1/status');
    const requestId = status.headers['x-request-id'];
    await waitFor(() => entries.some((e) => e['requestId'] === requestId));
    const written = entries.slice(linesBefore);
    assert.equal(written.filter((e) => String(e['path']).toLowerCase().startsWith('/kan/v1/ping')).length, 0, JSON.stringify(written));
    assert.equal(written.filter((e) => e['requestId'] === requestId).length, 1);
  });
});
