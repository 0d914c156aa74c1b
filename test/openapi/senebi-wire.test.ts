// docs/openapi/senebi.yaml (the SENEBI wire format of docs/api.md §8, with the order-state and
// cancel extension) against the simulator: a valid document, exactly the simulator's wire
// endpoints, and every answer of a real mutual-TLS exchange valid against its schema.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { decryptPrivateKey, initClusterPki } from '@qsen/pki';
import { startSimulator, type RunningSimulator } from '@qsen/simulator';
import { httpsCall, makeTempDir } from '@qsen/testkit';
import { writeQsenConf } from '../support/qsen-conf.js';
import { dereferenceDocument, listOperations, readDocument, type OpenApiDocument } from './documents.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const WIRE = [
  'POST /senebi/v1/orders', 'GET /senebi/v1/orders', 'GET /senebi/v1/orders/{id}', 'POST /senebi/v1/orders/{id}/cancel',
  'GET /senebi/v1/operations', 'GET /senebi/v1/ping',
];

describe('openapi/senebi.yaml', () => {
  const dir = makeTempDir('qsen-senebi-openapi-');
  let sim: RunningSimulator;
  let doc: OpenApiDocument;
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

  before(async () => {
    initClusterPki(dir.path);
    writeQsenConf(dir.path, 8443, 9443, 2000);
    writeFileSync(join(dir.path, 'senebi/simulator.toml'), '[matching]\nprobability = 0.0\n');
    sim = await startSimulator({ home: dir.path, port: 0 });
    doc = await dereferenceDocument('senebi');
  });
  after(async () => {
    await sim.close();
    dir.remove();
  });

  const call = async (method: string, path: string, template: string, body?: string): Promise<{ status: number; text: string }> => {
    const home = dir.path;
    const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8').replace(/\r?\n$/, '');
    const identity = { cert: readFileSync(join(home, 'senebi/agent.crt'), 'utf8'), key: decryptPrivateKey(readFileSync(join(home, 'senebi/agent.key.enc'), 'utf8'), passphrase) };
    const answer = await httpsCall(`https://127.0.0.1:${sim.port}${path}`, { method, ca: readFileSync(join(home, 'senebi/ca.crt'), 'utf8'), identity, ...(body !== undefined ? { body } : {}), tls: { servername: 'localhost' } });
    const op = listOperations(doc).find((o) => o.method === method && o.path === template);
    assert.ok(op, `${method} ${template} is documented`);
    const response = op.responses[String(answer.status)];
    assert.ok(response, `${method} ${path} answered ${answer.status}, not documented: ${answer.body.slice(0, 200)}`);
    const schema = response.content?.['application/json']?.schema;
    assert.ok(schema, `${method} ${template} ${answer.status} has a schema`);
    const validate = ajv.compile(schema as object);
    assert.ok(validate(JSON.parse(answer.body)), `${method} ${path} ${answer.status}: ${ajv.errorsText(validate.errors)}\n${answer.body.slice(0, 400)}`);
    return { status: answer.status, text: answer.body };
  };

  it('is a valid OpenAPI 3.1 document listing exactly the wire endpoints', async () => {
    await SwaggerParser.validate(readDocument('senebi') as never);
    assert.deepEqual(listOperations(doc).map((o) => `${o.method} ${o.path}`).sort(), [...WIRE].sort());
  });

  it('every answer of a real exchange matches its schema: resting, cancelled, matched, refused, unknown', async () => {
    const order = (id: string): string => `{"id": ${id}, "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "45"}`;
    assert.equal((await call('POST', '/senebi/v1/orders', '/senebi/v1/orders', order('9999000000000041001'))).status, 200);
    assert.equal((await call('POST', '/senebi/v1/orders', '/senebi/v1/orders', order('9999000000000041002'))).status, 200);
    assert.equal((await call('GET', '/senebi/v1/orders/9999000000000041001', '/senebi/v1/orders/{id}')).status, 200);
    const cancelled = await call('POST', '/senebi/v1/orders/9999000000000041001/cancel', '/senebi/v1/orders/{id}/cancel', '{}');
    assert.equal(cancelled.status, 200);
    assert.match(cancelled.text, /"id":9999000000000041001[,}]/, 'the id is a bare JSON number');
    assert.equal(sim.simulator.store.matchResting('9999000000000041002' as never).kind, 'matched');
    assert.equal((await call('POST', '/senebi/v1/orders/9999000000000041002/cancel', '/senebi/v1/orders/{id}/cancel', '{}')).status, 409);
    assert.equal((await call('POST', '/senebi/v1/orders/9999000000000041099/cancel', '/senebi/v1/orders/{id}/cancel', '{}')).status, 404);
    assert.equal((await call('POST', '/senebi/v1/orders/9999000000000041001/cancel', '/senebi/v1/orders/{id}/cancel', '{"x": 1}')).status, 400);
    assert.equal((await call('GET', '/senebi/v1/orders/9999000000000041099', '/senebi/v1/orders/{id}')).status, 404);
    const listing = await call('GET', '/senebi/v1/orders', '/senebi/v1/orders');
    assert.match(listing.text, /"status":"cancelled"/);
    assert.match(listing.text, /"status":"matched"/);
    assert.equal((await call('GET', '/senebi/v1/operations', '/senebi/v1/operations')).status, 200);
    assert.equal((await call('GET', '/senebi/v1/ping', '/senebi/v1/ping')).status, 200);
  });
});
