// The OpenAPI 3.1 documents: valid, complete against the contract and the error registries,
// and true of the running servers (every documented path answers; JSON answers match).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { httpErrors, type ErrorSpec } from '@qsen/core';
import { kanErrors } from '@qsen/kan';
import { qsenErrors } from '@qsen/qsen';
import { httpsCall, waitFor } from '@qsen/testkit';
import { dereferenceDocument, listOperations, readDocument, type DocumentedOperation, type OpenApiDocument } from './documents.js';
import { startSystem, type LocalSystem, type RoleName } from '../support/system.js';
import { tradeDateOf } from '../support/dates.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The contract's endpoints (docs/api.md §4 and §5), method and path, and QSen's own extensions (the risk controls, docs/risk.md; the audit trail, docs/auditor.md; the cluster view, docs/kan.md). */
const CONTRACT = {
  qsen: [
    'POST /qsen/v1/sendOrder', 'POST /qsen/v1/cancelOrder', 'POST /qsen/v1/getBilateralOrders', 'POST /qsen/v1/getBilateralOperations', 'POST /qsen/v1/decrypt',
    'POST /qsen/v1/ping/senebi', 'GET /qsen/v1/metrics/golang', 'GET /qsen/v1/metrics/process', 'POST /qsen/v1/cert/info',
    'GET /qsen/v1/status', 'GET /qsen/v1/config', 'POST /qsen/v1/halt', 'POST /qsen/v1/resume', 'GET /qsen/v1/ping',
    'GET /qsen/v1/risk', 'POST /qsen/v1/risk/reload', 'POST /qsen/v1/risk/override', 'POST /qsen/v1/risk/reference-prices',
    'GET /qsen/v1/console',
    'GET /qsen/v1/massCancel', 'POST /qsen/v1/heartbeat',
  ],
  kan: [
    'GET /kan/v1/status', 'GET /kan/v1/version', 'GET /kan/v1/restart_qsen', 'POST /kan/v1/restart_qsen', 'GET /kan/v1/restart_kan',
    'POST /kan/v1/restart_kan', 'GET /kan/v1/logs', 'GET /kan/v1/logs/tail', 'GET /kan/v1/logs/truncate', 'POST /kan/v1/logs/truncate',
    'GET /kan/v1/metrics/golang', 'GET /kan/v1/metrics/process', 'GET /kan/v1/metrics/system', 'GET /kan/v1/cmd/top', 'GET /kan/v1/cmd/ls',
    'GET /kan/v1/ping', 'GET /kan/v1/audit', 'GET /kan/v1/audit/verify',
    // Four-port mode, on the gateway kan only (docs/kan.md, "Four-port mode"; test/system/cluster-view.test.ts).
    'GET /kan/v1/cluster/status', 'GET /kan/v1/cluster/metrics/process',
    'GET /kan/v1/console/', 'GET /kan/v1/console/assets/{name}', 'GET /kan/v1/console/session', 'GET /kan/v1/console/qsen', 'GET /kan/v1/console/nodes',
    'POST /kan/v1/console/halt', 'POST /kan/v1/console/resume',
  ],
} as const;

const REGISTRIES: Record<'qsen' | 'kan', Record<string, ErrorSpec>> = {
  qsen: { ...httpErrors.specs, ...qsenErrors.specs },
  kan: { ...httpErrors.specs, ...kanErrors.specs },
};

describe('OpenAPI documents', () => {
  for (const name of ['qsen', 'kan'] as const) {
    it(`${name}.yaml is a valid OpenAPI 3.1 document`, async () => {
      const doc = readDocument(name);
      assert.equal(doc['openapi'], '3.1.0');
      await SwaggerParser.validate(doc as never);
    });

    it(`${name}.yaml documents exactly the contract's endpoints`, async () => {
      const ops = listOperations(await dereferenceDocument(name)).map((o) => `${o.method} ${o.path}`).sort();
      assert.deepEqual(ops, [...CONTRACT[name]].sort());
    });

    it(`${name}.yaml lists every error code of the registry under its own status`, async () => {
      const registry = REGISTRIES[name];
      const seen = new Set<string>();
      for (const op of listOperations(await dereferenceDocument(name))) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const code of response['x-error-codes'] ?? []) {
            const spec = registry[code];
            assert.ok(spec, `${op.method} ${op.path} ${status}: ${code} is not in the ${name} registry`);
            assert.equal(String(spec.status), status, `${op.method} ${op.path}: ${code} is answered with ${spec.status}, documented under ${status}`);
            seen.add(code);
          }
          if (Number(status) >= 400) assert.ok((response['x-error-codes'] ?? []).length > 0, `${op.method} ${op.path} ${status} names its codes`);
        }
      }
      assert.deepEqual(Object.keys(registry).filter((c) => !seen.has(c)), [], `codes of the ${name} registry missing from ${name}.yaml`);
    });

    it(`${name}.yaml writes every id as a string with a pattern`, () => {
      const doc = readDocument(name);
      const schemas = ((doc['components'] as Record<string, unknown>)['schemas'] ?? {}) as Record<string, Record<string, unknown>>;
      const ids: string[] = [];
      const walk = (node: unknown, key: string): void => {
        if (typeof node !== 'object' || node === null) return;
        const obj = node as Record<string, unknown>;
        if (/^(id|orderId|counterOrderId|min|max)$/.test(key) && obj['$ref'] === undefined) ids.push(key);
        for (const [k, v] of Object.entries(obj)) walk(v, k);
      };
      walk(schemas, '');
      if (name === 'qsen') {
        assert.equal(schemas['Uint64']?.['type'], 'string');
        assert.ok(typeof schemas['Uint64']?.['pattern'] === 'string');
        assert.deepEqual(ids, [], 'every id property refers to Uint64');
      }
    });
  }
});

describe('OpenAPI documents against the running servers', () => {
  let system: LocalSystem;
  const docs: Partial<Record<'qsen' | 'kan', OpenApiDocument>> = {};
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

  before(async () => {
    docs.qsen = await dereferenceDocument('qsen');
    docs.kan = await dereferenceDocument('kan');
    system = await startSystem({ prefix: 'qsen-openapi-', untilReconciled: true });
  });

  after(async () => {
    await system?.stop();
  });

  /** Calls an operation and checks the answer against the document. */
  async function check(name: 'qsen' | 'kan', method: string, path: string, opts: { query?: string; body?: string; role?: RoleName | null; port?: number; path?: string; contentType?: string } = {}): Promise<{ status: number; body: string }> {
    const doc = docs[name];
    assert.ok(doc);
    const op = listOperations(doc).find((o: DocumentedOperation) => o.method === method && o.path === path);
    assert.ok(op, `${method} ${path} is documented`);
    const port = opts.port ?? (name === 'qsen' ? system.ports.qsen : system.ports.kans[0]);
    const role = opts.role === undefined ? 'operator' : opts.role;
    const answer = await httpsCall(`https://${role === null ? '127.0.0.1' : 'localhost'}:${port}${opts.path ?? path}${opts.query ?? ''}`, {
      method, ca: system.ca, ...(role === null ? {} : { identity: system.identity(role) }), ...(opts.body === undefined ? {} : { body: opts.body }), timeoutMs: 30_000,
      ...(opts.contentType === undefined ? {} : { headers: { 'content-type': opts.contentType } }),
    });
    const response = op.responses[String(answer.status)];
    assert.ok(response, `${method} ${path}${opts.query ?? ''} answered ${answer.status}, which is not documented: ${answer.body.slice(0, 300)}`);
    const type = String(answer.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const content = response.content ?? {};
    assert.ok(content[type], `${method} ${path}: content type ${type} documented for ${answer.status}`);
    if (type === 'application/json') {
      const schema = content[type]?.schema;
      assert.ok(schema, `${method} ${path} ${answer.status} has a schema`);
      const validate = ajv.compile(schema as object);
      const body: unknown = JSON.parse(answer.body);
      assert.ok(validate(body), `${method} ${path} ${answer.status}: ${ajv.errorsText(validate.errors)}\n${answer.body.slice(0, 500)}`);
      const codes = response['x-error-codes'];
      if (codes) assert.ok(codes.includes((body as { error: { code: string } }).error.code), `${method} ${path}: code documented under ${answer.status}`);
    }
    return { status: answer.status, body: answer.body };
  }

  it('every qsen path answers as documented', async () => {
    const order = JSON.stringify({ id: '9999000000000000777', instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.50', currency: 'ARS', settlement: 'T1', counterparty: '210' });
    assert.equal((await check('qsen', 'POST', '/qsen/v1/sendOrder', { body: order, role: 'platform' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/sendOrder', { body: order.replace('9999000000000000777', '1'), role: 'platform' })).status, 403);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/sendOrder', { body: '{"id":', role: 'platform' })).status, 400);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/sendOrder', { body: order, role: 'auditor' })).status, 403);
    // Local mode matches every order at acceptance (simulator default), so a cancel finds it matched.
    assert.equal((await check('qsen', 'POST', '/qsen/v1/cancelOrder', { body: '{"id": "9999000000000000777"}', role: 'platform' })).status, 409);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/cancelOrder', { body: '{"id": "1"}', role: 'platform' })).status, 404);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/cancelOrder', { body: '{"id": "x"}', role: 'platform' })).status, 400);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/cancelOrder', { body: '{"id": "9999000000000000777"}', role: 'auditor' })).status, 403);
    const orders = await check('qsen', 'POST', '/qsen/v1/getBilateralOrders', { body: JSON.stringify({ date: tradeDateOf() }) });
    assert.match(orders.body, /"id":"9999000000000000777"/);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/getBilateralOrders', { body: '{"date":"yesterday"}' })).status, 400);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/getBilateralOperations', { body: '{}' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/decrypt', { body: '{}' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/ping/senebi', { body: '{}' })).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/metrics/golang')).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/metrics/process')).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/cert/info', { body: '{}' })).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/status')).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/config')).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/halt', { body: '{"reason":"openapi test"}' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/sendOrder', { body: order.replace('777', '778'), role: 'platform' })).status, 423);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/halt', { body: '{}', role: 'auditor' })).status, 403);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/resume', { body: '{}' })).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/massCancel', { role: 'auditor' })).status, 200);
    const pulled = await check('qsen', 'POST', '/qsen/v1/halt', { body: '{"reason":"openapi test","cancelOpen":true}' });
    assert.equal(pulled.status, 200);
    assert.match(pulled.body, /"massCancel":\{"run":/);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/massCancel', { role: 'platform' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/halt', { body: '{"cancelOpen":"yes"}' })).status, 400);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/resume', { body: '{}' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/heartbeat', { body: '{}', role: 'platform' })).status, 409, 'the dead man\'s switch is off by default');
    assert.equal((await check('qsen', 'POST', '/qsen/v1/heartbeat', { body: '{}', role: 'operator' })).status, 403);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/risk', { role: 'auditor' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/risk/reload', { body: '{"reason":"openapi test"}' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/risk/reload', { body: '{}', role: 'auditor' })).status, 403);
    const tight = JSON.stringify({ limit: 'order_quantity', value: '999', reason: 'openapi test', expiresAt: new Date(Date.now() + 600_000).toISOString() });
    assert.equal((await check('qsen', 'POST', '/qsen/v1/risk/override', { body: tight })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/sendOrder', { body: order.replace('777', '779'), role: 'platform' })).status, 422);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/risk/override', { body: '{"limit":"order_quantity","value":null,"reason":"done"}' })).status, 200);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/risk/override', { body: '{"limit":"nope","value":"1","reason":"x"}' })).status, 400);
    assert.equal((await check('qsen', 'POST', '/qsen/v1/risk/reference-prices', { body: '{"prices":{"AL30":"1234.5"},"reason":"openapi test"}' })).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/risk')).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/ping', { role: null })).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/console', { role: null })).status, 200);
    assert.equal((await check('qsen', 'GET', '/qsen/v1/status', { role: null })).status, 401);
    const wrongMethod = await httpsCall(`https://localhost:${system.ports.qsen}/qsen/v1/status`, { method: 'POST', body: '{}', ca: system.ca, identity: system.identity('operator') });
    assert.equal(wrongMethod.status, 405);
    assert.equal((JSON.parse(wrongMethod.body) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
  });

  it('every kan path answers as documented, on each kan', async () => {
    for (const port of system.ports.kans) {
      assert.equal((await check('kan', 'GET', '/kan/v1/status', { port })).status, 200);
      assert.equal((await check('kan', 'GET', '/kan/v1/version', { port })).status, 200);
      assert.equal((await check('kan', 'GET', '/kan/v1/ping', { port, role: null })).status, 200);
    }
    const list = await check('kan', 'GET', '/kan/v1/logs');
    const names = (JSON.parse(list.body) as Array<{ name: string }>).map((l) => l.name);
    const log = names.find((n) => n.startsWith('kan0-'));
    assert.ok(log, names.join(','));
    assert.equal((await check('kan', 'GET', '/kan/v1/logs', { query: `?file=${log}` })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/logs', { query: '?file=all' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/logs', { query: '?file=..%2Fconf.toml' })).status >= 400, true);
    assert.equal((await check('kan', 'GET', '/kan/v1/logs', { query: '?file=nope.log' })).status, 404);
    assert.equal((await check('kan', 'GET', '/kan/v1/logs/tail', { query: `?file=${log}&lines=3` })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/logs/tail', { query: `?file=${log}&bytes=100` })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/logs/tail', { query: '' })).status, 400);
    const simulatorLog = names.find((n) => n.startsWith('simulator-')) ?? log;
    assert.equal((await check('kan', 'GET', '/kan/v1/logs/truncate', { query: `?file=${simulatorLog}&keep=1048576` })).status, 200);
    assert.equal((await check('kan', 'POST', '/kan/v1/logs/truncate', { query: `?file=${simulatorLog}&keep=1048576` })).status, 200);
    assert.equal((await check('kan', 'POST', '/kan/v1/logs/truncate', { query: `?file=${simulatorLog}`, role: 'auditor' })).status, 403);
    assert.equal((await check('kan', 'GET', '/kan/v1/metrics/golang')).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/metrics/process')).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/metrics/system')).status, system.nodeExporter ? 200 : 502);
    assert.equal((await check('kan', 'GET', '/kan/v1/cmd/top')).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/cmd/ls')).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/audit/verify', { role: 'auditor' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/audit', { query: '?limit=5', role: 'auditor' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/audit', { query: '?from=soon' })).status, 400);
    assert.equal((await check('kan', 'GET', '/kan/v1/restart_kan', { query: '?node=7' })).status, 400);
    assert.equal((await check('kan', 'POST', '/kan/v1/restart_kan', { query: '?node=1', role: 'auditor' })).status, 403);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/', { role: 'auditor' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/', { role: 'platform' })).status, 403);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/assets/{name}', { path: '/kan/v1/console/assets/console.js' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/assets/{name}', { path: '/kan/v1/console/assets/console.css' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/assets/{name}', { path: '/kan/v1/console/assets/nope.js' })).status, 404);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/session')).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/qsen', { role: 'auditor' })).status, 200);
    assert.equal((await check('kan', 'GET', '/kan/v1/console/nodes')).status, 200);
    assert.equal((await check('kan', 'POST', '/kan/v1/console/halt', { body: '{"reason":"openapi test"}' })).status, 200);
    assert.equal((await check('kan', 'POST', '/kan/v1/console/halt', { body: '{"why":"x"}' })).status, 400);
    assert.equal((await check('kan', 'POST', '/kan/v1/console/halt', { body: '{}', role: 'auditor' })).status, 403);
    assert.equal((await check('kan', 'POST', '/kan/v1/console/resume', { body: '{}', contentType: 'text/plain' })).status, 415);
    assert.equal((await check('kan', 'POST', '/kan/v1/console/resume', { body: '{}' })).status, 200);
    const wrongMethod = await httpsCall(`https://localhost:${system.ports.kans[0]}/kan/v1/status`, { method: 'DELETE', ca: system.ca, identity: system.identity('operator') });
    assert.equal(wrongMethod.status, 405);
    assert.equal((JSON.parse(wrongMethod.body) as { error: { code: string } }).error.code, 'METHOD_NOT_ALLOWED');
  });

  it('the restart endpoints answer 202 with a ticket (GET and POST)', async () => {
    const kan2 = (await system.control().status('kan2')).invocation;
    assert.equal((await check('kan', 'POST', '/kan/v1/restart_kan', { query: '?node=2' })).status, 202);
    await waitForKan(system, 2, kan2);
    const kan1 = (await system.control().status('kan1')).invocation;
    assert.equal((await check('kan', 'GET', '/kan/v1/restart_kan', { query: '?node=1', port: system.ports.kans[2] })).status, 202);
    await waitForKan(system, 1, kan1);
    assert.equal((await check('kan', 'POST', '/kan/v1/restart_qsen', { port: system.ports.kans[1] })).status, 202);
    assert.equal((await check('kan', 'GET', '/kan/v1/restart_qsen', { port: system.ports.kans[0] })).status, 202);
  });
});

/** Waits until kan N answers its ping again after a restart. */
async function waitForKan(system: LocalSystem, index: number, invocationBefore: number): Promise<void> {
  await waitFor(async () => {
    const s = await system.control().status(`kan${index}` as 'kan0');
    if (s.invocation <= invocationBefore || s.state !== 'running') return false;
    try {
      return (await httpsCall(`https://127.0.0.1:${system.ports.kans[index]}/kan/v1/ping`, { ca: system.ca, timeoutMs: 2000 })).status === 200;
    } catch {
      return false;
    }
  }, { timeoutMs: 60_000, what: `kan ${index} back after its restart` });
}
