import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireTool, makeTempDir } from '@qsen/testkit';
import { createCa, issueClientCertificate, createCrl, describeCrl, describeCertificate, type Identity } from '../src/index.js';
import { runOpenssl, writeTestFile } from './openssl.js';

describe('certificate revocation lists', () => {
  const tmp = makeTempDir('qsen-pki-crl-');
  let ca: Identity;
  let revokedClient: Identity;
  let goodClient: Identity;

  before(() => {
    ca = createCa({ commonName: 'QSen CRL CA' });
    revokedClient = issueClientCertificate(ca, { commonName: 'qsen-operator', ou: 'operator' });
    goodClient = issueClientCertificate(ca, { commonName: 'qsen-auditor', ou: 'auditor' });
  });
  after(() => tmp.remove());

  it('makes a v2 SHA-256 CRL that openssl reads, with the CRL number, AKI and revoked serials', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const serial = describeCertificate(revokedClient.certPem).serial;
    const crl = createCrl(ca, [{ serial, revokedAt: new Date('2026-01-02T03:04:05Z') }], { crlNumber: 42, nextUpdateDays: 30 });
    assert.match(crl, /^-----BEGIN X509 CRL-----\n/);
    const file = writeTestFile(tmp.path, 'crl.pem', crl);
    const caFile = writeTestFile(tmp.path, 'ca.crt', ca.certPem);
    const text = runOpenssl(openssl, ['crl', '-in', file, '-noout', '-text']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /Version 2 \(0x1\)/);
    assert.match(text.stdout, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text.stdout, /X509v3 CRL Number: \n\s+42/);
    assert.match(text.stdout, /Authority Key Identifier/);
    assert.match(text.stdout, new RegExp(`Serial Number: ${serial}`));
    assert.match(text.stdout, /Revocation Date: Jan {2}2 03:04:05 2026 GMT/);
    const verified = runOpenssl(openssl, ['crl', '-in', file, '-noout', '-CAfile', caFile]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr + verified.stdout, /verify OK/);
  });

  it('makes openssl verify -crl_check refuse the revoked certificate and accept the other', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const serial = describeCertificate(revokedClient.certPem).serial;
    const crlFile = writeTestFile(tmp.path, 'crl2.pem', createCrl(ca, [{ serial, revokedAt: new Date() }], { crlNumber: 2 }));
    const caFile = writeTestFile(tmp.path, 'ca2.crt', ca.certPem);
    const revokedFile = writeTestFile(tmp.path, 'revoked.crt', revokedClient.certPem);
    const goodFile = writeTestFile(tmp.path, 'good.crt', goodClient.certPem);
    const refused = runOpenssl(openssl, ['verify', '-CAfile', caFile, '-crl_check', '-CRLfile', crlFile, '-purpose', 'sslclient', revokedFile]);
    assert.equal(refused.status, 2);
    assert.match(refused.stdout + refused.stderr, /certificate revoked/);
    const accepted = runOpenssl(openssl, ['verify', '-CAfile', caFile, '-crl_check', '-CRLfile', crlFile, '-purpose', 'sslclient', goodFile]);
    assert.equal(accepted.status, 0, accepted.stdout + accepted.stderr);
  });

  it('makes an empty CRL that openssl accepts for -crl_check', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const crl = createCrl(ca, []);
    const file = writeTestFile(tmp.path, 'empty.pem', crl);
    const text = runOpenssl(openssl, ['crl', '-in', file, '-noout', '-text']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /No Revoked Certificates/);
    const caFile = writeTestFile(tmp.path, 'ca3.crt', ca.certPem);
    const goodFile = writeTestFile(tmp.path, 'good3.crt', goodClient.certPem);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', caFile, '-crl_check', '-CRLfile', file, goodFile]).status, 0);
  });

  it('reads back dates, number and serials, including serials with the high bit set', () => {
    const now = new Date('2027-06-01T00:00:00Z');
    const crl = createCrl(ca, [
      { serial: 'ff01', revokedAt: new Date('2027-05-01T00:00:00Z') },
      { serial: '00:0A:BC', revokedAt: new Date('2060-05-01T00:00:00Z') },
    ], { crlNumber: 9, nextUpdateDays: 10, now });
    const info = describeCrl(crl);
    assert.equal(info.crlNumber, 9);
    assert.equal(info.nextUpdate?.toISOString(), '2027-06-11T00:00:00.000Z');
    assert.ok(info.thisUpdate.getTime() <= now.getTime());
    assert.deepEqual(info.revoked.map((r) => r.serial), ['FF01', 'ABC']);
    assert.equal(info.revoked[1]?.revokedAt.toISOString(), '2060-05-01T00:00:00.000Z');
  });
});
