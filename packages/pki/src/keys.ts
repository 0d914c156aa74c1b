import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from './errors.js';

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

/** Reads an unencrypted private key PEM (PKCS#8 or PKCS#1) into Node's key object; INVALID_KEY otherwise. */
export function readPrivateKey(keyPem: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (err) {
    throw new PkiError('INVALID_KEY', 'the private key cannot be read (not an unencrypted PEM private key)', { cause: err });
  }
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

const ENCRYPTED_PKCS8 = /-----BEGIN ENCRYPTED PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END ENCRYPTED PRIVATE KEY-----/;
const ENCRYPTED_LEGACY = /-----BEGIN (RSA|EC) PRIVATE KEY-----\r?\nProc-Type: 4,ENCRYPTED\r?\nDEK-Info: [^\r\n]+\r?\n/;

/** True when the text is a structurally valid encrypted private key (PKCS#8 EncryptedPrivateKeyInfo or legacy PEM encryption). */
function isEncryptedKeyStructure(pem: string): boolean {
  if (ENCRYPTED_LEGACY.test(pem)) return true;
  const match = ENCRYPTED_PKCS8.exec(pem);
  if (!match?.[1]) return false;
  try {
    const der = forge.util.decode64(match[1].replace(/\s+/g, ''));
    const info = forge.asn1.fromDer(der);
    // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
    const parts = info.value;
    return Array.isArray(parts) && parts.length === 2 && parts[1]?.type === forge.asn1.Type.OCTETSTRING;
  } catch {
    return false;
  }
}

/** Opens an encrypted private key and returns it as unencrypted PKCS#8 PEM; WRONG_PASSPHRASE or INVALID_KEY otherwise. */
export function decryptPrivateKey(encryptedPem: string, passphrase: string): string {
  if (!isEncryptedKeyStructure(encryptedPem)) {
    throw new PkiError('INVALID_KEY', 'the text is not an encrypted private key (expected "ENCRYPTED PRIVATE KEY" PEM)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: encryptedPem, format: 'pem', passphrase });
  } catch (err) {
    // The structure is sound, so a failure here means the derived key did not decrypt it.
    throw new PkiError('WRONG_PASSPHRASE', 'the passphrase does not open the encrypted private key', { cause: err });
  }
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads a certificate PEM into Node's X509Certificate; INVALID_CERTIFICATE otherwise. */
export function readX509(certPem: string): X509Certificate {
  try {
    return new X509Certificate(certPem);
  } catch (err) {
    throw new PkiError('INVALID_CERTIFICATE', 'the certificate cannot be read (not an X.509 PEM certificate)', { cause: err });
  }
}

/** True when the unencrypted private key belongs to the certificate's public key (throws INVALID_KEY / INVALID_CERTIFICATE on unreadable input). */
export function keyMatchesCertificate(keyPem: string, certPem: string): boolean {
  const key = readPrivateKey(keyPem);
  const cert = readX509(certPem);
  const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}
