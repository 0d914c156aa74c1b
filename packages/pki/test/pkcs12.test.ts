import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureContext } from 'node:tls';
import { requireTool, makeTempDir } from '@qsen/testkit';
import { createCa, issueClientCertificate, exportPkcs12, PkiError, type Identity } from '../src/index.js';
import { runOpenssl, writeTestFile } from './openssl.js';

describe('PKCS#12 export', () => {
  const tmp = makeTempDir('qsen-pki-p12-');
  let ca: Identity;
  let client: Identity;

  before(() => {
    ca = createCa({ commonName: 'QSen P12 CA' });
    client = issueClientCertificate(ca, { commonName: 'qsen-operator', ou: 'operator' });
  });
  after(() => tmp.remove());

  it('opens with OpenSSL 3 without -legacy: certificates, CA, friendly name and key', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const p12 = exportPkcs12(client, { password: 'p12-pass', caPem: ca.certPem, friendlyName: 'qsen-operator' });
    assert.ok(Buffer.isBuffer(p12));
    const file = writeTestFile(tmp.path, 'operator.p12', p12);
    const info = runOpenssl(openssl, ['pkcs12', '-in', file, '-info', '-nokeys', '-passin', 'pass:p12-pass']);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /subject=CN = qsen-operator, OU = operator, O = QSen/);
    assert.match(info.stdout, /subject=CN = QSen P12 CA, O = QSen/);
    assert.match(info.stdout, /friendlyName: qsen-operator/);
    assert.match(info.stderr, /MAC: sha256, Iteration 2048/);
    assert.match(info.stderr, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
    const withKey = runOpenssl(openssl, ['pkcs12', '-in', file, '-nodes', '-passin', 'pass:p12-pass']);
    assert.equal(withKey.status, 0, withKey.stderr);
    assert.ok(withKey.stdout.includes(client.keyPem.trim().split('\n').slice(1, -1).join('\n')));
    const wrong = runOpenssl(openssl, ['pkcs12', '-in', file, '-nokeys', '-passin', 'pass:wrong']);
    assert.notEqual(wrong.status, 0);
  });

  it('loads into a Node TLS context as pfx', () => {
    const p12 = exportPkcs12(client, { password: 'node-pass', caPem: ca.certPem });
    assert.doesNotThrow(() => createSecureContext({ pfx: p12, passphrase: 'node-pass' }));
    assert.throws(() => createSecureContext({ pfx: p12, passphrase: 'wrong' }));
  });

  it('refuses an empty password and a key that does not match', () => {
    assert.throws(() => exportPkcs12(client, { password: '' }), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_ARGUMENT');
    assert.throws(() => exportPkcs12(client, { password: 'contraseña' }), (err: unknown) => err instanceof PkiError && err.code === 'INVALID_ARGUMENT');
    assert.throws(() => exportPkcs12({ certPem: client.certPem, keyPem: ca.keyPem }, { password: 'x' }), (err: unknown) => err instanceof PkiError && err.code === 'CA_MISMATCH');
  });
});
