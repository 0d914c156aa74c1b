/**
 * The direct route table (src/http/direct.ts) against express's own routing: two servers with the
 * same route table, one declaring its routes `direct`, get the same requests over raw mutual TLS,
 * and every answer byte (status line, header names, order and values, body) is the same once the
 * Date and X-Request-Id values are masked; so are the access-log lines and the audited refusals.
 * Requests are a fixed list of the gate's cases plus random combinations (fast-check) of
 * identity, method, URL form, headers and body. The direct server really takes the direct path
 * for exact URLs (the handler sees Node's own request, not express's) and express's for the rest.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { connect } from 'node:tls';
import fc from 'fast-check';
import { makeTempDir } from '@qsen/testkit';
import type { Identity } from '@qsen/pki';
import {
  createApiApp, createMtlsServer, openTrustStore, defineRoute, getCaller, httpErrors, sendJson, ROLES,
  type MtlsServer, type RouteSpec,
} from '../src/index.js';
import { createMemoryLogger, issueClient, makeCluster, type ClusterMaterial } from './fixtures/http/cluster.js';

const tmp = makeTempDir('qsen-direct-');
let material: ClusterMaterial;
const clients: Record<string, Identity | undefined> = {};

/** One server of the pair, with what it logged, audited and how its handlers were reached. */
interface Side {
  server: MtlsServer;
  port: number;
  entries: Array<Record<string, unknown>>;
  refusals: string[];
  /** For each handler call: true when the request was Node's own (the direct path). */
  plain: boolean[];
}
const sides: Record<'express' | 'direct', Side> = {} as Record<'express' | 'direct', Side>;

async function startSide(direct: boolean): Promise<Side> {
  const { logger, entries } = createMemoryLogger();
  const refusals: string[] = [];
  const plain: boolean[] = [];
  const echo: RouteSpec['handler'] = (req, res) => {
    plain.push(Object.getPrototypeOf(req) === IncomingMessage.prototype);
    sendJson(res, { role: getCaller(req).role ?? null, body: req.body as unknown });
  };
  const app = createApiApp({
    logger,
    maxBodyBytes: 1024,
    onStateChangeRefused: (_req, action, code) => refusals.push(`${action} ${code}`),
    mount: (a) => {
      defineRoute(a, '/v1/order', { POST: { roles: ['platform'], handler: echo } }, { stateChange: 'sendOrder', direct });
      defineRoute(a, '/v1/list', { POST: { roles: ROLES, bodyFields: ['date'], handler: echo }, GET: { roles: ['operator'], handler: echo } }, { direct });
      defineRoute(a, '/v1/fail', {
        POST: { roles: ROLES, handler: async () => { await Promise.resolve(); throw httpErrors.create('INVALID_REQUEST', 'quantity must be positive', { field: 'quantity' }); } },
        GET: { roles: ROLES, handler: () => { throw new TypeError('secret internals'); } },
      }, { direct });
      defineRoute(a, '/v1/ping', { GET: { roles: 'internal', handler: echo } }, { direct });
    },
  });
  const server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app, logger });
  const port = await server.listen(0, '127.0.0.1');
  return { server, port, entries, refusals, plain };
}

before(async () => {
  material = makeCluster(tmp.path);
  for (const role of ROLES) clients[role] = issueClient(material, { commonName: `${role} client`, ou: role });
  clients['stranger'] = issueClient(material, { commonName: 'stranger', ou: 'trading' });
  clients['none'] = undefined;
  sides.express = await startSide(false);
  sides.direct = await startSide(true);
});

after(async () => {
  await sides.express?.server.close();
  await sides.direct?.server.close();
  tmp.remove();
});

/** One request, as raw HTTP/1.1 text plus a body. */
interface RawRequest {
  who: string;
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: Buffer;
}

/** Sends `request` on a fresh mutual-TLS connection (Connection: close) and resolves with every byte answered. */
function exchange(port: number, request: RawRequest): Promise<Buffer> {
  const identity = clients[request.who];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: material.ca.certPem, servername: 'localhost', ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}) }, () => {
      const head = [`${request.method} ${request.url} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...request.headers.map(([k, v]) => `${k}: ${v}`)];
      if (request.body !== undefined) head.push(`Content-Length: ${request.body.length}`);
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      if (request.body !== undefined) socket.write(request.body);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks)) : reject(err)));
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer within 15 s')));
  });
}

/** The answer with the values that differ by nature (the date, the request id) masked. */
function mask(answer: Buffer): string {
  return answer.toString('latin1')
    .replace(/^Date: .*$/gm, 'Date: <date>')
    .replace(/^X-Request-Id: .*$/gmi, 'X-Request-Id: <id>');
}

/** A log line without the fields that differ by nature (the stack of a 500 names the caller's frame: express's layer or the table). */
function accessLine(entry: Record<string, unknown>): string {
  const { requestId: _id, ms: _ms, timestamp: _t, stack: _stack, ...rest } = entry;
  return JSON.stringify(rest);
}

/** Sends `request` to both servers and asserts the same bytes, access line and audited refusals. */
async function sameOnBoth(request: RawRequest): Promise<string> {
  const before = { e: sides.express.entries.length, d: sides.direct.entries.length, re: sides.express.refusals.length, rd: sides.direct.refusals.length };
  const [viaExpress, viaDirect] = await Promise.all([exchange(sides.express.port, request), exchange(sides.direct.port, request)]);
  assert.equal(mask(viaDirect), mask(viaExpress), `${request.method} ${request.url} as ${request.who}`);
  // The access line is written when the answer's socket closes: wait until each side has one more (or none is due).
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && sides.express.entries.length - before.e !== sides.direct.entries.length - before.d) await new Promise((r) => setImmediate(r));
  assert.deepEqual(sides.direct.entries.slice(before.d).map(accessLine), sides.express.entries.slice(before.e).map(accessLine));
  assert.deepEqual(sides.direct.refusals.slice(before.rd), sides.express.refusals.slice(before.re));
  return mask(viaDirect);
}

const json = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('the direct table answers every byte as express does', () => {
  test('the gate: each identity on each route and method', async () => {
    for (const who of ['platform', 'operator', 'auditor', 'stranger', 'none']) {
      for (const [method, url] of [['POST', '/v1/order'], ['GET', '/v1/list'], ['POST', '/v1/list'], ['PUT', '/v1/order'], ['DELETE', '/v1/list'], ['HEAD', '/v1/list'], ['OPTIONS', '/v1/order'], ['GET', '/v1/ping'], ['POST', '/v1/ping']] as const) {
        await sameOnBoth({ who, method, url, headers: [['Content-Type', 'application/json']], ...(method === 'POST' ? { body: json('{"id": 12345678901234567890}') } : {}) });
      }
    }
  });

  test('bodies: limits, bad JSON, duplicates, encodings, unknown fields, errors of handlers', async () => {
    const bodies: Array<[string, Buffer | undefined, Array<[string, string]>]> = [
      ['/v1/order', json('{"a": 1, "a": 2}'), []],
      ['/v1/order', json('{"a": 1, "a": 1}'), []],
      ['/v1/order', json('[1, 2]'), []],
      ['/v1/order', json('{"a": '), []],
      ['/v1/order', Buffer.from([0x7b, 0xff, 0x7d]), []],
      ['/v1/order', json(`{"a": "${'x'.repeat(1030)}"}`), []],
      ['/v1/order', json(`{"a": "${'x'.repeat(1016)}"}`), []],
      ['/v1/order', json(`${'['.repeat(600)}${']'.repeat(600)}`), []],
      ['/v1/order', json(''), []],
      ['/v1/order', undefined, []],
      ['/v1/order', json('{"a": 1}'), [['Content-Encoding', 'gzip']]],
      ['/v1/order', json('{"a": 1}'), [['Content-Type', 'text/plain']]],
      ['/v1/order', json('{"a": 1}'), [['Sec-Fetch-Site', 'cross-site']]],
      ['/v1/order', json('{"a": 1}'), [['Origin', 'https://elsewhere.example']]],
      ['/v1/order', json('{"a": 1}'), [['Sec-Fetch-Site', 'same-origin']]],
      ['/v1/list', json('{"date": "2026-12-01", "extra": true}'), []],
      ['/v1/list', json('{"date": "2026-12-01"}'), []],
      ['/v1/fail', json('{}'), []],
    ];
    for (const [url, body, headers] of bodies) await sameOnBoth({ who: 'platform', method: 'POST', url, headers, ...(body === undefined ? {} : { body }) });
    await sameOnBoth({ who: 'operator', method: 'GET', url: '/v1/fail', headers: [] });
    await sameOnBoth({ who: 'operator', method: 'GET', url: '/v1/list', headers: [], body: json('x'.repeat(2000)) });
  });

  test('random requests (identity, method, URL form, headers, body) get the same answer from both', async () => {
    const urlForms = ['/v1/order', '/v1/list', '/v1/fail', '/v1/ping', '/V1/ORDER', '/v1/order/', '/v1/order?x=1', '/v1/%6Frder', '/v1/none', '//v1/order'];
    await fc.assert(fc.asyncProperty(
      fc.record({
        who: fc.constantFrom('platform', 'operator', 'auditor', 'stranger', 'none'),
        method: fc.constantFrom('GET', 'POST', 'HEAD', 'PATCH'),
        url: fc.constantFrom(...urlForms),
        headers: fc.subarray([['Content-Type', 'application/json'], ['Sec-Fetch-Site', 'cross-site'], ['Origin', 'https://127.0.0.1'], ['Content-Encoding', 'deflate']] as Array<[string, string]>),
        body: fc.option(fc.oneof(fc.json().map(json), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))), { nil: undefined }),
      }),
      async (request) => {
        await sameOnBoth({ ...request, ...(request.body === undefined ? {} : { body: request.body }) } as RawRequest);
      },
    ), { numRuns: 60 });
  });

  test('exact URLs take the direct path (Node\'s own request reaches the handler); other forms go through express', async () => {
    sides.direct.plain.length = 0;
    sides.express.plain.length = 0;
    await sameOnBoth({ who: 'platform', method: 'POST', url: '/v1/order', headers: [], body: json('{}') });
    await sameOnBoth({ who: 'platform', method: 'POST', url: '/v1/Order', headers: [], body: json('{}') });
    await sameOnBoth({ who: 'platform', method: 'POST', url: '/v1/order?a=b', headers: [], body: json('{}') });
    assert.deepEqual(sides.direct.plain, [true, false, false]);
    assert.deepEqual(sides.express.plain, [false, false, false]);
  });
});
