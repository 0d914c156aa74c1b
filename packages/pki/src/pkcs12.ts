import forge from 'node-forge';
import type { Identity } from './certificates.js';
import { PkiError } from './errors.js';
import { keyMatchesCertificate, readForgePrivateKey } from './keys.js';

/** Options of `exportPkcs12`. */
export interface Pkcs12Options { password: string; caPem?: string; friendlyName?: string }

/** PBKDF2 and MAC iteration count: OpenSSL's own default for PKCS#12 (forge derives both keys in JavaScript). */
const PKCS12_ITERATIONS = 2048;

/**
 * Packs an identity (and optionally its CA) into a PKCS#12 file (DER): the key is shrouded with PBES2
 * (AES-256-CBC, PBKDF2-HMAC-SHA256), the MAC is HMAC-SHA1; OpenSSL 3 opens it without -legacy.
 */
export function exportPkcs12(identity: Identity, opts: Pkcs12Options): Buffer {
  if (typeof opts.password !== 'string' || opts.password.length === 0) throw new PkiError('INVALID_ARGUMENT', 'the PKCS#12 password must not be empty');
  if (!keyMatchesCertificate(identity.keyPem, identity.certPem)) throw new PkiError('CA_MISMATCH', 'the key does not belong to the certificate');
  const key = readForgePrivateKey(identity.keyPem);
  const chain: forge.pki.Certificate[] = [forge.pki.certificateFromPem(identity.certPem)];
  if (opts.caPem !== undefined) {
    try {
      chain.push(forge.pki.certificateFromPem(opts.caPem));
    } catch (err) {
      throw new PkiError('INVALID_CERTIFICATE', 'the CA certificate for the PKCS#12 file cannot be read', { cause: err });
    }
  }
  const p12 = forge.pkcs12.toPkcs12Asn1(key, chain, opts.password, {
    algorithm: 'aes256',
    count: PKCS12_ITERATIONS,
    saltSize: 16,
    ...(opts.friendlyName !== undefined ? { friendlyName: opts.friendlyName } : {}),
    // forge passes these options on to the PBES2 key encryption.
    prfAlgorithm: 'sha256',
  } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}
