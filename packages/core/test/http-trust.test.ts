/**
 * Trust at the TLS layer, against a real mutual-TLS server: the client certificate policy with
 * certificates made by the openssl CLI (each breaking one rule, refused with its own logged and
 * counted reason), revocation reaching connections that are already open, and the file watch
 * catching every way a file can be replaced (rename, in-place rewrite keeping size and mtime).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, utimesSync, writeFileSync, renameSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { issueWithOpenssl, makeTempDir, requireTool, waitFor } from '@qsen/testkit';
import { createCa, createCrl, issueServerCertificate, type Identity } from '@qsen/pki';
import {
  CLIENT_CERTIFICATE_POLICY, createApiApp, createMetricsRegistry, createMtlsServer, createTlsMetrics, defineRoute, getCaller, judgeClientCertificate,
  openTrustStore, sendJson, ROLES, TLS_CHANGE_IN_FORCE_MS, TLS_WATCH_WORST_CASE_MS, watchFileContents, type MtlsServer, type TlsMetrics,
} from '../src/index.js';
import { createMemoryLogger, issueClient, makeCluster, serialOf, type ClusterMaterial } from './fixtures/http/cluster.js';

const { logger, entries } = createMemoryLogger();

/** A server whose /v1/slow answers only when `release()` is called, so a request can be held in flight. */
interface Hold { release: () => void; arrived: number }

function makeApp(hold: Hold) {
  return createApiApp({
    logger,
    mount: (a) => {
      defineRoute(a, '/v1/status', { GET: { roles: ROLES, handler: (req, res) => sendJson(res, { role: getCaller(req).role ?? null, ou: getCaller(req).ou ?? null }) } });
      defineRoute(a, '/v1/slow', {
        GET: {
          roles: ROLES,
          handler: (_req, res) => new Promise<void>((resolve) => {
            hold.arrived += 1;
            hold.release = () => {
              sendJson(res, { late: true });
              resolve();
            };
          }),
        },
      });
    },
  });
}

/** Status of GET `path` with one client identity; the connection error's code when no HTTP came back. */
async function callWith(port: number, ca: string, identity: { cert: string; key: string }, path = '/v1/status', extra: Record<string, unknown> = {}): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'localhost', ca, cert: identity.cert, key: identity.key, agent: false, ...extra }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function rejectedCount(metrics: TlsMetrics, reason: string): Promise<number> {
  return (await metrics.rejectedConnections.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Replaces a file atomically (write + rename), as an operator's tooling would. */
function replaceFile(path: string, content: string): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

describe('client certificate policy, with certificates made by the openssl CLI', () => {
  const tmp = makeTempDir('qsen-policy-');
  const hold: Hold = { release: () => undefined, arrived: 0 };
  let material: ClusterMaterial;
  let server: MtlsServer;
  let metrics: TlsMetrics;
  let port = 0;
  let openssl: string | { skip: string };

  before(async () => {
    openssl = requireTool('openssl');
    material = makeCluster(tmp.path);
    metrics = createTlsMetrics(createMetricsRegistry(), 'policy_tls_rejected_connections_total');
    server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app: makeApp(hold), logger, metrics });
    port = await server.listen(0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    tmp.remove();
  });

  const refused = [
    { name: 'a CA:TRUE certificate with clientAuth', reason: 'CERT_IS_CA', spec: { key: 'rsa:2048', subject: '/CN=ca-as-client/OU=operator', extensions: ['basicConstraints=critical,CA:TRUE', 'extendedKeyUsage=clientAuth'] } },
    { name: 'an OU hidden in a multi-valued RDN beside OU=platform', reason: 'CERT_OU_NOT_SINGLE', spec: { key: 'rsa:2048', subject: '/CN=x+OU=operator/OU=platform', multiValueRdn: true } },
    { name: 'two OUs in separate RDNs', reason: 'CERT_OU_NOT_SINGLE', spec: { key: 'rsa:2048', subject: '/CN=two/OU=operator/OU=platform' } },
    { name: 'no OU at all', reason: 'CERT_OU_NOT_SINGLE', spec: { key: 'rsa:2048', subject: '/CN=no-ou/O=QSen' } },
    { name: 'an RSA-1024 key', reason: 'CERT_KEY_TOO_WEAK', spec: { key: 'rsa:1024', subject: '/CN=small/OU=operator' } },
    { name: 'an Ed25519 key', reason: 'CERT_KEY_TYPE_NOT_ALLOWED', spec: { key: 'ed25519', subject: '/CN=ed/OU=operator' } },
    // (An EC P-224 client cannot even sign the TLS 1.2/1.3 handshake with Node's OpenSSL: it never presents its certificate.)
    // OpenSSL itself refuses SHA-1 but says only UNSPECIFIED; the policy names the reason.
    { name: 'a SHA-1 signature', reason: 'CERT_SIGNATURE_TOO_WEAK', spec: { key: 'rsa:2048', subject: '/CN=sha1/OU=operator', digest: 'sha1' } },
  ];
  for (const [i, c] of refused.entries()) {
    test(`${c.name} is refused before HTTP, logged and counted as ${c.reason}`, async (t) => {
      if (typeof openssl !== 'string') return t.skip(openssl.skip);
      const made = issueWithOpenssl(openssl, tmp.path, material.ca, { name: `refused-${i}`, ...c.spec });
      const before = await rejectedCount(metrics, c.reason);
      const logged = entries.length;
      // The client side must be allowed to present weak material at all (OpenSSL 3 refuses SHA-1 / small keys by default).
      const answer = await callWith(port, material.ca.certPem, made, '/v1/status', { ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.equal(typeof answer, 'string', `no HTTP answer expected, got ${String(answer)}`);
      await waitFor(async () => (await rejectedCount(metrics, c.reason)) === before + 1, { timeoutMs: 5000, what: `${c.reason} counted` });
      const line = entries.slice(logged).find((e) => e['message'] === 'tls connection refused');
      assert.equal(line?.['reason'], c.reason);
      assert.equal(line?.['level'], 'warn');
    });
  }

  for (const curve of ['P-256', 'P-384']) {
    test(`an EC ${curve} leaf certificate with one OU reaches HTTP with its role`, async (t) => {
      if (typeof openssl !== 'string') return t.skip(openssl.skip);
      const made = issueWithOpenssl(openssl, tmp.path, material.ca, { name: `ec-${curve}`, key: `ec:${curve}`, subject: '/CN=ec-client/OU=auditor', extensions: ['basicConstraints=critical,CA:FALSE', 'extendedKeyUsage=clientAuth'] });
      assert.equal(await callWith(port, material.ca.certPem, made), 200);
    });
  }

  test('an RSA-2048 SHA-384 certificate without basicConstraints is accepted', async (t) => {
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const made = issueWithOpenssl(openssl, tmp.path, material.ca, { name: 'rsa-sha384', key: 'rsa:2048', digest: 'sha384', subject: '/CN=plain/OU=operator' });
    assert.equal(await callWith(port, material.ca.certPem, made), 200);
  });

  test('judgeClientCertificate: literal cases of each rule', () => {
    const ok = { isCa: false, organizationalUnits: 1, keyType: 'rsa', keyBits: 2048, curve: undefined, signatureHash: 'sha256' };
    assert.equal(judgeClientCertificate(ok), undefined);
    assert.equal(judgeClientCertificate({ ...ok, isCa: true }), 'CERT_IS_CA');
    assert.equal(judgeClientCertificate({ ...ok, keyBits: 2047 }), 'CERT_KEY_TOO_WEAK');
    assert.equal(judgeClientCertificate({ ...ok, keyType: 'rsa-pss', keyBits: 4096 }), undefined);
    assert.equal(judgeClientCertificate({ ...ok, keyType: 'ec', keyBits: undefined, curve: 'secp521r1' }), undefined);
    assert.equal(judgeClientCertificate({ ...ok, keyType: 'ec', keyBits: undefined, curve: 'secp256k1' }), 'CERT_KEY_TOO_WEAK');
    assert.equal(judgeClientCertificate({ ...ok, keyType: 'dsa' }), 'CERT_KEY_TYPE_NOT_ALLOWED');
    assert.equal(judgeClientCertificate({ ...ok, keyType: 'ed25519' }), 'CERT_KEY_TYPE_NOT_ALLOWED');
    for (const hash of ['md5', 'sha1', 'sha224', 'unknown']) assert.equal(judgeClientCertificate({ ...ok, signatureHash: hash }), 'CERT_SIGNATURE_TOO_WEAK');
    for (const hash of CLIENT_CERTIFICATE_POLICY.hashes) assert.equal(judgeClientCertificate({ ...ok, signatureHash: hash }), undefined);
    assert.equal(judgeClientCertificate({ ...ok, organizationalUnits: 0 }), 'CERT_OU_NOT_SINGLE');
    assert.equal(judgeClientCertificate({ ...ok, organizationalUnits: 2 }), 'CERT_OU_NOT_SINGLE');
  });
});

describe('a change of the TLS material reaches open connections', () => {
  const tmp = makeTempDir('qsen-open-');
  const hold: Hold = { release: () => undefined, arrived: 0 };
  let material: ClusterMaterial;
  let server: MtlsServer;
  let metrics: TlsMetrics;
  let port = 0;

  before(async () => {
    material = makeCluster(tmp.path);
    metrics = createTlsMetrics(createMetricsRegistry(), 'open_tls_rejected_connections_total');
    server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app: makeApp(hold), logger, metrics, watchFiles: true });
    port = await server.listen(0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    tmp.remove();
  });

  /** Revokes `clients` by writing a new CRL (the watch picks it up); returns when it was written. */
  let crlNumber = 1;
  function revoke(...clients: Identity[]): number {
    crlNumber += 1;
    replaceFile(material.files.crl, createCrl(material.ca, clients.map((c) => ({ serial: serialOf(c.certPem), revokedAt: new Date(Date.now() - 1000) })), { crlNumber }));
    return Date.now();
  }

  test('keep-alive: after a revocation the next request on the kept-alive connection is refused within 2 s', async () => {
    const client = issueClient(material, { commonName: 'keep-alive operator', ou: 'operator' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: material.ca.certPem, cert: client.certPem, key: client.keyPem, servername: 'localhost' });
    try {
      const sockets = new Set<unknown>();
      const send = (): Promise<number | string> => new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port, path: '/v1/status', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('socket', (s) => sockets.add(s));
        req.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
        req.end();
      });
      assert.equal(await send(), 200);
      assert.equal(await send(), 200);
      assert.equal(sockets.size, 1, 'both requests used one kept-alive connection');
      const revokedAt = revoke(client);
      await waitFor(async () => (await send()) !== 200, { timeoutMs: 2000, intervalMs: 50, what: 'the revoked certificate refused on its kept-alive agent' });
      assert.ok(Date.now() - revokedAt <= 2000 + 500);
      assert.equal(server.trust.status().crlNumber, crlNumber);
    } finally {
      agent.destroy();
    }
  });

  test('a connection with a request in flight is cut when its certificate is revoked, and the cut is logged', async () => {
    const client = issueClient(material, { commonName: 'in-flight operator', ou: 'operator' });
    const logged = entries.length;
    const before = await rejectedCount(metrics, 'CERT_REVOKED');
    const arrived = hold.arrived;
    const inFlight = callWith(port, material.ca.certPem, { cert: client.certPem, key: client.keyPem }, '/v1/slow');
    await waitFor(() => hold.arrived === arrived + 1, { timeoutMs: 5000, what: 'the slow request to arrive' });
    revoke(client);
    const outcome = await Promise.race([inFlight, new Promise((resolve) => setTimeout(() => resolve('still open'), 4000).unref())]);
    assert.equal(outcome, 'ECONNRESET');
    const cut = entries.slice(logged).find((e) => e['message'] === 'tls connection refused' && e['open'] === true);
    assert.equal(cut?.['reason'], 'CERT_REVOKED');
    assert.equal(await rejectedCount(metrics, 'CERT_REVOKED'), before + 1);
    hold.release();
  });

  test('an open connection whose certificate the new CA did not issue is cut (CERT_ISSUER_NOT_TRUSTED)', async () => {
    const client = issueClient(material, { commonName: 'old-ca operator', ou: 'operator' });
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: material.ca.certPem, cert: client.certPem, key: client.keyPem });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    // A request that keeps the connection busy (never idle) while the CA changes.
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    const arrived = hold.arrived;
    socket.write('GET /v1/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await waitFor(() => hold.arrived === arrived + 1, { timeoutMs: 5000, what: 'the slow request to arrive' });
    const logged = entries.length;
    const newCa = createCa({ commonName: 'QSen replacement CA' });
    const newServer = issueServerCertificate(newCa, { commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] });
    writeFileSync(material.files.key, newServer.keyPem);
    replaceFile(material.files.cert, newServer.certPem);
    replaceFile(material.files.crl, createCrl(newCa, [], { crlNumber: 1 }));
    replaceFile(material.files.ca, newCa.certPem);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the connection stayed open')), 4000).unref())]);
    const cut = entries.slice(logged).find((e) => e['message'] === 'tls connection refused' && e['open'] === true);
    assert.equal(cut?.['reason'], 'CERT_ISSUER_NOT_TRUSTED');
    hold.release();
  });
});

describe('the TLS file watch', () => {
  const tmp = makeTempDir('qsen-watch2-');
  let material: ClusterMaterial;
  let server: MtlsServer;
  let port = 0;

  before(async () => {
    material = makeCluster(tmp.path);
    server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app: makeApp({ release: () => undefined, arrived: 0 }), logger, watchFiles: true });
    port = await server.listen(0, '127.0.0.1');
  });

  after(async () => {
    await server?.close();
    tmp.remove();
  });

  test('its worst case fits well inside the 2 s that qsen-pki revoke promises', () => {
    assert.ok(TLS_WATCH_WORST_CASE_MS * 2 <= TLS_CHANGE_IN_FORCE_MS, `${TLS_WATCH_WORST_CASE_MS} ms`);
    assert.equal(TLS_CHANGE_IN_FORCE_MS, 2000);
  });

  test('an in-place rewrite that keeps the size and the mtime is still picked up (content hash)', async () => {
    const client = issueClient(material, { commonName: 'same-size', ou: 'platform' });
    const identity = { cert: client.certPem, key: client.keyPem };
    // Two CRLs of the same size: numbers 10 and 11, the same (one) revoked entry of equal length.
    const other = issueClient(material, { commonName: 'decoy', ou: 'platform' });
    const first = createCrl(material.ca, [{ serial: serialOf(other.certPem), revokedAt: new Date(Date.now() - 1000) }], { crlNumber: 10 });
    replaceFile(material.files.crl, first);
    await waitFor(() => server.trust.status().crlNumber === 10, { timeoutMs: 2000, what: 'CRL 10 in force' });
    assert.equal(await callWith(port, material.ca.certPem, identity), 200);
    const stat = statSync(material.files.crl);
    const second = createCrl(material.ca, [{ serial: serialOf(client.certPem), revokedAt: new Date(Date.now() - 1000) }], { crlNumber: 11 });
    assert.equal(second.length, first.length);
    writeFileSync(material.files.crl, second); // same inode, same size
    utimesSync(material.files.crl, stat.atime, stat.mtime); // and the old mtime (cp -p, tar, rsync -t)
    await waitFor(() => server.trust.status().crlNumber === 11, { timeoutMs: 2000, what: 'CRL 11 in force' });
    assert.notEqual(await callWith(port, material.ca.certPem, identity), 200);
  });

  test('a broken file keeps the old material, is logged once and shown in status; the fixed file is then taken', async () => {
    const good = readFileSync(material.files.crl, 'utf8');
    const logged = entries.length;
    replaceFile(material.files.crl, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    await waitFor(() => server.trust.status().lastReloadError !== null, { timeoutMs: 2000, what: 'the failed reload' });
    assert.equal(server.trust.status().crlNumber, 11);
    const operator = issueClient(material, { commonName: 'still served', ou: 'operator' });
    assert.equal(await callWith(port, material.ca.certPem, { cert: operator.certPem, key: operator.keyPem }), 200);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // two more polls of the same broken content
    assert.equal(entries.slice(logged).filter((e) => e['message'] === 'tls reload failed, keeping the current certificates').length, 1);
    const fixed = createCrl(material.ca, [], { crlNumber: 12 });
    replaceFile(material.files.crl, fixed);
    await waitFor(() => server.trust.status().crlNumber === 12, { timeoutMs: 2000, what: 'CRL 12 in force' });
    assert.equal(server.trust.status().lastReloadError, null);
    assert.ok(good.length > 0);
  });

  test('watchFileContents: a change whose handler reports a transient failure is offered again at the next poll, then not again', async () => {
    const file = join(tmp.path, 'retried.txt');
    writeFileSync(file, 'one');
    const calls: number[] = [];
    const watch = watchFileContents([file], () => {
      calls.push(Date.now());
      return calls.length > 1; // the first attempt "failed" (e.g. EMFILE)
    }, { intervalMs: 50, settleMs: 10 });
    try {
      writeFileSync(file, 'two');
      await waitFor(() => calls.length === 2, { timeoutMs: 2000, what: 'the retry' });
      assert.equal(watch.check(), false);
      assert.equal(calls.length, 2);
    } finally {
      watch.close();
    }
  });

  test('watchFileContents without any folder watch (a folder that does not exist) still sees changes by polling', async () => {
    const file = join(tmp.path, 'polled.txt');
    writeFileSync(file, 'one');
    let changes = 0;
    const errors: string[] = [];
    const watch = watchFileContents([file, join(tmp.path, 'missing-folder', 'x')], () => { changes += 1; }, { intervalMs: 100, settleMs: 10, onWatchError: (folder) => errors.push(folder) });
    try {
      assert.deepEqual(errors, [join(tmp.path, 'missing-folder')]);
      writeFileSync(file, 'two');
      await waitFor(() => changes === 1, { timeoutMs: 2000, what: 'the change' });
      assert.equal(watch.check(), false, 'no second call for the same contents');
    } finally {
      watch.close();
    }
  });
});

describe('the watch through a read-only view of the TLS folder (systemd ProtectSystem=strict)', () => {
  test('a CRL written on the host is in force within 2 s for a server that sees the folder read-only', { timeout: 60_000 }, async (t) => {
    const unshare = requireTool('unshare', 'util-linux');
    if (typeof unshare !== 'string') return t.skip(unshare.skip);
    if (process.getuid?.() !== 0) {
      if (process.env['CI'] === 'true') throw new Error('mount namespaces need root; CI runs as root');
      console.error('\n!!! NOT ROOT: SKIPPING the read-only mount test (unshare -m needs root)\n');
      return t.skip('needs root for unshare -m');
    }
    const tmp = makeTempDir('qsen-readonly-');
    const material = makeCluster(tmp.path);
    const child = spawn(unshare, [
      '-m', '--propagation', 'private', 'sh', '-c',
      'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"',
      'sh', tmp.path, process.execPath, fileURLToPath(new URL('./fixtures/tls/readonly-server.js', import.meta.url)),
      material.files.ca, material.files.cert, material.files.key, material.files.crl,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    try {
      await waitFor(() => output.includes('"ready":true'), { timeoutMs: 20_000, what: `the read-only server to start: ${output}` });
      const ready = JSON.parse(output.split('\n').find((l) => l.includes('"ready":true')) ?? '{}') as { port: number; writable: string };
      assert.equal(ready.writable, 'EROFS', 'the server sees the folder read-only');
      const client = issueClient(material, { commonName: 'readonly operator', ou: 'operator' });
      const identity = { cert: client.certPem, key: client.keyPem };
      assert.equal(await callWith(ready.port, material.ca.certPem, identity), 200);
      replaceFile(material.files.crl, createCrl(material.ca, [{ serial: serialOf(client.certPem), revokedAt: new Date(Date.now() - 1000) }], { crlNumber: 2 }));
      const written = Date.now();
      await waitFor(() => output.includes('tls files reloaded'), { timeoutMs: 2000, intervalMs: 20, what: 'the reload inside the read-only view' });
      assert.ok(Date.now() - written <= 2000);
      assert.notEqual(await callWith(ready.port, material.ca.certPem, identity), 200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => { if (child.exitCode !== null) resolve(undefined); else child.once('exit', resolve); });
      tmp.remove();
    }
  });
});
