// Encrypts the agent's BYMA private key for /etc/qsen/senebi (called by deploy/install.sh).
//
// Usage: node encrypt-agent-key.mjs RELEASE_DIR CERT KEY KEY_PASSPHRASE_FILE|- OUT_DIR
//   Reads the certificate and its private key (PEM; an encrypted key is opened with the
//   passphrase in KEY_PASSPHRASE_FILE, "-" when the key is not encrypted), checks that they
//   belong together, generates a new random passphrase and writes OUT_DIR/agent.key.enc
//   (PKCS#8, AES-256-CBC, PBKDF2-SHA256) and OUT_DIR/passphrase, both mode 0600.
//   OUT_DIR must be a private (0700) folder; install.sh moves the files into place.
// Nothing secret is printed. Exit status 1 with a message on any problem.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [releaseDir, certFile, keyFile, keyPassphraseFile, outDir] = process.argv.slice(2);
if (!releaseDir || !certFile || !keyFile || !keyPassphraseFile || !outDir) {
  console.error('usage: encrypt-agent-key.mjs RELEASE_DIR CERT KEY KEY_PASSPHRASE_FILE|- OUT_DIR');
  process.exit(1);
}

const pki = await import(pathToFileURL(join(releaseDir, 'packages/pki/dist/src/index.js')).href);

try {
  const certPem = readFileSync(certFile, 'utf8');
  let keyPem = readFileSync(keyFile, 'utf8');
  if (keyPem.includes('ENCRYPTED')) {
    if (keyPassphraseFile === '-') throw new Error('the key is encrypted: give its passphrase with --byma-key-passphrase-file');
    keyPem = pki.decryptPrivateKey(keyPem, readFileSync(keyPassphraseFile, 'utf8').replace(/\r?\n$/, ''));
  }
  if (!pki.keyMatchesCertificate(keyPem, certPem)) throw new Error('the key does not belong to the certificate');
  const passphrase = randomBytes(32).toString('base64url');
  writeFileSync(join(outDir, 'agent.key.enc'), pki.encryptPrivateKey(keyPem, passphrase), { mode: 0o600, flag: 'wx' });
  writeFileSync(join(outDir, 'passphrase'), `${passphrase}\n`, { mode: 0o600, flag: 'wx' });
} catch (err) {
  const code = err && typeof err === 'object' && 'code' in err ? ` (${String(err.code)})` : '';
  console.error(`encrypt-agent-key: ${err instanceof Error ? err.message : String(err)}${code}`);
  process.exit(1);
}
