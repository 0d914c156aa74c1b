/**
 * Reloading the TLS material without a restart: a new CRL revokes a certificate, a new server
 * certificate is presented, broken files keep the old context and report the error, and the
 * file watch reloads by itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, renameSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeTempDir, waitFor, httpsCall } from '@qsen/testkit';
import { createCrl, issueServerCertificate, type Identity } from '@qsen/pki';
import { createApiApp, createMtlsServer, openTrustStore, defineRoute, judgeCrlFreshness, sendJson, ROLES, type MtlsServer } from '../src/index.js';
import { createMemoryLogger, issueClient, makeCluster, serialOf, type ClusterMaterial } from './fixtures/http/cluster.js';

const { logger, entries } = createMemoryLogger();

function makeApp() {
  return createApiApp({
    logger,
    mount: (a) => defineRoute(a, '/v1/status', { GET: { roles: ROLES, handler: (_req, res) => sendJson(res, { ok: true }) } }),
  });
}

/** GET /v1/status with `client`; resolves with the status, or with the connection error's code. */
async function statusWith(port: number, material: ClusterMaterial, client: Identity): Promise<number | string> {
  try {
    const answer = await httpsCall(`https://localhost:${port}/v1/status`, { ca: material.ca.certPem, identity: { cert: client.certPem, key: client.keyPem } });
    return answer.status;
  } catch (err) {
    return (err as { code?: string }).code ?? 'ERROR';
  }
}

/** The serial number of the certificate the server presents. */
function presentedSerial(port: number, material: ClusterMaterial, client: Identity): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: material.ca.certPem, cert: client.certPem, key: client.keyPem }, () => {
      const serial = socket.getPeerX509Certificate()?.serialNumber.toUpperCase() ?? '';
      socket.destroy();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

/** One TLS connection with an optional session to resume: whether it was resumed, the session it got, and what HTTP answered. */
function connectOnce(port: number, material: ClusterMaterial, client: Identity, session?: Buffer): Promise<{ resumed: boolean; session: Buffer | undefined; received: string }> {
  return new Promise((resolve) => {
    let resumed = false;
    let next: Buffer | undefined;
    let received = '';
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: material.ca.certPem, cert: client.certPem, key: client.keyPem, ...(session ? { session } : {}) }, () => {
      resumed = socket.isSessionReused();
      socket.write('GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    });
    socket.on('session', (s: Buffer) => {
      next = s;
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ resumed, session: next, received }));
  });
}

/** Replaces a file atomically (write + rename), as an operator's tooling would. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

describe('reload()', () => {
  const tmp = makeTempDir('qsen-reload-');
  let material: ClusterMaterial;
  let server: MtlsServer;
  let port = 0;
  let platform: Identity;
  let operator: Identity;

  before(async () => {
    material = makeCluster(tmp.path);
    platform = issueClient(material, { commonName: 'platform client', ou: 'platform' });
    operator = issueClient(material, { commonName: 'operator client', ou: 'operator' });
    server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app: makeApp(), logger });
    port = await server.listen(0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    tmp.remove();
  });

  test('a new CRL revokes a certificate without a restart', async () => {
    assert.equal(await statusWith(port, material, platform), 200);
    replaceFile(material.files.crl, createCrl(material.ca, [{ serial: serialOf(platform.certPem), revokedAt: new Date(Date.now() - 1000) }], { crlNumber: 2 }));
    assert.deepEqual(server.reload(), { ok: true });
    assert.notEqual(await statusWith(port, material, platform), 200);
    assert.ok(entries.some((e) => e['message'] === 'tls connection refused' && e['reason'] === 'CERT_REVOKED'));
    assert.equal(await statusWith(port, material, operator), 200);
  });

  test('a TLS session from before a reload is not resumed: the revoked certificate is verified again', async () => {
    const client = issueClient(material, { commonName: 'resuming client', ou: 'operator' });
    const first = await connectOnce(port, material, client);
    assert.match(first.received, /^HTTP\/1\.1 200/);
    assert.ok(first.session);
    const resumed = await connectOnce(port, material, client, first.session);
    assert.equal(resumed.resumed, true, 'the session resumes while nothing changed');
    assert.match(resumed.received, /^HTTP\/1\.1 200/);
    const revoked = [platform, client].map((c) => ({ serial: serialOf(c.certPem), revokedAt: new Date(Date.now() - 1000) }));
    replaceFile(material.files.crl, createCrl(material.ca, revoked, { crlNumber: 3 }));
    assert.deepEqual(server.reload(), { ok: true });
    const after = await connectOnce(port, material, client, resumed.session ?? first.session);
    assert.equal(after.resumed, false);
    assert.equal(after.received, '');
  });

  test('a new server certificate is presented after reload', async () => {
    const before = await presentedSerial(port, material, operator);
    const renewed = issueServerCertificate(material.ca, { commonName: 'localhost', hosts: ['localhost', '127.0.0.1'], keyPem: material.server.keyPem });
    replaceFile(material.files.cert, renewed.certPem);
    assert.deepEqual(server.reload(), { ok: true });
    const after = await presentedSerial(port, material, operator);
    assert.notEqual(after, before);
    assert.equal(after, serialOf(renewed.certPem));
  });

  for (const broken of [
    { name: 'a certificate file that is not PEM', file: 'cert' as const, content: 'garbage\n' },
    { name: 'a certificate that does not match the key', file: 'cert' as const, content: '' },
    { name: 'a CRL that is not PEM', file: 'crl' as const, content: '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' },
    { name: 'a missing key file', file: 'key' as const, content: undefined },
  ]) {
    test(`${broken.name} keeps the old context and reports the error`, async () => {
      const path = material.files[broken.file];
      const original = readFileSync(path, 'utf8');
      const servedBefore = await presentedSerial(port, material, operator);
      try {
        if (broken.content === undefined) renameSync(path, `${path}.away`);
        else if (broken.content === '') replaceFile(path, issueClient(material, { commonName: 'localhost', ou: 'x' }).certPem);
        else replaceFile(path, broken.content);
        const result = server.reload();
        assert.equal(result.ok, false);
        assert.equal(typeof result.error, 'string');
        assert.ok((result.error ?? '').length > 0);
        assert.doesNotMatch(result.error ?? '', /PRIVATE KEY|BEGIN/);
        assert.ok(entries.some((e) => e['message'] === 'tls reload failed, keeping the current certificates' && e['error'] === result.error));
        assert.equal(await statusWith(port, material, operator), 200);
        assert.equal(await presentedSerial(port, material, operator), servedBefore);
      } finally {
        if (broken.content === undefined) renameSync(`${path}.away`, path);
        else replaceFile(path, original);
      }
      assert.deepEqual(server.reload(), { ok: true });
    });
  }
});

describe('CRL freshness', () => {
  const tmp = makeTempDir('qsen-crl-');
  let material: ClusterMaterial;
  const DAY = 86_400_000;

  before(() => {
    material = makeCluster(tmp.path);
  });

  after(() => tmp.remove());

  test('judgeCrlFreshness: fresh, expiring within 7 days, expired, unreadable', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const crl = createCrl(material.ca, [], { now: new Date('2026-03-01T12:00:00Z'), nextUpdateDays: 30 });
    assert.equal(judgeCrlFreshness(crl, now).state, 'fresh');
    assert.equal(judgeCrlFreshness(crl, new Date('2026-03-25T12:00:00Z')).state, 'expiring');
    const expired = judgeCrlFreshness(crl, new Date('2026-03-31T12:00:01Z'));
    assert.equal(expired.state, 'expired');
    assert.equal('nextUpdate' in expired ? expired.nextUpdate.toISOString() : '', '2026-03-31T12:00:00.000Z');
    assert.equal(judgeCrlFreshness('not a crl', now).state, 'unreadable');
  });

  test('an expired CRL refuses every client certificate (fail closed) and is reported at load', async () => {
    writeFileSync(material.files.crl, createCrl(material.ca, [], { now: new Date(Date.now() - 3 * DAY), nextUpdateDays: 1 }));
    const client = issueClient(material, { commonName: 'any client', ou: 'auditor' });
    const logged = entries.length;
    const server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app: makeApp(), logger });
    try {
      const port = await server.listen(0, '127.0.0.1');
      assert.ok(entries.slice(logged).some((e) => e['level'] === 'error' && String(e['message']).startsWith('the CRL has expired')));
      assert.notEqual(await statusWith(port, material, client), 200);
      assert.ok(entries.slice(logged).some((e) => e['message'] === 'tls connection refused' && e['reason'] === 'CRL_HAS_EXPIRED'));
    } finally {
      await server.close();
    }
  });
});

describe('watchFiles', () => {
  const tmp = makeTempDir('qsen-watch-');
  let material: ClusterMaterial;
  let server: MtlsServer;
  let port = 0;

  before(async () => {
    material = makeCluster(tmp.path);
    server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app: makeApp(), logger, watchFiles: true, watchIntervalMs: 50 });
    port = await server.listen(0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    tmp.remove();
  });

  test('a CRL written to disk is picked up without calling reload()', async () => {
    const auditor = issueClient(material, { commonName: 'auditor client', ou: 'auditor' });
    assert.equal(await statusWith(port, material, auditor), 200);
    replaceFile(material.files.crl, createCrl(material.ca, [{ serial: serialOf(auditor.certPem), revokedAt: new Date(Date.now() - 1000) }], { crlNumber: 2 }));
    await waitFor(async () => (await statusWith(port, material, auditor)) !== 200, { timeoutMs: 5000, what: 'the revoked certificate to be refused' });
    assert.ok(entries.some((e) => e['message'] === 'tls files reloaded' && JSON.stringify(e).includes(join(tmp.path, 'crl.pem'))));
  });
});
