/**
 * The mutual-TLS handshake matrix against a real server on 127.0.0.1: which clients reach
 * HTTP, and that every refused one gets no HTTP answer and is logged and counted with its reason.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir, waitFor, httpsCall } from '@qsen/testkit';
import { createCa, createCrl, type Identity } from '@qsen/pki';
import { writeFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  createApiApp, createMetricsRegistry, createMtlsServer, openTrustStore, createTlsMetrics, defineRoute, getCaller, sendJson, ROLES,
  type MtlsServer, type TlsMetrics,
} from '../src/index.js';
import { createMemoryLogger, issueClient, makeCluster, probePlain, probeTls, serialOf, type ClusterMaterial } from './fixtures/http/cluster.js';

const tmp = makeTempDir('qsen-mtls-');
const { logger, entries } = createMemoryLogger();
let material: ClusterMaterial;
let server: MtlsServer;
let metrics: TlsMetrics;
let port = 0;
const clients: Record<string, Identity> = {};

async function rejectedCount(reason: string): Promise<number> {
  const value = (await metrics.rejectedConnections.get()).values.find((v) => v.labels.reason === reason);
  return value?.value ?? 0;
}

function url(path: string): string {
  return `https://localhost:${port}${path}`;
}

before(async () => {
  material = makeCluster(tmp.path);
  for (const role of ROLES) clients[role] = issueClient(material, { commonName: `${role} client`, ou: role });
  clients['otherOu'] = issueClient(material, { commonName: 'stranger', ou: 'trading' });
  clients['expired'] = issueClient(material, { commonName: 'expired', ou: 'platform', validity: 'expired' });
  clients['future'] = issueClient(material, { commonName: 'future', ou: 'platform', validity: 'future' });
  clients['serverAuthOnly'] = issueClient(material, { commonName: 'server usage', ou: 'platform', extKeyUsage: ['serverAuth'] });
  clients['revoked'] = issueClient(material, { commonName: 'revoked', ou: 'operator' });
  const otherCa = createCa({ commonName: 'Another CA' });
  clients['otherCa'] = issueClient(material, { commonName: 'foreign', ou: 'platform', ca: otherCa });
  clients['selfSigned'] = createCa({ commonName: 'self signed', keyPem: material.clientKeyPem });
  writeFileSync(material.files.crl, createCrl(material.ca, [{ serial: serialOf(clients['revoked'].certPem), revokedAt: new Date(Date.now() - 60_000) }]));

  const registry = createMetricsRegistry();
  metrics = createTlsMetrics(registry, 'test_tls_rejected_connections_total');
  const app = createApiApp({
    logger,
    mount: (a) => {
      defineRoute(a, '/qsen/v1/status', { GET: { roles: ROLES, handler: (req, res) => sendJson(res, { caller: getCaller(req) }) } });
      defineRoute(a, '/qsen/v1/ping', { GET: { roles: 'internal', handler: (_req, res) => sendJson(res, { ok: true }) } });
    },
  });
  server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app, logger, metrics });
  port = await server.listen(0, '127.0.0.1');
});

after(async () => {
  await server?.close();
  tmp.remove();
});

describe('accepted connections', () => {
  for (const role of ROLES) {
    test(`a valid ${role} certificate reaches HTTP with role ${role}`, async () => {
      const identity = clients[role];
      assert.ok(identity);
      const answer = await httpsCall(url('/qsen/v1/status'), { ca: material.ca.certPem, identity: { cert: identity.certPem, key: identity.keyPem } });
      assert.equal(answer.status, 200);
      const body = JSON.parse(answer.body) as { caller: { role: string; certificate: string; subject: string; loopback: boolean } };
      assert.equal(body.caller.role, role);
      assert.equal(body.caller.certificate, 'valid');
      assert.equal(body.caller.loopback, true);
      assert.match(body.caller.subject, new RegExp(`OU=${role}`));
    });
  }

  test('no certificate from loopback: 401 CERTIFICATE_REQUIRED on a normal path', async () => {
    const answer = await httpsCall(url('/qsen/v1/status'), { ca: material.ca.certPem });
    assert.equal(answer.status, 401);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'CERTIFICATE_REQUIRED');
  });

  test('no certificate from loopback: 200 on the internal path', async () => {
    const answer = await httpsCall(url('/qsen/v1/ping'), { ca: material.ca.certPem });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { ok: true });
  });

  test('a valid certificate with an unknown OU gets 403 FORBIDDEN, except on the internal path from loopback', async () => {
    const identity = clients['otherOu'];
    assert.ok(identity);
    const tlsIdentity = { cert: identity.certPem, key: identity.keyPem };
    const status = await httpsCall(url('/qsen/v1/status'), { ca: material.ca.certPem, identity: tlsIdentity });
    assert.equal(status.status, 403);
    assert.equal((JSON.parse(status.body) as { error: { code: string } }).error.code, 'FORBIDDEN');
    const unknown = await httpsCall(url('/qsen/v1/nothing'), { ca: material.ca.certPem, identity: tlsIdentity });
    assert.equal(unknown.status, 403);
    const ping = await httpsCall(url('/qsen/v1/ping'), { ca: material.ca.certPem, identity: tlsIdentity });
    assert.equal(ping.status, 200);
  });

  test('TLS 1.3 and TLS 1.2 with an ECDHE-AEAD suite are accepted', async () => {
    const identity = clients['platform'];
    assert.ok(identity);
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const result = await probeTls(port, { ca: material.ca.certPem, cert: identity.certPem, key: identity.keyPem, minVersion: version, maxVersion: version });
      assert.equal(result.handshake, true, version);
      assert.match(result.received, /^HTTP\/1\.1 200/, version);
    }
  });
});

describe('refused connections: no HTTP answer, logged and counted with the reason', () => {
  const cases: Array<{ name: string; client?: string; tls?: ConnectionOptions; reasons: readonly string[]; subject?: RegExp }> = [
    { name: 'a self-signed certificate', client: 'selfSigned', reasons: ['UNABLE_TO_GET_CRL', 'DEPTH_ZERO_SELF_SIGNED_CERT'], subject: /CN=self signed/ },
    { name: 'a certificate from another CA', client: 'otherCa', reasons: ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'], subject: /CN=foreign/ },
    { name: 'an expired certificate', client: 'expired', reasons: ['CERT_HAS_EXPIRED'], subject: /CN=expired/ },
    { name: 'a certificate not yet valid', client: 'future', reasons: ['CERT_NOT_YET_VALID'], subject: /CN=future/ },
    { name: 'a certificate with serverAuth usage only', client: 'serverAuthOnly', reasons: ['INVALID_PURPOSE', 'CERT_NO_CLIENT_AUTH_EKU'], subject: /CN=server usage/ },
    { name: 'a certificate revoked by the CRL', client: 'revoked', reasons: ['CERT_REVOKED'], subject: /CN=revoked/ },
    { name: 'a TLS 1.1 client', client: 'platform', tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, reasons: ['ERR_SSL_UNSUPPORTED_PROTOCOL'] },
    { name: 'a client offering only a CBC cipher', client: 'platform', tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' }, reasons: ['ERR_SSL_NO_SHARED_CIPHER'] },
  ];

  for (const c of cases) {
    test(`${c.name} is refused before HTTP (${c.reasons.join(' or ')})`, async () => {
      const identity = c.client === undefined ? undefined : clients[c.client];
      const before = await Promise.all(c.reasons.map(rejectedCount));
      const logged = entries.length;
      const result = await probeTls(port, { ca: material.ca.certPem, ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}), ...c.tls });
      assert.doesNotMatch(result.received, /HTTP\//, 'no HTTP answer');
      assert.equal(result.received, '');
      const entry = await waitFor(() => entries.slice(logged).find((e) => e['message'] === 'tls connection refused'), { timeoutMs: 5000, what: 'the refusal log line' });
      assert.ok(c.reasons.includes(String(entry['reason'])), `reason ${String(entry['reason'])}`);
      assert.equal(entry['remoteAddress'], '127.0.0.1');
      if (c.subject) assert.match(String(entry['subject']), c.subject);
      const afterCounts = await Promise.all(c.reasons.map(rejectedCount));
      const increase = afterCounts.reduce((sum, n, i) => sum + n - (before[i] ?? 0), 0);
      assert.equal(increase, 1, 'counted once under its reason');
    });
  }

  test('plain HTTP to the TLS port gets no HTTP answer and is counted', async () => {
    const logged = entries.length;
    const result = await probePlain(port);
    assert.doesNotMatch(result.received, /HTTP\//);
    const entry = await waitFor(() => entries.slice(logged).find((e) => e['message'] === 'tls connection refused'), { timeoutMs: 5000, what: 'the refusal log line' });
    assert.equal(entry['reason'], 'ERR_SSL_HTTP_REQUEST');
    assert.equal(await rejectedCount('ERR_SSL_HTTP_REQUEST'), 1);
  });

  test('refusal log lines carry no key material', () => {
    for (const entry of entries) assert.doesNotMatch(JSON.stringify(entry), /PRIVATE KEY/);
  });
});
