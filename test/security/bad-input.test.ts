/**
 * Bad input against the whole system started as `npm start` starts it: a fuzzer over every JSON
 * endpoint (no 5xx, no crash, no hang, the contract's stable codes), exact ids at and around the
 * range edges, the log-name traversal corpus with planted symlinks, and a scan of every answer
 * and log line for key material and the passphrase.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { HttpsAnswer } from '@qsen/testkit';
import {
  ENDPOINTS, NODE_NAMES, collectSecrets, errorCodeOf, orderBody, scanFolder, scanText, startSystem, type LocalSystem, type NodeName, type RoleName,
} from '../support/index.js';

let system: LocalSystem;
const pidsAtStart = new Map<NodeName, number | null>();
const figures = { requests: 0, cases: 0 };

before(async () => {
  system = await startSystem({ prefix: 'qsen-badinput-' });
  for (const node of NODE_NAMES) pidsAtStart.set(node, (await system.status(node)).pid);
});

after(async () => {
  await system?.stop();
});

const MIN = 9999000000000000000n;
const MAX = 9999999999999999999n;
const ORDER = { instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.50', currency: 'ARS', settlement: 'T1', counterparty: '210' };

/** Builds an order body with the id written raw (so that numbers keep every digit). */
function orderWithRawId(rawId: string, fields: Record<string, unknown> = ORDER): string {
  return `{"id": ${rawId}, ${JSON.stringify(fields).slice(1)}`;
}

async function post(node: NodeName, path: string, body: string | Buffer, role: RoleName = 'platform'): Promise<HttpsAnswer> {
  figures.requests += 1;
  return system.call(node, path, { method: 'POST', identity: role, body, timeoutMs: 15_000 });
}

/** Sends one body twice and checks: no 5xx, the contract's error body, and the same status and code both times. */
async function expectStable(node: NodeName, path: string, body: string | Buffer, role: RoleName, label: string): Promise<HttpsAnswer> {
  figures.cases += 1;
  const first = await post(node, path, body, role);
  const second = await post(node, path, body, role);
  assert.ok(first.status < 500, `${label}: ${first.status} ${first.body.slice(0, 300)}`);
  assert.equal(second.status, first.status, `${label}: stable status`);
  assert.equal(errorCodeOf(second), errorCodeOf(first), `${label}: stable code`);
  if (first.status >= 400) {
    assert.match(errorCodeOf(first) ?? '', /^[A-Z][A-Z0-9_]*$/, `${label}: the contract's error body (${first.body.slice(0, 200)})`);
  }
  return first;
}

/** The generic corpus every JSON endpoint gets. */
function genericCorpus(): Array<{ name: string; body: string | Buffer; expect?: { status: number; code: string } }> {
  const invalid = { status: 400, code: 'INVALID_JSON' };
  const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return [
    { name: 'malformed: lone brace', body: '{', expect: invalid },
    { name: 'malformed: missing value', body: '{"id":}', expect: invalid },
    { name: 'malformed: single quotes', body: "{'id': 1}", expect: invalid },
    { name: 'malformed: trailing comma', body: '{"date": "2026-01-02",}', expect: invalid },
    { name: 'malformed: two objects', body: '{}{}', expect: invalid },
    { name: 'malformed: not JSON at all', body: 'id=1&side=buy', expect: invalid },
    { name: 'malformed: NaN', body: '{"x": NaN}', expect: invalid },
    { name: 'not an object: array', body: '[]', expect: invalid },
    { name: 'not an object: string', body: '"text"', expect: invalid },
    { name: 'not an object: number', body: '9999000000000000001', expect: invalid },
    { name: 'not an object: null', body: 'null', expect: invalid },
    { name: 'truncated order', body: orderBody('9999000000000000001').slice(0, 40), expect: invalid },
    { name: 'invalid UTF-8', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), expect: invalid },
    { name: 'huge: 65 KiB string', body: JSON.stringify({ note: 'x'.repeat(66 * 1024) }), expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
    { name: 'huge: 1 MiB', body: `{"a": "${'y'.repeat(1 << 20)}"}`, expect: { status: 413, code: 'PAYLOAD_TOO_LARGE' } },
    { name: 'deeply nested object (5000 levels)', body: nested(5000) },
    { name: 'deeply nested arrays (20000 levels)', body: `{"a": ${'['.repeat(20000)}${']'.repeat(20000)}}` },
    { name: 'unknown field', body: '{"surprise": true}' },
    { name: 'prototype pollution keys', body: '{"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}}' },
  ];
}

/** The JSON endpoints and the role that may call each. */
const JSON_ENDPOINTS = ENDPOINTS.filter((e) => e.json === true && e.path !== '/qsen/v1/halt' && e.path !== '/qsen/v1/resume')
  .map((e) => ({ path: e.path, role: e.roles[0] ?? 'platform' }));

describe('fuzzer over every JSON endpoint', () => {
  for (const endpoint of [...JSON_ENDPOINTS, { path: '/qsen/v1/halt', role: 'operator' as const }, { path: '/qsen/v1/resume', role: 'operator' as const }]) {
    test(`${endpoint.path}: malformed, truncated, huge, nested, non-object and unknown-field bodies`, { timeout: 120_000 }, async () => {
      for (const c of genericCorpus()) {
        const answer = await expectStable('qsen', endpoint.path, c.body, endpoint.role, `${endpoint.path} ${c.name}`);
        if (c.expect) {
          assert.equal(answer.status, c.expect.status, `${endpoint.path} ${c.name}`);
          assert.equal(errorCodeOf(answer), c.expect.code, `${endpoint.path} ${c.name}`);
        } else if (c.name.startsWith('unknown') || c.name.startsWith('deeply') || c.name.startsWith('prototype')) {
          // Every endpoint has a closed set of fields (none for the bodyless ones) and refuses others.
          assert.equal(answer.status, 400, `${endpoint.path} ${c.name}: ${answer.body.slice(0, 200)}`);
          assert.ok(['INVALID_REQUEST', 'INVALID_JSON'].includes(errorCodeOf(answer) ?? ''), `${endpoint.path} ${c.name}: ${answer.body.slice(0, 200)}`);
        }
      }
      const resume = await post('qsen', '/qsen/v1/resume', '{}', 'operator');
      assert.equal(resume.status, 200);
    });
  }

  test('getBilateralOrders / getBilateralOperations: bad dates and wrong types get 400 INVALID_REQUEST', async () => {
    const dates = ['"2026-13-01"', '"2026-02-30"', '"26-01-02"', '"2026-1-2"', '20260102', 'null', 'true', '[]', '{}', '""', '"../../etc"', `"${'9'.repeat(5000)}"`, '"２０２６-０１-０２"'];
    for (const path of ['/qsen/v1/getBilateralOrders', '/qsen/v1/getBilateralOperations']) {
      for (const date of dates) {
        const answer = await expectStable('qsen', path, `{"date": ${date}}`, 'auditor', `${path} date ${date.slice(0, 30)}`);
        assert.equal(answer.status, 400, `${path} date ${date.slice(0, 30)}`);
        assert.equal(errorCodeOf(answer), 'INVALID_REQUEST');
      }
      const ok = await expectStable('qsen', path, '{"date": "2026-01-02"}', 'auditor', `${path} a valid date`);
      assert.equal(ok.status, 200);
    }
  });

  test('sendOrder: wrong types and values of every field get 400 INVALID_REQUEST naming the field', { timeout: 120_000 }, async () => {
    const wrong: Array<[string, unknown[]]> = [
      ['instrument', [1, null, true, [], {}, '', 'al30', 'AL30AL30AL30X', 'AL 30', 'ÀL30']],
      ['side', [0, null, 'BUY', 'hold', [], {}]],
      ['quantity', [0, -1, '0', '-5', '1.5', 1.5, '1e3', null, true, [], '', ' 1', '٣']],
      ['price', [0, -1, '0', 'abc', '1.1234567', null, [], {}, '1e3', '', '１']],
      ['currency', ['ars', 'EUR', 1, null, []]],
      ['settlement', ['T2', 't1', 0, null]],
      ['counterparty', ['1234567', '', 'abc', -1, null, [], '２１０']],
    ];
    let n = 0;
    for (const [field, values] of wrong) {
      for (const value of values) {
        n += 1;
        const body = JSON.stringify({ id: `${MIN + 500n + BigInt(n)}`, ...ORDER, [field]: value });
        const answer = await expectStable('qsen', '/qsen/v1/sendOrder', body, 'platform', `sendOrder ${field}=${JSON.stringify(value)}`);
        assert.equal(answer.status, 400, `sendOrder ${field}=${JSON.stringify(value)}: ${answer.body.slice(0, 200)}`);
        assert.equal(errorCodeOf(answer), 'INVALID_REQUEST');
        const details = (JSON.parse(answer.body) as { error: { details?: { field?: string } } }).error.details;
        assert.equal(details?.field, field, `details.field for ${field}=${JSON.stringify(value)}`);
      }
    }
    for (const missing of Object.keys(ORDER)) {
      const rest: Record<string, unknown> = { id: `${MIN + 900n}`, ...ORDER };
      delete rest[missing];
      const answer = await expectStable('qsen', '/qsen/v1/sendOrder', JSON.stringify(rest), 'platform', `sendOrder without ${missing}`);
      assert.equal(answer.status, 400);
    }
    const extra = await expectStable('qsen', '/qsen/v1/sendOrder', JSON.stringify({ id: `${MIN + 901n}`, ...ORDER, account: 'x' }), 'platform', 'sendOrder with an unknown field');
    assert.equal(extra.status, 400);
    assert.equal(errorCodeOf(extra), 'INVALID_REQUEST');
  });

  test('sendOrder ids at and around the range edges, as strings and as numbers', { timeout: 180_000 }, async () => {
    const inRange = [MIN, MIN + 1n, MAX - 1n, MAX, 9999123456789012345n];
    const outOfRange = [0n, 1n, MIN - 1n, MAX + 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n];
    const notUint64 = ['18446744073709551616', '99999999999999999999', '100000000000000000000', '999900000000000000000', '-1', '-9999000000000000001'];
    let accepted = 0;
    for (const id of inRange) {
      // The same order with its id as a string and then as a number: identical content, so the
      // second answer is the first result again (200), with the id as the exact decimal string.
      for (const raw of [`"${id}"`, `${id}`]) {
        const answer = await expectStable('qsen', '/qsen/v1/sendOrder', orderWithRawId(raw), 'platform', `in-range id ${raw}`);
        assert.equal(answer.status, 200, `in-range id ${raw}: ${answer.body.slice(0, 300)}`);
        const order = (JSON.parse(answer.body) as { order: { id: unknown; status: string } }).order;
        assert.equal(order.id, `${id}`, 'the id comes back as the exact decimal string');
      }
      accepted += 1;
    }
    for (const id of outOfRange) {
      for (const raw of [`"${id}"`, `${id}`]) {
        const answer = await expectStable('qsen', '/qsen/v1/sendOrder', orderWithRawId(raw), 'platform', `out-of-range id ${raw}`);
        assert.equal(answer.status, 403, `out-of-range id ${raw}: ${answer.body.slice(0, 200)}`);
        assert.equal(errorCodeOf(answer), 'ID_OUT_OF_RANGE');
      }
    }
    for (const digits of notUint64) {
      for (const raw of [`"${digits}"`, digits]) {
        const answer = await expectStable('qsen', '/qsen/v1/sendOrder', orderWithRawId(raw), 'platform', `not a uint64 ${raw}`);
        assert.equal(answer.status, 400, `not a uint64 ${raw}: ${answer.body.slice(0, 200)}`);
        assert.equal(errorCodeOf(answer), 'INVALID_REQUEST');
      }
    }
    const oddForms = [
      '9.999e18', '"9.999e18"', '9999000000000000001e0', '"9999000000000000001e0"', '9999000000000000001.0', '"9999000000000000001.0"',
      '9999000000000000001.5', '"9999000000000000001.5"', '-0', '"-0"', '"+9999000000000000001"', '"09999000000000000001"', '09999000000000000001',
      '"0x8ac6f4f6b1f2c001"', '" 9999000000000000001"', '"9999000000000000001 "', '""', 'null', 'true', '[]', '{}',
      '"٩٩٩٩٠٠٠٠٠٠٠٠٠٠٠٠٠٠١"', '"９９９９０００００００００００００００１"', '"9999000000000000001\\u0000"', '"１"',
    ];
    for (const raw of oddForms) {
      const answer = await expectStable('qsen', '/qsen/v1/sendOrder', orderWithRawId(raw), 'platform', `odd id form ${raw}`);
      assert.ok(answer.status === 400 || answer.status === 403, `odd id form ${raw}: ${answer.status} ${answer.body.slice(0, 200)}`);
    }
    // Nothing outside the range, and nothing malformed, reached SENEBI: qsen counts only the accepted ones.
    const status = JSON.parse((await system.call('qsen', '/qsen/v1/status', { identity: 'auditor' })).body) as { orders: { accepted: number } };
    assert.ok(status.orders.accepted >= accepted, `accepted ${status.orders.accepted}`);
    const listing = JSON.parse((await post('qsen', '/qsen/v1/getBilateralOrders', '{}', 'auditor')).body) as { orders: Array<{ id: unknown }> };
    for (const order of listing.orders) {
      assert.equal(typeof order.id, 'string');
      const id = BigInt(String(order.id));
      assert.ok(id >= MIN && id <= MAX, `listed id ${String(order.id)} is inside the range`);
    }
  });
});

describe('log-name traversal corpus', () => {
  test('every name outside the log folder gets 400 INVALID_LOG_NAME or 404 LOG_NOT_FOUND and no foreign content', { timeout: 120_000 }, async () => {
    const logs = join(system.home, 'logs');
    symlinkSync(join(system.home, 'conf.toml'), join(logs, 'planted-conf.log'));
    symlinkSync('/etc/passwd', join(logs, 'planted-passwd.log'));
    symlinkSync('../conf.toml', join(logs, 'planted-relative.log'));
    symlinkSync(system.home, join(logs, 'planted-dir'));
    const names = [
      '..', '.', '../conf.toml', '../../etc/passwd', '/etc/passwd', `${system.home}/conf.toml`, 'logs/../../conf.toml',
      '%2e%2e%2fconf.toml', '..%2fconf.toml', '%2e%2e/conf.toml', '%252e%252e%252fconf.toml', '..%252fconf.toml', '%2fetc%2fpasswd',
      'kan0.log%00', '..%00', 'audit.log%00../../etc/passwd', '..\\conf.toml', '..%5cconf.toml', '....//conf.toml', '.rotation',
      'planted-conf.log', 'planted-passwd.log', 'planted-relative.log', 'planted-dir', 'planted-dir%2fconf.toml', 'no-such.log', '',
      '%C0%AE%C0%AE%2Fconf.toml', '%uff0e%uff0e/conf.toml', '．．／conf.toml',
    ];
    const leaks = (body: string): boolean => /root:x:0:0|\[id_range\]|\[senebi\]/.test(body);
    let checked = 0;
    for (const node of ['kan0', 'kan1', 'kan2'] as const) {
      for (const name of names) {
        // The names are put into the URL as written: the encoded and double-encoded forms reach the server as such.
        const fileParam = /[%]/.test(name) ? name : encodeURIComponent(name);
        for (const path of [`/kan/v1/logs?file=${fileParam}`, `/kan/v1/logs/tail?file=${fileParam}&bytes=4096`, `/kan/v1/logs/truncate?file=${fileParam}&keep=0`]) {
          figures.requests += 1;
          const answer = await system.call(node, path, { identity: 'operator', method: path.includes('truncate') ? 'POST' : 'GET' });
          checked += 1;
          assert.ok(answer.status === 400 || answer.status === 404, `${node} ${path}: ${answer.status} ${answer.body.slice(0, 200)}`);
          assert.ok(['INVALID_LOG_NAME', 'LOG_NOT_FOUND', 'INVALID_REQUEST'].includes(errorCodeOf(answer) ?? ''), `${node} ${path}: ${answer.body.slice(0, 200)}`);
          assert.ok(!leaks(answer.body), `${node} ${path} leaked a foreign file`);
        }
      }
    }
    // The listing leaves the links out (or at least never follows them), and file=all carries no foreign content.
    const list = JSON.parse((await system.call('kan0', '/kan/v1/logs', { identity: 'auditor' })).body) as Array<{ name: string }>;
    assert.ok(list.every((f) => !f.name.startsWith('planted-')), `listed: ${list.map((f) => f.name).join(', ')}`);
    const all = await new Promise<Buffer>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const identity = system.identity('auditor');
        const req = request(`${system.urlOf('kan1')}/kan/v1/logs?file=all`, { ca: system.ca, cert: identity.cert, key: identity.key, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    const tar = gunzipSync(all).toString('latin1');
    assert.ok(tar.includes('kan0-'), 'the archive holds the logs');
    assert.ok(!leaks(tar), 'the archive holds no foreign file');
    console.log(`traversal: ${names.length} names x 3 paths x 3 kans = ${checked} requests, all 400/404, no foreign content`);
  });
});

describe('after the bad input', () => {
  test('no process crashed or was restarted, and every node still answers', async () => {
    await system.waitAllAnswering(10_000);
    for (const node of NODE_NAMES) assert.equal((await system.status(node)).pid, pidsAtStart.get(node), `${node} kept its pid`);
    console.log(`bad input: ${figures.cases} fuzz cases, ${figures.requests} requests, no 5xx, no crash`);
  });

  test('no response body and no log line holds key material or the passphrase', () => {
    const secrets = collectSecrets(system.home);
    const findings = system.responses.flatMap((body, i) => scanText(body, `response #${i}`, secrets));
    const logs = scanFolder(join(system.home, 'logs'), secrets);
    console.log(`secret scan: ${system.responses.length} responses, ${logs.files} log files, ${logs.lines} log lines, ${findings.length + logs.findings.length} findings`);
    assert.deepEqual([...findings, ...logs.findings], []);
  });
});
