/**
 * Keys for issuance (node-forge): generated, written and read as forge objects for signing, and
 * encrypted for the files. Install- and operator-time work; no node entry loads this module.
 */
import forge from 'node-forge';
import { PkiError } from './errors.js';
import { readPrivateKey } from './keys.js';

/** RSA modulus size of every key @qsen/pki generates. */
export const RSA_KEY_BITS = 2048;

/** A freshly generated RSA key pair (forge objects, for signing). */
export interface ForgeKeyPair {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
}

/** Generates an RSA 2048 key pair; forge delegates to Node's native generator (milliseconds, not seconds). */
export function generateRsaKeyPair(): ForgeKeyPair {
  const pair = forge.pki.rsa.generateKeyPair({ bits: RSA_KEY_BITS, e: 0x10001 });
  return { privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** Turns forge's CRLF PEM output into the LF text Node, OpenSSL and the files use. */
export function toUnixLines(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

/** Writes a forge private key as unencrypted PKCS#8 PEM ("PRIVATE KEY"). */
export function formatPrivateKeyPem(privateKey: forge.pki.rsa.PrivateKey): string {
  return toUnixLines(forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(privateKey))));
}

/** Reads an unencrypted RSA private key PEM into a forge key (for signing). */
export function readForgePrivateKey(keyPem: string): forge.pki.rsa.PrivateKey {
  const key = readPrivateKey(keyPem);
  if (key.asymmetricKeyType !== 'rsa') {
    throw new PkiError('INVALID_KEY', `only RSA keys can sign here, this one is ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const pkcs1 = key.export({ type: 'pkcs1', format: 'pem' }).toString();
  return forge.pki.privateKeyFromPem(pkcs1) as forge.pki.rsa.PrivateKey;
}

/** Derives the RSA public key (forge) of an unencrypted private key PEM. */
export function readForgePublicKeyOfPrivateKey(keyPem: string): forge.pki.rsa.PublicKey {
  const privateKey = readForgePrivateKey(keyPem);
  return forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
}

/** Encrypts a private key as PKCS#8 PEM ("ENCRYPTED PRIVATE KEY"): PBES2, AES-256-CBC, PBKDF2 with HMAC-SHA256. */
export function encryptPrivateKey(keyPem: string, passphrase: string): string {
  if (passphrase.length === 0) throw new PkiError('INVALID_ARGUMENT', 'the passphrase must not be empty');
  const key = readPrivateKey(keyPem);
  // OpenSSL 3 writes PBES2 with PBKDF2-HMAC-SHA256 for this cipher; the tests check the algorithm identifiers.
  return key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }).toString();
}

