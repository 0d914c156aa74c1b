/**
 * The client certificate policy every QSen node enforces on top of OpenSSL's chain check
 * (docs/security.md): a leaf certificate only, exactly one OU in the whole subject (multi-valued
 * RDNs included), an RSA key of at least 2048 bits or an EC key on P-256 or a larger NIST curve,
 * and a SHA-256 or stronger signature. A pure function of the certificate's facts; peer.ts reads them.
 */

/** What the policy looks at in a presented client certificate. */
export interface ClientCertificateFacts {
  /** basicConstraints says CA:TRUE (X509Certificate.ca). */
  readonly isCa: boolean;
  /** How many OU attributes the subject holds, across every RDN. */
  readonly organizationalUnits: number;
  /** The public key's type as Node names it ("rsa", "rsa-pss", "ec", "ed25519", ...). */
  readonly keyType: string | undefined;
  /** RSA modulus length in bits. */
  readonly keyBits: number | undefined;
  /** EC named curve ("prime256v1", "secp384r1", ...). */
  readonly curve: string | undefined;
  /** The hash behind the certificate's signature ("sha1", "sha256", ...; see @qsen/pki readCertificateStructure). */
  readonly signatureHash: string;
}

/** Reason code: the client certificate is a CA certificate (basicConstraints CA:TRUE). */
export const REASON_CERT_IS_CA = 'CERT_IS_CA';
/** Reason code: the subject holds no OU or more than one (multi-valued RDNs counted). */
export const REASON_CERT_OU_NOT_SINGLE = 'CERT_OU_NOT_SINGLE';
/** Reason code: an RSA key under 2048 bits or an EC key on a curve smaller than P-256. */
export const REASON_CERT_KEY_TOO_WEAK = 'CERT_KEY_TOO_WEAK';
/** Reason code: a key type outside RSA and NIST EC (DSA, Ed25519, ...). */
export const REASON_CERT_KEY_TYPE = 'CERT_KEY_TYPE_NOT_ALLOWED';
/** Reason code: a signature hash weaker than SHA-256 (SHA-1, MD5, SHA-224) or one that is not known. */
export const REASON_CERT_SIGNATURE_TOO_WEAK = 'CERT_SIGNATURE_TOO_WEAK';

/** The policy's limits. */
export const CLIENT_CERTIFICATE_POLICY = Object.freeze({
  minRsaBits: 2048,
  curves: Object.freeze(['prime256v1', 'secp384r1', 'secp521r1']) as readonly string[],
  hashes: Object.freeze(['sha256', 'sha384', 'sha512']) as readonly string[],
});

/** The first rule a certificate breaks, as a reason code; undefined when it meets the policy. */
export function judgeClientCertificate(facts: ClientCertificateFacts): string | undefined {
  if (facts.isCa) return REASON_CERT_IS_CA;
  if (facts.keyType === 'rsa' || facts.keyType === 'rsa-pss') {
    if ((facts.keyBits ?? 0) < CLIENT_CERTIFICATE_POLICY.minRsaBits) return REASON_CERT_KEY_TOO_WEAK;
  } else if (facts.keyType === 'ec') {
    if (!CLIENT_CERTIFICATE_POLICY.curves.includes(facts.curve ?? '')) return REASON_CERT_KEY_TOO_WEAK;
  } else {
    return REASON_CERT_KEY_TYPE;
  }
  if (!CLIENT_CERTIFICATE_POLICY.hashes.includes(facts.signatureHash)) return REASON_CERT_SIGNATURE_TOO_WEAK;
  if (facts.organizationalUnits !== 1) return REASON_CERT_OU_NOT_SINGLE;
  return undefined;
}
