import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { requireTool, makeTempDir } from '@qsen/testkit';
import { createCa, issueClientCertificate, encryptPrivateKey, decryptPrivateKey, keyMatchesCertificate, PkiError, type Identity } from '../src/index.js';
import { runOpenssl, writeTestFile } from './openssl.js';

const isCode = (code: string) => (err: unknown): boolean => err instanceof PkiError && err.code === code;

describe('encrypted private keys', () => {
  const tmp = makeTempDir('qsen-pki-keys-');
  let agent: Identity;
  let encrypted: string;

  before(() => {
    const ca = createCa({ commonName: 'SENEBI Test CA' });
    agent = issueClientCertificate(ca, { commonName: 'agent-test-identity', ou: 'senebi-agent' });
    encrypted = encryptPrivateKey(agent.keyPem, 'correct horse battery staple');
  });
  after(() => tmp.remove());

  it('writes encrypted PKCS#8 with PBES2, PBKDF2-HMAC-SHA256 and AES-256-CBC, never the clear key', (t) => {
    assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    assert.equal(encrypted.includes(agent.keyPem.split('\n')[1] ?? 'x'), false);
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const file = writeTestFile(tmp.path, 'agent.key.enc', encrypted);
    const parsed = runOpenssl(openssl, ['asn1parse', '-in', file]);
    assert.equal(parsed.status, 0, parsed.stderr);
    assert.match(parsed.stdout, /:PBES2/);
    assert.match(parsed.stdout, /:PBKDF2/);
    assert.match(parsed.stdout, /:hmacWithSHA256/);
    assert.match(parsed.stdout, /:aes-256-cbc/);
  });

  it('opens with openssl pkey and the passphrase, and not with a wrong one', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const file = writeTestFile(tmp.path, 'agent2.key.enc', encrypted);
    const opened = runOpenssl(openssl, ['pkey', '-in', file, '-passin', 'pass:correct horse battery staple']);
    assert.equal(opened.status, 0, opened.stderr);
    assert.equal(opened.stdout, agent.keyPem);
    const refused = runOpenssl(openssl, ['pkey', '-in', file, '-passin', 'pass:wrong']);
    assert.notEqual(refused.status, 0);
  });

  it('decrypts back to the same PKCS#8 key, which matches the certificate', () => {
    const clear = decryptPrivateKey(encrypted, 'correct horse battery staple');
    assert.equal(clear, agent.keyPem);
    assert.equal(keyMatchesCertificate(clear, agent.certPem), true);
  });

  it('reads keys that openssl encrypted', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const clearFile = writeTestFile(tmp.path, 'agent.key', agent.keyPem);
    const made = runOpenssl(openssl, ['pkcs8', '-topk8', '-in', clearFile, '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256', '-passout', 'pass:from-openssl']);
    assert.equal(made.status, 0, made.stderr);
    assert.equal(decryptPrivateKey(made.stdout, 'from-openssl'), agent.keyPem);
  });

  it('fails with WRONG_PASSPHRASE for a wrong passphrase and INVALID_KEY for text that is no encrypted key', () => {
    assert.throws(() => decryptPrivateKey(encrypted, 'wrong'), isCode('WRONG_PASSPHRASE'));
    assert.throws(() => decryptPrivateKey(encrypted, ''), isCode('WRONG_PASSPHRASE'));
    assert.throws(() => decryptPrivateKey('garbage', 'x'), isCode('INVALID_KEY'));
    assert.throws(() => decryptPrivateKey(agent.keyPem, 'x'), isCode('INVALID_KEY'));
    const truncated = encrypted.split('\n').slice(0, 5).join('\n') + '\n-----END ENCRYPTED PRIVATE KEY-----\n';
    assert.throws(() => decryptPrivateKey(truncated, 'correct horse battery staple'), isCode('INVALID_KEY'));
    assert.throws(() => encryptPrivateKey('garbage', 'x'), isCode('INVALID_KEY'));
    assert.throws(() => encryptPrivateKey(agent.keyPem, ''), isCode('INVALID_ARGUMENT'));
  });

  it('answers only PkiError INVALID_KEY or WRONG_PASSPHRASE for an encrypted key with random bytes changed, cut or appended', () => {
    const body = Buffer.from(encrypted.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const pem = (der: Buffer): string => `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
    assert.equal(decryptPrivateKey(pem(body), 'correct horse battery staple'), agent.keyPem, 'the re-wrapped key still opens');
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat({ max: body.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat({ max: body.length }), fc.uint8Array({ maxLength: 8 }),
      (edits, keep, tail) => {
        const der = Buffer.concat([body.subarray(0, keep), Buffer.from(tail)]);
        for (const [at, byte] of edits) if (at < der.length) der[at] = byte;
        try {
          decryptPrivateKey(pem(der), 'correct horse battery staple');
        } catch (err) {
          assert.ok(err instanceof PkiError && (err.code === 'INVALID_KEY' || err.code === 'WRONG_PASSPHRASE'), `unexpected ${String(err)}`);
          if (edits.length === 0 && tail.length === 0) assert.equal(err.code, 'INVALID_KEY', 'a cut key is no encrypted key');
        }
      },
    ), { numRuns: 300 });
  });

  it('never puts the passphrase or key into error messages', () => {
    try {
      decryptPrivateKey(encrypted, 'secret-guess-123');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof PkiError);
      assert.equal(err.message.includes('secret-guess-123'), false);
      assert.equal(err.message.includes('PRIVATE KEY'), false);
    }
  });
});
