/**
 * What a node reads of keys (no node-forge): an encrypted key opened with its passphrase, and
 * whether a key belongs to a certificate. Keys made and read for signing are in forge-keys.ts.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { DER, childrenOf, isUniversal, readNode, type DerNode } from './der/reader.js';
import { PkiError } from './errors.js';

/** Reads an unencrypted private key PEM (PKCS#8 or PKCS#1) into Node's key object; INVALID_KEY otherwise. */
export function readPrivateKey(keyPem: string): KeyObject {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem' });
  } catch (err) {
    throw new PkiError('INVALID_KEY', 'the private key cannot be read (not an unencrypted PEM private key)', { cause: err });
  }
}

const ENCRYPTED_PKCS8 = /-----BEGIN ENCRYPTED PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END ENCRYPTED PRIVATE KEY-----/;
const ENCRYPTED_LEGACY = /-----BEGIN (RSA|EC) PRIVATE KEY-----\r?\nProc-Type: 4,ENCRYPTED\r?\nDEK-Info: [^\r\n]+\r?\n/;

/** True when the text is a structurally valid encrypted private key (PKCS#8 EncryptedPrivateKeyInfo or legacy PEM encryption). */
function isEncryptedKeyStructure(pem: string): boolean {
  if (ENCRYPTED_LEGACY.test(pem)) return true;
  const match = ENCRYPTED_PKCS8.exec(pem);
  if (!match?.[1]) return false;
  try {
    const der = Buffer.from(match[1], 'base64');
    const info = readNode(der);
    // Every constructed element must read to its end, and nothing may follow the outer one.
    const walk = (node: DerNode): void => childrenOf(node).forEach(walk);
    walk(info);
    // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
    const parts = childrenOf(info);
    return info.end === der.length && isUniversal(info, DER.SEQUENCE) && parts.length === 2 && isUniversal(parts[1], DER.OCTET_STRING);
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
