// @qsen/pki/verify: the forge-free readers the nodes' TLS gate uses, checked against CRLs and
// certificates made by openssl, against hostile bytes, and for what the entry loads.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { makeTempDir, requireTool, PACKAGE_TRACE_REGISTER, readPackageTrace } from '@qsen/testkit';
import { describeCrl, normalizeSerial, organizationalUnitsOf, PkiError, readCertificateStructure } from '../src/verify.js';

const tmp = makeTempDir('qsen-pki-verify-');
after(() => tmp.remove());

/** Runs openssl and fails the test with its stderr when it fails. */
function ossl(tool: string, args: string[], cwd = tmp.path): string {
  const run = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, `openssl ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

describe('@qsen/pki/verify against openssl', () => {
  let openssl: string | undefined;
  before(() => {
    const found = requireTool('openssl');
    if (typeof found === 'string') openssl = found;
  });

  it('reads a CRL made by `openssl ca -gencrl`: number, dates, revoked serials (high bit, long, small)', (t) => {
    if (openssl === undefined) return t.skip('openssl missing');
    const dir = join(tmp.path, 'ca');
    ossl(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(tmp.path, 'ca.key'), '-out', join(tmp.path, 'ca.crt'), '-subj', '/CN=openssl CA', '-days', '30']);
    spawnSync('mkdir', ['-p', dir]);
    // An index.txt that revokes three serials (one with the high bit set, one 20 bytes long, one small).
    const serials = ['80F1', '7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', '0A'];
    writeFileSync(join(dir, 'index.txt'), serials.map((s, i) => `R\t300101000000Z\t26010${i + 1}120000Z\t${s}\tunknown\t/CN=client${i}\n`).join(''));
    writeFileSync(join(dir, 'crlnumber'), '1A2B\n');
    writeFileSync(join(dir, 'openssl.cnf'), [
      '[ca]', 'default_ca = d', '[d]', `database = ${join(dir, 'index.txt')}`, `crlnumber = ${join(dir, 'crlnumber')}`,
      `certificate = ${join(tmp.path, 'ca.crt')}`, `private_key = ${join(tmp.path, 'ca.key')}`, 'default_md = sha256', 'default_crl_days = 7', '',
    ].join('\n'));
    ossl(openssl, ['ca', '-gencrl', '-config', join(dir, 'openssl.cnf'), '-out', join(tmp.path, 'openssl.crl')]);
    const pem = ossl(openssl, ['crl', '-in', join(tmp.path, 'openssl.crl')]);
    const text = ossl(openssl, ['crl', '-in', join(tmp.path, 'openssl.crl'), '-noout', '-text']);
    const info = describeCrl(pem);
    assert.equal(info.crlNumber, 0x1a2b);
    // The entries as openssl prints them, in the CRL's order.
    const printed = [...text.matchAll(/Serial Number: ([0-9A-F]+)\s+Revocation Date: (.+)/g)].map((m) => ({ serial: normalizeSerial(m[1] ?? ''), at: Date.parse(m[2] ?? '') }));
    assert.equal(printed.length, 3);
    assert.deepEqual(info.revoked.map((r) => ({ serial: r.serial, at: r.revokedAt.getTime() })), printed);
    assert.deepEqual(new Set(info.revoked.map((r) => r.serial)), new Set(serials.map(normalizeSerial)));
    const revokedAt = new Map(info.revoked.map((r) => [r.serial, r.revokedAt.toISOString()]));
    assert.equal(revokedAt.get('80F1'), '2026-01-01T12:00:00.000Z');
    assert.equal(revokedAt.get('A'), '2026-01-03T12:00:00.000Z');
    const last = /Last Update: (.+)/.exec(text)?.[1];
    const next = /Next Update: (.+)/.exec(text)?.[1];
    assert.equal(info.thisUpdate.getTime(), Date.parse(last ?? ''));
    assert.equal(info.nextUpdate?.getTime(), Date.parse(next ?? ''));
    // The issuer bytes are the CA's subject as encoded in its certificate.
    const caDer = new X509Certificate(ossl(openssl, ['x509', '-in', join(tmp.path, 'ca.crt')])).raw;
    assert.ok(caDer.toString('binary').includes(info.issuerDer));
  });

  it('reads subjects and signature hashes of openssl certificates: multi-valued RDN, UTF-8, EC, RSA-PSS, Ed25519', (t) => {
    if (openssl === undefined) return t.skip('openssl missing');
    const make = (name: string, keyArgs: string[], subject: string, extra: string[] = []): Buffer => {
      ossl(openssl as string, ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(tmp.path, `${name}.key`), '-out', join(tmp.path, `${name}.crt`), '-subj', subject, '-multivalue-rdn', '-utf8', '-days', '2', ...extra]);
      return new X509Certificate(ossl(openssl as string, ['x509', '-in', join(tmp.path, `${name}.crt`)])).raw;
    };
    const multi = readCertificateStructure(make('multi', ['-newkey', 'rsa:2048'], '/O=QSen/CN=alice+OU=operator/OU=auditor'));
    assert.deepEqual(multi.subject.map((rdn) => rdn.map((a) => `${a.type}=${a.value}`)), [['O=QSen'], ['CN=alice', 'OU=operator'], ['OU=auditor']]);
    assert.deepEqual(organizationalUnitsOf(multi), ['operator', 'auditor']);
    assert.equal(multi.signatureHash, 'sha256');
    const utf = readCertificateStructure(make('utf', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384'], '/CN=Núñez €/OU=platform/emailAddress=a@b.c'));
    assert.deepEqual(utf.subject.flat().map((a) => [a.type, a.value]), [['CN', 'Núñez €'], ['OU', 'platform'], ['emailAddress', 'a@b.c']]);
    assert.equal(utf.signatureHash, 'sha384');
    const pss = readCertificateStructure(make('pss', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048', '-sigopt', 'rsa_padding_mode:pss', '-sha512'], '/CN=pss'));
    assert.equal(pss.signatureAlgorithmOid, '1.2.840.113549.1.1.10');
    assert.equal(pss.signatureHash, 'sha512');
    const ed = readCertificateStructure(make('ed', ['-newkey', 'ed25519'], '/CN=ed/OU=x'));
    assert.equal(ed.signatureHash, 'none');
    const sha1 = readCertificateStructure(make('sha1', ['-newkey', 'rsa:2048', '-sha1'], '/CN=weak'));
    assert.equal(sha1.signatureHash, 'sha1');
  });
});

describe('@qsen/pki/verify on hostile bytes', () => {
  it('answers PkiError, never another error, for random and truncated input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      try { readCertificateStructure(bytes); } catch (err) { assert.ok(err instanceof PkiError && err.code === 'INVALID_CERTIFICATE', String(err)); }
      const pem = `-----BEGIN X509 CRL-----\n${Buffer.from(bytes).toString('base64')}\n-----END X509 CRL-----\n`;
      try { describeCrl(pem); } catch (err) { assert.ok(err instanceof PkiError, String(err)); }
    }), { numRuns: 2000 });
    // Every truncation of a real DER element.
    const der = Buffer.from('3082010a02820101', 'hex');
    for (let n = 0; n < der.length; n++) assert.throws(() => readCertificateStructure(der.subarray(0, n)), PkiError);
    assert.throws(() => describeCrl('no PEM here'), PkiError);
  });
});

describe('@qsen/pki/verify entry', () => {
  it('loads no node-forge (a node that only checks certificates never carries it)', () => {
    const trace = join(tmp.path, 'trace.txt');
    const entry = new URL('../src/verify.js', import.meta.url).href;
    const root = new URL('../src/index.js', import.meta.url).href;
    const run = (url: string): Set<string> => {
      writeFileSync(trace, '');
      const r = spawnSync(process.execPath, ['--import', PACKAGE_TRACE_REGISTER, '--input-type=module', '-e', `await import(${JSON.stringify(url)});`], {
        env: { ...process.env, QSEN_PACKAGE_TRACE: trace }, encoding: 'utf8', timeout: 30_000,
      });
      assert.equal(r.status, 0, r.stderr);
      return readPackageTrace(trace);
    };
    assert.ok(!run(entry).has('node-forge'), 'the verify entry loaded node-forge');
    assert.ok(!run(new URL('../src/inspect.js', import.meta.url).href).has('node-forge'), 'the inspect entry loaded node-forge');
    assert.ok(run(root).has('node-forge'), 'the trace sees node-forge where it is loaded (the package root)');
  });
});
