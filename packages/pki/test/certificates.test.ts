import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { requireTool, makeTempDir } from '@qsen/testkit';
import {
  createCa, issueServerCertificate, issueClientCertificate, describeCertificate, keyMatchesCertificate,
  PkiError, isSignedBy, type Identity,
} from '../src/index.js';
import { runOpenssl, writeTestFile } from './openssl.js';

describe('certificates', () => {
  const tmp = makeTempDir('qsen-pki-cert-');
  let ca: Identity;
  let otherCa: Identity;
  let server: Identity;
  let client: Identity;
  let serverOnlyClient: Identity;

  before(() => {
    ca = createCa({ commonName: 'QSen Test CA' });
    otherCa = createCa({ commonName: 'Other CA' });
    server = issueServerCertificate(ca, { commonName: 'qsen-node', hosts: ['localhost', '127.0.0.1', '::1', 'gw.example.com', '10.1.2.3'] });
    client = issueClientCertificate(ca, { commonName: 'qsen-platform', ou: 'platform' });
    serverOnlyClient = issueClientCertificate(ca, { commonName: 'not-a-client', ou: 'platform', extKeyUsage: ['serverAuth'] });
  });
  after(() => tmp.remove());

  it('generates RSA 2048 keys as unencrypted PKCS#8 PEM that match their certificates', () => {
    for (const identity of [ca, server, client]) {
      assert.match(identity.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      assert.doesNotMatch(identity.keyPem, /\r/);
      const x509 = new X509Certificate(identity.certPem);
      assert.equal(x509.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(keyMatchesCertificate(identity.keyPem, identity.certPem), true);
    }
    assert.equal(keyMatchesCertificate(client.keyPem, server.certPem), false);
  });

  it('signs every certificate with SHA-256 and uses random positive 16-byte serials', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const serials = new Set<string>();
    for (const [name, identity] of [['ca', ca], ['server', server], ['client', client]] as const) {
      const file = writeTestFile(tmp.path, `${name}-sig.crt`, identity.certPem);
      const text = runOpenssl(openssl, ['x509', '-in', file, '-noout', '-text']);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /Signature Algorithm: sha256WithRSAEncryption/);
      assert.doesNotMatch(text.stdout, /sha1With/i);
      const serial = describeCertificate(identity.certPem).serial;
      assert.match(serial, /^[1-7][0-9A-F]{31}$/);
      serials.add(serial);
    }
    assert.equal(serials.size, 3);
  });

  it('is accepted by openssl verify, with the purposes matching the extended key usage', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const caFile = writeTestFile(tmp.path, 'ca.crt', ca.certPem);
    const otherCaFile = writeTestFile(tmp.path, 'other-ca.crt', otherCa.certPem);
    const serverFile = writeTestFile(tmp.path, 'server.crt', server.certPem);
    const clientFile = writeTestFile(tmp.path, 'client.crt', client.certPem);
    const serverOnlyFile = writeTestFile(tmp.path, 'server-only.crt', serverOnlyClient.certPem);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, caFile]).status, 0);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-purpose', 'sslserver', serverFile]).status, 0);
    const good = runOpenssl(openssl, ['verify', '-CAfile', caFile, '-purpose', 'sslclient', clientFile]);
    assert.equal(good.status, 0, good.stderr);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-purpose', 'sslclient', serverFile]).status, 2);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-purpose', 'sslclient', serverOnlyFile]).status, 2);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', otherCaFile, clientFile]).status, 2);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-verify_hostname', 'gw.example.com', serverFile]).status, 0);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-verify_ip', '::1', serverFile]).status, 0);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-verify_hostname', 'evil.example.com', serverFile]).status, 2);
  });

  it('puts DNS names and IPv4/IPv6 addresses into the SAN and the role into the OU', () => {
    const x509 = new X509Certificate(server.certPem);
    assert.equal(x509.checkHost('localhost'), 'localhost');
    assert.equal(x509.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(x509.checkIP('::1'), '::1');
    assert.equal(x509.checkIP('10.1.2.3'), '10.1.2.3');
    assert.equal(x509.checkIssued(new X509Certificate(ca.certPem)), true);
    assert.equal(x509.verify(new X509Certificate(ca.certPem).publicKey), true);
    const info = describeCertificate(server.certPem);
    assert.deepEqual(info.subjectAltNames, ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', 'DNS:gw.example.com', 'IP:10.1.2.3']);
    assert.deepEqual(info.extKeyUsage, ['serverAuth']);
    const clientInfo = describeCertificate(client.certPem);
    assert.equal(clientInfo.subject, 'CN=qsen-platform,OU=platform,O=QSen');
    assert.equal(clientInfo.issuer, 'CN=QSen Test CA,O=QSen');
    assert.equal(clientInfo.organizationalUnit, 'platform');
    assert.deepEqual(clientInfo.extKeyUsage, ['clientAuth']);
    assert.equal(isSignedBy(client.certPem, ca.certPem), true);
    assert.equal(isSignedBy(client.certPem, otherCa.certPem), false);
  });

  it('describes validity, days left and the SHA-256 fingerprint exactly as Node computes them', () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2030-03-02T00:00:00Z');
    const dated = issueClientCertificate(ca, { commonName: 'dated', ou: 'auditor', notBefore, notAfter });
    const info = describeCertificate(dated.certPem, new Date('2030-01-01T12:00:00Z'));
    assert.equal(info.notBefore, '2030-01-01T00:00:00.000Z');
    assert.equal(info.notAfter, '2030-03-02T00:00:00.000Z');
    assert.equal(info.daysLeft, 59);
    assert.equal(info.fingerprintSha256, new X509Certificate(dated.certPem).fingerprint256);
    assert.equal(info.serial, new X509Certificate(dated.certPem).serialNumber);
  });

  it('describes certificates with non-RSA keys too, escaping commas in names', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const keyFile = join(tmp.path, 'ec.key');
    const made = runOpenssl(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile,
      '-subj', '/CN=Agent, Inc/OU=senebi-agent/O=BYMA', '-days', '30', '-addext', 'subjectAltName=DNS:senebi.example,IP:::1', '-addext', 'extendedKeyUsage=clientAuth']);
    assert.equal(made.status, 0, made.stderr);
    const info = describeCertificate(made.stdout);
    assert.equal(info.subject, 'CN=Agent\\, Inc,OU=senebi-agent,O=BYMA');
    assert.equal(info.organizationalUnit, 'senebi-agent');
    assert.deepEqual(info.subjectAltNames, ['DNS:senebi.example', 'IP:::1']);
    assert.deepEqual(info.extKeyUsage, ['clientAuth']);
    assert.equal(info.fingerprintSha256, new X509Certificate(made.stdout).fingerprint256);
    assert.equal(keyMatchesCertificate(readFileSync(keyFile, 'utf8'), made.stdout), true);
  });

  it('describes every name attribute, SAN kind and EKU in the form node-forge gave (the summary no longer uses it)', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const made = runOpenssl(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.path, 'forms.key'),
      '-subj', '/CN=Agent, Inc/OU=senebi-agent/O=BYMA/emailAddress=a@b.c/serialNumber=42/title=Dr/C=AR/ST=BA/L=CABA', '-days', '30', '-set_serial', '0xF123456789',
      '-addext', 'subjectAltName=DNS:x.example,IP:::1,IP:1:0:2:3:4:5:6:7,IP:fe80:0:0:1:0:0:0:1,IP:0:0:0:0:0:0:0:0,IP:1:0:0:0:0:0:0:0,URI:https://u.example,email:e@x.y,IP:10.0.0.1',
      '-addext', 'extendedKeyUsage=timeStamping,clientAuth,serverAuth,1.2.3.4']);
    assert.equal(made.status, 0, made.stderr);
    const info = describeCertificate(made.stdout);
    assert.equal(info.subject, 'CN=Agent\\, Inc,OU=senebi-agent,O=BYMA,L=CABA,ST=BA,C=AR,E=a@b.c,serialNumber=42,title=Dr');
    assert.equal(info.issuer, info.subject);
    assert.deepEqual(info.subjectAltNames, ['DNS:x.example', 'IP:::1', 'IP:1:0:2:3:4:5:6:7', 'IP:fe80:0:0:1::1', 'IP:::', 'IP:1::', '6:https://u.example', '1:e@x.y', 'IP:10.0.0.1']);
    assert.deepEqual(info.extKeyUsage, ['serverAuth', 'clientAuth', 'timeStamping']);
    assert.equal(info.serial, '00F123456789', 'the serial\'s DER bytes, sign pad included');
    const trusted = runOpenssl(openssl, ['x509', '-in', writeTestFile(tmp.path, 'forms.crt', made.stdout), '-trustout', '-addtrust', 'clientAuth']);
    assert.equal(trusted.status, 0, trusted.stderr);
    assert.throws(() => describeCertificate(trusted.stdout), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_CERTIFICATE', 'trust settings after the certificate are refused, as before');
  });

  it('describes a certificate with a private extension whose value is not DER (node-forge read only the extensions it knew)', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const made = runOpenssl(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.path, 'private-ext.key'),
      '-subj', '/CN=private-ext/OU=operator', '-days', '30', '-addext', '1.2.3.4=DER:01', '-addext', '1.2.3.5=DER:3005', '-addext', 'extendedKeyUsage=clientAuth']);
    assert.equal(made.status, 0, made.stderr);
    const info = describeCertificate(made.stdout);
    assert.equal(info.subject, 'CN=private-ext,OU=operator');
    assert.equal(info.organizationalUnit, 'operator');
    assert.deepEqual(info.extKeyUsage, ['clientAuth']);
  });

  it('describes a certificate with random bytes changed, cut or appended, or refuses it with INVALID_CERTIFICATE only', () => {
    const der = new X509Certificate(server.certPem).raw;
    const pem = (bytes: Buffer): string => `-----BEGIN CERTIFICATE-----\n${bytes.toString('base64')}\n-----END CERTIFICATE-----\n`;
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat({ max: der.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat({ max: der.length }), fc.uint8Array({ maxLength: 8 }),
      (edits, keep, tail) => {
        const bytes = Buffer.concat([der.subarray(0, keep), Buffer.from(tail)]);
        for (const [at, byte] of edits) if (at < bytes.length) bytes[at] = byte;
        try {
          const info = describeCertificate(pem(bytes));
          assert.equal(typeof info.subject, 'string');
          assert.ok(Number.isFinite(info.daysLeft));
        } catch (err) {
          assert.ok(err instanceof PkiError && err.code === 'INVALID_CERTIFICATE', `unexpected ${String(err)}`);
        }
      },
    ), { numRuns: 500 });
  });

  it('rejects bad input with PkiError codes', () => {
    assert.throws(() => issueServerCertificate(ca, { commonName: 'x', hosts: [] }), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_ARGUMENT');
    assert.throws(() => issueServerCertificate(ca, { commonName: 'x', hosts: ['bad host!'] }), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_ARGUMENT');
    assert.throws(() => issueClientCertificate({ certPem: ca.certPem, keyPem: otherCa.keyPem }, { commonName: 'x', ou: 'platform' }), (err: unknown) => err instanceof PkiError && err.code === 'CA_MISMATCH');
    assert.throws(() => describeCertificate('not a certificate'), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_CERTIFICATE');
    assert.throws(() => createCa({ commonName: 'x', validDays: 0 }), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_ARGUMENT');
  });

  it('completes a real mutual-TLS handshake with the server and client certificates', async () => {
    const tlsServer = createServer({
      cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
    }, (socket) => {
      const peer = socket.getPeerCertificate();
      socket.end(`hello ${String(peer.subject?.OU)}`);
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = tlsServer.address() as AddressInfo;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, cert: client.certPem, key: client.keyPem }, () => {
          assert.equal(socket.authorized, true);
        });
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => { text += chunk; });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.equal(answer, 'hello platform');
      const refused = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem, cert: serverOnlyClient.certPem, key: serverOnlyClient.keyPem });
        socket.on('data', () => resolve('data'));
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        socket.on('end', () => resolve('end'));
      });
      assert.notEqual(refused, 'data');
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });
});
