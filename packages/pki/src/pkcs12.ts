import forge from 'node-forge';
import type { Identity } from './certificates.js';
import { PkiError } from './errors.js';
import { readForgePrivateKey } from './forge-keys.js';
import { keyMatchesCertificate } from './keys.js';

/** Options of `exportPkcs12`. */
export interface Pkcs12Options { password: string; caPem?: string; friendlyName?: string }

/** PBKDF2 and MAC iteration count: OpenSSL's own default for PKCS#12 (forge derives both keys in JavaScript). */
const PKCS12_ITERATIONS = 2048;

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;

/** Appends MacData with HMAC-SHA256 over the AuthenticatedSafe (RFC 7292 with the PKCS#12 KDF on SHA-256, OpenSSL 3's default). */
function addSha256Mac(pfx: forge.asn1.Asn1, password: string): void {
  const parts = pfx.value as forge.asn1.Asn1[];
  // PFX ::= SEQUENCE { version, authSafe ContentInfo { contentType, [0] EXPLICIT OCTET STRING } }
  const contentInfo = parts[1]?.value as forge.asn1.Asn1[] | undefined;
  const explicit = contentInfo?.[1]?.value as forge.asn1.Asn1[] | undefined;
  const authSafe = explicit?.[0]?.value;
  if (typeof authSafe !== 'string') throw new PkiError('INVALID_ARGUMENT', 'unexpected PKCS#12 structure');
  const salt = forge.random.getBytesSync(16);
  const macKey = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, PKCS12_ITERATIONS, 32, forge.md.sha256.create());
  const hmac = forge.hmac.create();
  hmac.start('sha256', macKey.getBytes());
  hmac.update(authSafe);
  parts.push(asn1.create(U, asn1.Type.SEQUENCE, true, [
    asn1.create(U, asn1.Type.SEQUENCE, true, [
      asn1.create(U, asn1.Type.SEQUENCE, true, [
        asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids['sha256'] ?? '2.16.840.1.101.3.4.2.1').getBytes()),
        asn1.create(U, asn1.Type.NULL, false, ''),
      ]),
      asn1.create(U, asn1.Type.OCTETSTRING, false, hmac.digest().getBytes()),
    ]),
    asn1.create(U, asn1.Type.OCTETSTRING, false, salt),
    asn1.create(U, asn1.Type.INTEGER, false, asn1.integerToDer(PKCS12_ITERATIONS).getBytes()),
  ]));
}

/**
 * Packs an identity (and optionally its CA) into a PKCS#12 file (DER): the key is shrouded with PBES2
 * (AES-256-CBC, PBKDF2-HMAC-SHA256), the MAC is HMAC-SHA256; OpenSSL 3 opens it without -legacy.
 * The password must be printable ASCII (PBES2 and the MAC then agree on its bytes in every implementation).
 */
export function exportPkcs12(identity: Identity, opts: Pkcs12Options): Buffer {
  if (typeof opts.password !== 'string' || opts.password.length === 0) throw new PkiError('INVALID_ARGUMENT', 'the PKCS#12 password must not be empty');
  if (!/^[\x20-\x7e]+$/.test(opts.password)) throw new PkiError('INVALID_ARGUMENT', 'the PKCS#12 password must be printable ASCII');
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
  const pfx = forge.pkcs12.toPkcs12Asn1(key, chain, opts.password, {
    algorithm: 'aes256',
    count: PKCS12_ITERATIONS,
    saltSize: 16,
    useMac: false,
    ...(opts.friendlyName !== undefined ? { friendlyName: opts.friendlyName } : {}),
    // forge passes these options on to the PBES2 key encryption.
    prfAlgorithm: 'sha256',
  } as Parameters<typeof forge.pkcs12.toPkcs12Asn1>[3]);
  addSha256Mac(pfx, opts.password);
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}
