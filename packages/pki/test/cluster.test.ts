import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { gencrlWithOpenssl, requireTool, makeTempDir } from '@qsen/testkit';
import {
  initClusterPki, issueClientIdentity, revokeCertificate, renewIdentity, renewCrl, listRevoked, describeCertificate,
  createCrl, describeCrl, decryptPrivateKey, keyMatchesCertificate, mergeRevocations, PkiError, CLUSTER_PKI_FILES,
} from '../src/index.js';
import { runOpenssl } from './openssl.js';

const isCode = (code: string) => (err: unknown): boolean => err instanceof PkiError && err.code === code;

/** Every file under `dir` with its bytes, keyed by relative path. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.set(relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

const mode = (path: string): number => statSync(path).mode & 0o777;

const LAYOUT = [
  'pki/ca.crt', 'pki/ca.key', 'pki/crl.pem', 'pki/revoked.json', 'pki/server.crt', 'pki/server.key',
  'pki/clients/platform.crt', 'pki/clients/platform.key', 'pki/clients/operator.crt', 'pki/clients/operator.key',
  'pki/clients/auditor.crt', 'pki/clients/auditor.key',
  'senebi/ca.crt', 'senebi/ca.key', 'senebi/server.crt', 'senebi/server.key', 'senebi/agent.crt', 'senebi/agent.key.enc', 'senebi/passphrase',
];

// One state folder is generated for the whole file (key generation dominates the run time); tests that change
// files work on copies of it.
const tmp = makeTempDir('qsen-pki-cluster-');
const template = join(tmp.path, 'template');
const made = new Date();
let firstReport: ReturnType<typeof initClusterPki>;
before(() => {
  firstReport = initClusterPki(template, { hosts: ['gw.example.com', '192.0.2.10'], senebiPassphrase: 'chosen passphrase 0123456789', now: made });
});
after(() => tmp.remove());

/** A fresh copy of the initialized state folder (copying keeps the modes and is much faster than new keys). */
function freshHome(name: string): string {
  const home = join(tmp.path, name);
  cpSync(template, home, { recursive: true });
  return home;
}

describe('cluster layout (initClusterPki)', () => {
  const home = template;

  it('creates every file of the layout, reporting each as created', () => {
    assert.deepEqual([...firstReport.created].sort(), [...LAYOUT].sort());
    assert.deepEqual(firstReport.kept, []);
    assert.deepEqual([...snapshot(home).keys()].sort(), [...LAYOUT].sort());
  });

  it('gives private keys and the passphrase mode 0600, certificates 0644 and the folders 0700', () => {
    for (const rel of LAYOUT) {
      const expected = /\.key(\.enc)?$|passphrase$/.test(rel) ? 0o600 : 0o644;
      assert.equal(mode(join(home, rel)), expected, rel);
    }
    for (const dir of ['pki', 'pki/clients', 'senebi']) assert.equal(mode(join(home, dir)), 0o700, dir);
    assert.equal(mode(home), 0o750);
  });

  it('keeps every file byte-identical on a second run', () => {
    const before = snapshot(home);
    const report = initClusterPki(home, { hosts: ['gw.example.com', '192.0.2.10'] });
    assert.deepEqual(report.created, []);
    assert.equal(mode(home), 0o750);
    assert.deepEqual([...report.kept].sort(), [...LAYOUT].sort());
    const afterRun = snapshot(home);
    assert.equal(afterRun.size, before.size);
    for (const [rel, bytes] of before) assert.ok(afterRun.get(rel)?.equals(bytes), `${rel} changed`);
  });

  it('issues the roles, the server SANs and the SENEBI identities as the contract says', () => {
    for (const role of ['platform', 'operator', 'auditor']) {
      const info = describeCertificate(readFileSync(join(home, `pki/clients/${role}.crt`), 'utf8'));
      assert.equal(info.subject, `CN=qsen-${role},OU=${role},O=QSen`);
      assert.deepEqual(info.extKeyUsage, ['clientAuth']);
    }
    const server = describeCertificate(readFileSync(join(home, 'pki/server.crt'), 'utf8'));
    assert.deepEqual(server.subjectAltNames, ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', 'DNS:gw.example.com', 'IP:192.0.2.10']);
    const simulator = describeCertificate(readFileSync(join(home, 'senebi/server.crt'), 'utf8'));
    assert.deepEqual(simulator.subjectAltNames, ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
    const agentCert = readFileSync(join(home, 'senebi/agent.crt'), 'utf8');
    const agent = describeCertificate(agentCert);
    assert.equal(agent.subject.startsWith('CN=agent-test-identity,OU=senebi-agent'), true);
    const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8');
    assert.equal(passphrase, 'chosen passphrase 0123456789');
    const key = decryptPrivateKey(readFileSync(join(home, 'senebi/agent.key.enc'), 'utf8'), passphrase);
    assert.equal(keyMatchesCertificate(key, agentCert), true);
    assert.deepEqual(listRevoked(home), { crlNumber: 1, revoked: [] });
    assert.equal(describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8')).crlNumber, 1);
  });

  it('is accepted by openssl: chains, purposes, empty CRL and the encrypted agent key with its passphrase file', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const p = (rel: string): string => join(home, rel);
    const clients = ['platform', 'operator', 'auditor'].map((r) => p(`pki/clients/${r}.crt`));
    const ok = runOpenssl(openssl, ['verify', '-CAfile', p('pki/ca.crt'), '-crl_check', '-CRLfile', p('pki/crl.pem'), '-purpose', 'sslclient', ...clients]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', p('pki/ca.crt'), '-purpose', 'sslserver', p('pki/server.crt')]).status, 0);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', p('senebi/ca.crt'), '-purpose', 'sslserver', p('senebi/server.crt')]).status, 0);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', p('senebi/ca.crt'), '-purpose', 'sslclient', p('senebi/agent.crt')]).status, 0);
    assert.equal(runOpenssl(openssl, ['verify', '-CAfile', p('pki/ca.crt'), p('senebi/agent.crt')]).status, 2);
    const key = runOpenssl(openssl, ['pkey', '-in', p('senebi/agent.key.enc'), '-passin', `file:${p('senebi/passphrase')}`, '-noout']);
    assert.equal(key.status, 0, key.stderr);
  });
});

describe('cluster layout repairs', () => {
  it('fills in a missing certificate for a key that is still there, keeping the key', () => {
    const home = freshHome('fill');
    const keyBefore = readFileSync(join(home, 'pki/clients/auditor.key'));
    const agentKeyBefore = readFileSync(join(home, 'senebi/agent.key.enc'));
    unlinkSync(join(home, 'pki/clients/auditor.crt'));
    unlinkSync(join(home, 'senebi/agent.crt'));
    const report = initClusterPki(home);
    assert.deepEqual([...report.created].sort(), ['pki/clients/auditor.crt', 'senebi/agent.crt']);
    assert.ok(readFileSync(join(home, 'pki/clients/auditor.key')).equals(keyBefore));
    assert.ok(readFileSync(join(home, 'senebi/agent.key.enc')).equals(agentKeyBefore));
    assert.equal(keyMatchesCertificate(keyBefore.toString(), readFileSync(join(home, 'pki/clients/auditor.crt'), 'utf8')), true);
  });

  it('refuses a certificate without its key, and an agent key without its passphrase, instead of replacing anything', () => {
    const home = freshHome('refuse');
    unlinkSync(join(home, 'pki/server.key'));
    assert.throws(() => initClusterPki(home), isCode('INCOMPLETE_IDENTITY'));
    const other = freshHome('refuse2');
    unlinkSync(join(other, 'senebi/passphrase'));
    assert.throws(() => initClusterPki(other), isCode('INCOMPLETE_IDENTITY'));
    writeFileSync(join(other, 'senebi/passphrase'), 'not-the-passphrase\n', { mode: 0o600 });
    assert.throws(() => initClusterPki(join(tmp.path, 'spaces'), { senebiPassphrase: ' padded ' }), isCode('INVALID_ARGUMENT'));
    assert.throws(() => initClusterPki(other), isCode('WRONG_PASSPHRASE'));
  });

  it('makes only pki/ with includeSenebi false (production: BYMA provides the SENEBI side)', () => {
    const home = join(tmp.path, 'cluster-only');
    cpSync(join(template, 'pki'), join(home, 'pki'), { recursive: true });
    const report = initClusterPki(home, { includeSenebi: false });
    assert.deepEqual(report.created, []);
    assert.deepEqual([...report.kept].sort(), LAYOUT.filter((rel) => rel.startsWith('pki/')).sort());
    assert.deepEqual([...snapshot(home).keys()].filter((rel) => rel.startsWith('senebi/')), []);
  });

  it('rewrites a CRL that is close to its nextUpdate with the next CRL number', () => {
    const home = freshHome('crl');
    const kept = initClusterPki(home, { now: new Date(made.getTime() + 270 * 86_400_000) });
    assert.ok(kept.kept.includes(CLUSTER_PKI_FILES.crl));
    const late = new Date(made.getTime() + 345 * 86_400_000);
    const report = initClusterPki(home, { now: late });
    assert.deepEqual([...report.created].sort(), ['pki/crl.pem', 'pki/revoked.json']);
    const info = describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8'));
    assert.equal(info.crlNumber, 2);
    assert.ok((info.nextUpdate?.getTime() ?? 0) > late.getTime() + 300 * 86_400_000);
    assert.equal(renewCrl(home, { now: late }).crlNumber, 3);
  });
});

describe('client identities, revocation and renewal', () => {
  let home = '';
  before(() => { home = freshHome('ops'); });

  it('issues a named client identity with its role, refuses to overwrite it, and writes a PKCS#12 on request', (t) => {
    const issued = issueClientIdentity(home, 'operator', 'alice', { p12Password: 'p12-secret' });
    assert.equal(issued.certPath, 'pki/clients/alice.crt');
    assert.equal(issued.p12Path, 'pki/clients/alice.p12');
    assert.equal(mode(join(home, 'pki/clients/alice.key')), 0o600);
    assert.equal(mode(join(home, 'pki/clients/alice.p12')), 0o600);
    const info = describeCertificate(readFileSync(join(home, issued.certPath), 'utf8'));
    assert.equal(info.subject, 'CN=alice,OU=operator,O=QSen');
    assert.equal(info.serial, issued.serial);
    assert.throws(() => issueClientIdentity(home, 'operator', 'alice'), isCode('ALREADY_EXISTS'));
    assert.throws(() => issueClientIdentity(home, 'operator', '../evil'), isCode('INVALID_ARGUMENT'));
    assert.throws(() => issueClientIdentity(home, 'root' as 'operator', 'bob'), isCode('INVALID_ARGUMENT'));
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const opened = runOpenssl(openssl, ['pkcs12', '-in', join(home, 'pki/clients/alice.p12'), '-nokeys', '-passin', 'pass:p12-secret']);
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /subject=CN = alice, OU = operator, O = QSen/);
  });

  it('revokes by certificate and by serial: the CRL number grows, openssl refuses the revoked one only', (t) => {
    const operatorPem = readFileSync(join(home, 'pki/clients/operator.crt'), 'utf8');
    const first = revokeCertificate(home, operatorPem);
    assert.deepEqual({ crlNumber: first.crlNumber, alreadyRevoked: first.alreadyRevoked }, { crlNumber: 2, alreadyRevoked: false });
    assert.equal(first.serial, describeCertificate(operatorPem).serial);
    const again = revokeCertificate(home, first.serial.toLowerCase());
    assert.deepEqual({ crlNumber: again.crlNumber, alreadyRevoked: again.alreadyRevoked }, { crlNumber: 2, alreadyRevoked: true });
    const bySerial = revokeCertificate(home, '01:23:45');
    assert.equal(bySerial.crlNumber, 3);
    const record = listRevoked(home);
    assert.deepEqual(record.revoked.map((e) => e.serial), [first.serial, '12345']);
    assert.equal(record.revoked[0]?.subject, 'CN=qsen-operator,OU=operator,O=QSen');
    const crl = describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8'));
    assert.equal(crl.crlNumber, 3);
    assert.deepEqual(crl.revoked.map((e) => e.serial), [first.serial, '12345']);
    assert.throws(() => revokeCertificate(home, 'not-hex'), isCode('INVALID_ARGUMENT'));
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const args = (rel: string): string[] => ['verify', '-CAfile', join(home, 'pki/ca.crt'), '-crl_check', '-CRLfile', join(home, 'pki/crl.pem'), join(home, rel)];
    const refused = runOpenssl(openssl, args('pki/clients/operator.crt'));
    assert.equal(refused.status, 2);
    assert.match(refused.stdout + refused.stderr, /certificate revoked/);
    assert.equal(runOpenssl(openssl, args('pki/clients/platform.crt')).status, 0);
  });

  it('makes a Node TLS server with the CRL refuse the revoked client and accept the others', async () => {
    const read = (rel: string): string => readFileSync(join(home, rel), 'utf8');
    const server = createServer({
      cert: read('pki/server.crt'), key: read('pki/server.key'), ca: read('pki/ca.crt'), crl: read('pki/crl.pem'),
      requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
    }, (socket) => socket.end('welcome'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const attempt = (role: string): Promise<string> => new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: read('pki/ca.crt'), cert: read(`pki/clients/${role}.crt`), key: read(`pki/clients/${role}.key`) });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => { text += chunk; });
      socket.on('end', () => resolve(text || 'closed'));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code ?? ''}`));
    });
    try {
      assert.equal(await attempt('platform'), 'welcome');
      assert.equal(await attempt('auditor'), 'welcome');
      assert.notEqual(await attempt('operator'), 'welcome');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('renews the server certificate with the same SANs plus new hosts, archiving the old pair', () => {
    const oldPem = readFileSync(join(home, 'pki/server.crt'), 'utf8');
    const result = renewIdentity(home, 'server', { hosts: ['new.example.com'] });
    const old = describeCertificate(oldPem);
    assert.equal(result.oldSerial, old.serial);
    assert.notEqual(result.newSerial, old.serial);
    assert.deepEqual(result.archived, [`pki/archive/server-${old.serial}.crt`, `pki/archive/server-${old.serial}.key`]);
    assert.equal(readFileSync(join(home, result.archived[0] ?? ''), 'utf8'), oldPem);
    assert.equal(mode(join(home, result.archived[1] ?? '')), 0o600);
    const fresh = describeCertificate(readFileSync(join(home, 'pki/server.crt'), 'utf8'));
    assert.deepEqual(fresh.subjectAltNames, ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', 'DNS:gw.example.com', 'IP:192.0.2.10', 'DNS:new.example.com']);
    assert.equal(keyMatchesCertificate(readFileSync(join(home, 'pki/server.key'), 'utf8'), readFileSync(join(home, 'pki/server.crt'), 'utf8')), true);
    assert.equal(mode(join(home, 'pki/server.key')), 0o600);
  });

  it('renews a client identity keeping its role, revoking the old one on request', () => {
    const oldPem = readFileSync(join(home, 'pki/clients/alice.crt'), 'utf8');
    const result = renewIdentity(home, 'alice', { revokeOld: true });
    assert.equal(result.oldRevoked, true);
    assert.ok(result.archived.includes(`pki/archive/alice-${result.oldSerial}.p12`));
    const fresh = describeCertificate(readFileSync(join(home, 'pki/clients/alice.crt'), 'utf8'));
    assert.equal(fresh.subject, 'CN=alice,OU=operator,O=QSen');
    assert.ok(listRevoked(home).revoked.some((e) => e.serial === describeCertificate(oldPem).serial));
    assert.throws(() => renewIdentity(home, 'nobody'), isCode('NOT_FOUND'));
  });
});

describe('no rebuild of the CRL drops a revocation', () => {
  /** A state folder whose crl.pem was made by `openssl ca -gencrl` (CRL number 7), revoking the operator and a bare serial. */
  function homeWithOpensslCrl(name: string, openssl: string): { home: string; operatorSerial: string } {
    const home = freshHome(name);
    const read = (rel: string): string => readFileSync(join(home, rel), 'utf8');
    const operatorSerial = describeCertificate(read('pki/clients/operator.crt')).serial;
    const work = join(tmp.path, `${name}-openssl`);
    mkdirSync(work);
    const crl = gencrlWithOpenssl(openssl, work, { certPem: read('pki/ca.crt'), keyPem: read('pki/ca.key') }, { revokedSerials: [operatorSerial, 'C0FFEE'], crlNumber: 7 });
    writeFileSync(join(home, 'pki/crl.pem'), crl);
    return { home, operatorSerial };
  }

  it('init keeps every revocation of a CRL made by openssl ca -gencrl, and its number only grows', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const { home, operatorSerial } = homeWithOpensslCrl('gencrl-init', openssl);
    assert.equal(describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8')).crlNumber, 7);
    initClusterPki(home); // what npm start / npm run init do
    const crl = describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8'));
    assert.deepEqual(crl.revoked.map((r) => r.serial).sort(), [operatorSerial, 'C0FFEE'].sort());
    assert.equal(crl.crlNumber, 8);
    assert.deepEqual(listRevoked(home).revoked.map((e) => e.serial).sort(), [operatorSerial, 'C0FFEE'].sort());
    // openssl itself still refuses the operator with the rebuilt CRL.
    const refused = runOpenssl(openssl, ['verify', '-CAfile', join(home, 'pki/ca.crt'), '-crl_check', '-CRLfile', join(home, 'pki/crl.pem'), join(home, 'pki/clients/operator.crt')]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /certificate revoked/);
    // A second init changes nothing.
    const again = initClusterPki(home);
    assert.ok(again.kept.includes(CLUSTER_PKI_FILES.crl));
    assert.equal(describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8')).crlNumber, 8);
  });

  it('revoke and crl --renew over an openssl CRL keep its revocations beside the new one', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const { home, operatorSerial } = homeWithOpensslCrl('gencrl-revoke', openssl);
    const again = revokeCertificate(home, operatorSerial);
    assert.equal(again.alreadyRevoked, true, 'a serial the CRL lists is already revoked');
    const result = revokeCertificate(home, readFileSync(join(home, 'pki/clients/auditor.crt'), 'utf8'));
    assert.ok(result.crlNumber > 7);
    const renewed = renewCrl(home);
    assert.equal(renewed.crlNumber, result.crlNumber + 1);
    const crl = describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8'));
    assert.deepEqual(crl.revoked.map((r) => r.serial).sort(), [operatorSerial, 'C0FFEE', result.serial].sort());
  });

  it('a CRL of another CA is not merged, and its number is still exceeded', () => {
    const home = freshHome('foreign-crl');
    writeFileSync(join(home, 'pki/crl.pem'), foreignCrl());
    initClusterPki(home);
    const crl = describeCrl(readFileSync(join(home, 'pki/crl.pem'), 'utf8'));
    assert.deepEqual(crl.revoked, []);
    assert.equal(crl.crlNumber, 41);
  });

  it('mergeRevocations over 500 random record/CRL pairs: never loses a serial, never repeats one, never lowers the number', () => {
    let state = 0x2545f491;
    const next = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const serial = (): string => ['0', '00', ''][next(3)] + (next(64) + 1).toString(16)[next(2) === 0 ? 'toUpperCase' : 'toLowerCase']();
    for (let round = 0; round < 500; round += 1) {
      const record = { crlNumber: next(20), revoked: Array.from({ length: next(6) }, () => ({ serial: serial().replace(/^0+/, '').toUpperCase() || '1', revokedAt: '2026-01-01T00:00:00.000Z' })) };
      record.revoked = record.revoked.filter((e, i) => record.revoked.findIndex((o) => o.serial === e.serial) === i);
      const crl = { crlNumber: next(3) === 0 ? undefined : next(20), revoked: Array.from({ length: next(6) }, () => ({ serial: serial(), revokedAt: new Date('2026-02-01T00:00:00Z') })) };
      const merged = mergeRevocations(record, crl);
      const canonical = (s: string): string => s.replace(/^0+/, '').toUpperCase() || '0';
      const serials = merged.revoked.map((e) => canonical(e.serial));
      assert.equal(new Set(serials).size, serials.length, 'no serial twice');
      for (const e of [...record.revoked, ...crl.revoked]) assert.ok(serials.includes(canonical(e.serial)), `keeps ${e.serial}`);
      assert.equal(merged.crlNumber, Math.max(record.crlNumber, crl.crlNumber ?? 0));
      assert.deepEqual(merged.revoked.slice(0, record.revoked.length), record.revoked, 'the record keeps its entries and their order');
    }
  });

  it('mergeRevocations: a union by serial, the record keeps its details, the larger number wins', () => {
    const record = { crlNumber: 3, revoked: [{ serial: 'AB', revokedAt: '2026-01-01T00:00:00.000Z', subject: 'CN=a' }] };
    const merged = mergeRevocations(record, { crlNumber: 9, revoked: [{ serial: '00ab', revokedAt: new Date('2026-02-01T00:00:00Z') }, { serial: 'CD', revokedAt: new Date('2026-02-01T00:00:00Z') }, { serial: 'cd', revokedAt: new Date('2026-02-01T00:00:00Z') }] });
    assert.deepEqual(merged, { crlNumber: 9, revoked: [record.revoked[0], { serial: 'CD', revokedAt: '2026-02-01T00:00:00.000Z' }] });
    assert.equal(mergeRevocations(record, { crlNumber: 1, revoked: [] }).crlNumber, 3);
    assert.equal(mergeRevocations(record, undefined), record);
  });
});

/** A CRL signed by the SENEBI simulator CA (another CA), number 40, revoking one serial. */
function foreignCrl(): string {
  const ca = { certPem: readFileSync(join(template, 'senebi/ca.crt'), 'utf8'), keyPem: readFileSync(join(template, 'senebi/ca.key'), 'utf8') };
  return createCrl(ca, [{ serial: 'BADBAD', revokedAt: new Date() }], { crlNumber: 40 });
}
