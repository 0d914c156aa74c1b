/**
 * The API application over a real mutual-TLS server: the role matrix of a sample route table,
 * the contract's error bodies (404, 405, 413, INVALID_JSON, 500 without internals), request
 * ids, HSTS and the access log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir, waitFor, httpsCall, type HttpsAnswer } from '@qsen/testkit';
import type { Identity } from '@qsen/pki';
import {
  createApiApp, createMtlsServer, openTrustStore, defineRoute, getCaller, httpErrors, sendJson, ROLES,
  type MtlsServer, type Role,
} from '../src/index.js';
import { createMemoryLogger, issueClient, makeCluster, type ClusterMaterial } from './fixtures/http/cluster.js';

const tmp = makeTempDir('qsen-app-');
const { logger, entries } = createMemoryLogger();
let material: ClusterMaterial;
let server: MtlsServer;
let port = 0;
const clients: Record<string, Identity> = {};

/** The sample route table: the contract's role groups. */
const table: Array<{ path: string; method: 'GET' | 'POST'; roles: readonly Role[] }> = [
  { path: '/qsen/v1/sendOrder', method: 'POST', roles: ['platform'] },
  { path: '/qsen/v1/getBilateralOrders', method: 'POST', roles: ['platform', 'operator', 'auditor'] },
  { path: '/kan/v1/restart_qsen', method: 'GET', roles: ['platform', 'operator'] },
  { path: '/kan/v1/restart_qsen', method: 'POST', roles: ['platform', 'operator'] },
  { path: '/qsen/v1/halt', method: 'POST', roles: ['operator'] },
  { path: '/qsen/v1/status', method: 'GET', roles: ROLES },
];

function echo(req: Parameters<typeof getCaller>[0] & { body?: unknown }, res: Parameters<typeof sendJson>[0]): void {
  sendJson(res, { role: getCaller(req).role ?? null, body: req.body });
}

before(async () => {
  material = makeCluster(tmp.path);
  for (const role of ROLES) clients[role] = issueClient(material, { commonName: `${role} client`, ou: role });
  clients['otherOu'] = issueClient(material, { commonName: 'stranger', ou: 'trading' });
  const app = createApiApp({
    logger,
    mount: (a) => {
      const byPath = new Map<string, Partial<Record<'GET' | 'POST', { roles: readonly Role[]; handler: typeof echo }>>>();
      for (const row of table) byPath.set(row.path, { ...byPath.get(row.path), [row.method]: { roles: row.roles, handler: echo } });
      for (const [path, methods] of byPath) defineRoute(a, path, methods);
      defineRoute(a, '/qsen/v1/ping', { GET: { roles: 'internal', handler: (_req, res) => sendJson(res, { ok: true }) } });
      defineRoute(a, '/qsen/v1/fields', { POST: { roles: ROLES, bodyFields: ['date'], handler: echo } });
      defineRoute(a, '/qsen/v1/boom', {
        GET: { roles: ROLES, handler: () => { throw new TypeError('database password is hunter2'); } },
        POST: { roles: ROLES, handler: async () => { await Promise.resolve(); throw httpErrors.create('INVALID_REQUEST', 'quantity must be positive', { field: 'quantity' }); } },
      });
    },
  });
  server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app, logger });
  port = await server.listen(0, '0.0.0.0');
});

after(async () => {
  await server?.close();
  tmp.remove();
});

function call(path: string, opts: { role?: string; method?: string; body?: string; headers?: Record<string, string>; host?: string } = {}): Promise<HttpsAnswer> {
  const identity = opts.role === undefined ? undefined : clients[opts.role];
  return httpsCall(`https://${opts.host ?? '127.0.0.1'}:${port}${path}`, {
    method: opts.method ?? 'GET',
    ca: material.ca.certPem,
    ...(identity ? { identity: { cert: identity.certPem, key: identity.keyPem } } : {}),
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
    tls: { servername: 'localhost' },
  });
}

function errorCode(answer: HttpsAnswer): string {
  return (JSON.parse(answer.body) as { error: { code: string } }).error.code;
}

describe('role matrix of a sample route table', () => {
  for (const row of table) {
    for (const role of ROLES) {
      const allowed = row.roles.includes(role);
      test(`${row.method} ${row.path} as ${role}: ${allowed ? '200' : '403 FORBIDDEN'}`, async () => {
        const answer = await call(row.path, { role, method: row.method, ...(row.method === 'POST' ? { body: '{}' } : {}) });
        if (allowed) {
          assert.equal(answer.status, 200, answer.body);
          assert.equal((JSON.parse(answer.body) as { role: string }).role, role);
        } else {
          assert.equal(answer.status, 403);
          assert.equal(errorCode(answer), 'FORBIDDEN');
          // The answer names the roles the route table allows for this method.
          const error = (JSON.parse(answer.body) as { error: { message: string; details: { role: string; allowedRoles: string[] } } }).error;
          assert.deepEqual(error.details, { role, allowedRoles: [...row.roles] });
          assert.equal(error.message, `the role '${role}' may not call this endpoint; it is for: ${row.roles.join(', ')}`);
        }
      });
    }
  }
});

describe('contract error bodies', () => {
  test('an unknown path is 404 NOT_FOUND with the contract body', async () => {
    const answer = await call('/qsen/v1/nothing', { role: 'operator' });
    assert.equal(answer.status, 404);
    const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NOT_FOUND');
    assert.equal(typeof body.error.message, 'string');
    assert.match(String(answer.headers['content-type']), /^application\/json/);
  });

  test('a wrong method on a known path is 405 METHOD_NOT_ALLOWED with an Allow header', async () => {
    const post = await call('/qsen/v1/status', { role: 'operator', method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.equal(errorCode(post), 'METHOD_NOT_ALLOWED');
    assert.equal(post.headers['allow'], 'GET, HEAD');
    const get = await call('/qsen/v1/sendOrder', { role: 'platform' });
    assert.equal(get.status, 405);
    assert.equal(get.headers['allow'], 'POST');
    const del = await call('/kan/v1/restart_qsen', { role: 'operator', method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers['allow'], 'GET, HEAD, POST');
  });

  test('HEAD on a GET route answers like GET without a body', async () => {
    const answer = await call('/qsen/v1/status', { role: 'auditor', method: 'HEAD' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, '');
  });

  test('a body over 64 KiB is 413 PAYLOAD_TOO_LARGE; exactly 64 KiB is accepted', async () => {
    const fit = `{"pad":"${'x'.repeat(65_536 - 10)}"}`;
    assert.equal(Buffer.byteLength(fit), 65_536);
    const ok = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: fit });
    assert.equal(ok.status, 200);
    const big = `{"pad":"${'x'.repeat(65_536 - 9)}"}`;
    const tooBig = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: big });
    assert.equal(tooBig.status, 413);
    assert.equal(errorCode(tooBig), 'PAYLOAD_TOO_LARGE');
  });

  for (const text of ['not json', '{"date": ', '[]', '"2024-01-01"', '123', 'null']) {
    test(`POST body ${JSON.stringify(text)} is 400 INVALID_JSON`, async () => {
      const answer = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: text });
      assert.equal(answer.status, 400);
      assert.equal(errorCode(answer), 'INVALID_JSON');
    });
  }

  test('a key given twice with different values is INVALID_JSON with its own message and details; the same value twice is read once; ids stay exact', async () => {
    const twice = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: '{"date":"2024-05-02","date":"2024-05-03"}' });
    assert.equal(twice.status, 400);
    const error = (JSON.parse(twice.body) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;
    assert.equal(error.code, 'INVALID_JSON');
    assert.equal(error.message, "the key 'date' appears twice in one object with different values");
    assert.deepEqual(error.details, { problem: 'duplicate_key', key: 'date', position: 22 });
    const nested = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: '{"a":{"id":9999000000000000001,"id":9999000000000000002}}' });
    assert.equal((JSON.parse(nested.body) as { error: { details: { key: string } } }).error.details.key, 'id');
    const same = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: '{"id":18446744073709551615,"id":18446744073709551615}' });
    assert.equal(same.status, 200, same.body);
    assert.match(same.body, /"id":18446744073709551615/);
    const garbled = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: '{"date": ' });
    assert.equal((JSON.parse(garbled.body) as { error: { details: { problem: string } } }).error.details.problem, 'syntax');
  });

  test('a body that is not UTF-8 is 400 INVALID_JSON', async () => {
    const answer = await httpsCall(`https://127.0.0.1:${port}/qsen/v1/getBilateralOrders`, {
      method: 'POST', ca: material.ca.certPem, identity: { cert: clients['auditor']?.certPem ?? '', key: clients['auditor']?.keyPem ?? '' },
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), tls: { servername: 'localhost' },
    });
    assert.equal(answer.status, 400);
    assert.equal(errorCode(answer), 'INVALID_JSON');
  });

  test('an empty POST body is {} and any content type is read as JSON', async () => {
    const empty = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST' });
    assert.equal(empty.status, 200);
    assert.deepEqual((JSON.parse(empty.body) as { body: unknown }).body, {});
    const form = await call('/qsen/v1/getBilateralOrders', { role: 'auditor', method: 'POST', body: '{"date":"2024-05-02"}', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 200);
    assert.deepEqual((JSON.parse(form.body) as { body: unknown }).body, { date: '2024-05-02' });
  });

  test('a route that declares its body fields refuses any other with 400 INVALID_REQUEST naming it', async () => {
    const ok = await call('/qsen/v1/fields', { role: 'auditor', method: 'POST', body: '{"date":"2024-05-02"}' });
    assert.equal(ok.status, 200);
    const extra = await call('/qsen/v1/fields', { role: 'auditor', method: 'POST', body: '{"date":"2024-05-02","surprise":1}' });
    assert.equal(extra.status, 400);
    assert.equal(errorCode(extra), 'INVALID_REQUEST');
    assert.equal((JSON.parse(extra.body) as { error: { details: { field: string } } }).error.details.field, 'surprise');
  });

  test('numbers in a POST body keep every digit', async () => {
    const answer = await call('/qsen/v1/sendOrder', { role: 'platform', method: 'POST', body: '{"id": 9999000000000000001, "price": 1234.500000}' });
    assert.equal(answer.status, 200);
    assert.match(answer.body, /"id":9999000000000000001/);
    assert.match(answer.body, /"price":1234\.500000/);
  });

  test('a GET body is read within the limit and ignored; beyond the limit it is 413', async () => {
    // Node's client does not frame a GET body by itself: announce its length.
    const ignored = await call('/qsen/v1/status', { role: 'auditor', body: 'this is not json', headers: { 'content-length': '16' } });
    assert.equal(ignored.status, 200);
    assert.deepEqual((JSON.parse(ignored.body) as { body: unknown }).body, {});
    const tooBig = await call('/qsen/v1/status', { role: 'auditor', body: 'x'.repeat(70_000), headers: { 'content-length': '70000' } });
    assert.equal(tooBig.status, 413);
  });

  test('a thrown ApiError from an async handler is answered with its code, status and details', async () => {
    const answer = await call('/qsen/v1/boom', { role: 'operator', method: 'POST', body: '{}' });
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), { error: { code: 'INVALID_REQUEST', message: 'quantity must be positive', details: { field: 'quantity' } } });
  });

  test('an unexpected error is 500 INTERNAL_ERROR without internals, logged with its stack', async () => {
    const answer = await call('/qsen/v1/boom', { role: 'operator' });
    assert.equal(answer.status, 500);
    assert.equal(errorCode(answer), 'INTERNAL_ERROR');
    assert.doesNotMatch(answer.body, /hunter2|TypeError|at /);
    const requestId = answer.headers['x-request-id'];
    const logged = await waitFor(() => entries.find((e) => e['message'] === 'request failed' && e['requestId'] === requestId));
    assert.match(String(logged['stack']), /TypeError: database password/);
  });
});

describe('request id, headers and access log', () => {
  test('every answer carries a fresh x-request-id and HSTS, errors included', async () => {
    const answers = [await call('/qsen/v1/status', { role: 'auditor' }), await call('/qsen/v1/nothing', { role: 'auditor' }), await call('/qsen/v1/status')];
    assert.deepEqual(answers.map((a) => a.status), [200, 404, 401]);
    const ids = answers.map((a) => a.headers['x-request-id']);
    for (const id of ids) assert.match(String(id), /^[0-9a-f-]{36}$/);
    assert.equal(new Set(ids).size, 3);
    for (const a of answers) assert.equal(a.headers['strict-transport-security'], 'max-age=31536000');
  });

  test('one access-log line per request with method, path, status, ms, role, subject and request id', async () => {
    const answer = await call('/qsen/v1/status', { role: 'operator' });
    const requestId = answer.headers['x-request-id'];
    const line = await waitFor(() => entries.find((e) => e['message'] === 'request' && e['requestId'] === requestId));
    assert.equal(line['method'], 'GET');
    assert.equal(line['path'], '/qsen/v1/status');
    assert.equal(line['status'], 200);
    assert.equal(typeof line['ms'], 'number');
    assert.equal(line['role'], 'operator');
    assert.match(String(line['subject']), /CN=operator client/);
    assert.equal(entries.filter((e) => e['message'] === 'request' && e['requestId'] === requestId).length, 1);
  });
});

describe('internal paths', () => {
  test('from loopback without a certificate, also with other letter case or a trailing slash', async () => {
    for (const path of ['/qsen/v1/ping', '/QSEN/v1/Ping', '/qsen/v1/ping/']) {
      const answer = await call(path);
      assert.equal(answer.status, 200, path);
    }
  });

  test('any other path from loopback without a certificate is 401 CERTIFICATE_REQUIRED, unknown paths included', async () => {
    for (const path of ['/qsen/v1/status', '/qsen/v1/nothing', '/qsen/v1/ping/x']) {
      const answer = await call(path);
      assert.equal(answer.status, 401, path);
      assert.equal(errorCode(answer), 'CERTIFICATE_REQUIRED');
    }
  });
});

// The non-loopback peer is exercised for real by test/security (a network namespace with a veth
// pair made by the test): this workplace allows test traffic only to loopback and such namespaces.
