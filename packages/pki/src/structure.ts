/**
 * The parts of a certificate's structure that Node's X509Certificate does not expose: the subject's
 * RDN sets as encoded (a multi-valued RDN such as `CN=x+OU=operator` stays one set of two
 * attributes) and the signature algorithm with its hash. Any key type is fine: the public key is not read.
 * No node-forge: the TLS gate reads this for every client certificate (@qsen/pki/verify).
 */
import { CONTEXT_SPECIFIC, DER, childrenOf, contentsOf, isUniversal, oidOf, readNode, type DerNode } from './der/reader.js';
import { PkiError } from './errors.js';

/** One attribute of a subject RDN. */
export interface NameAttribute {
  /** The attribute's OID, e.g. 2.5.4.11 for OU. */
  readonly oid: string;
  /** The short name ("CN", "OU", "O", ...) or the long name of a known attribute ("emailAddress"), else the OID. */
  readonly type: string;
  /** The value as text (UTF-8 decoded where it is a UTF8String). */
  readonly value: string;
}

/** What `readCertificateStructure` returns. */
export interface CertificateStructure {
  /** The subject's RDNs in encoded order; each RDN is a set of one or more attributes. */
  readonly subject: ReadonlyArray<readonly NameAttribute[]>;
  /** The outer signature algorithm's OID (e.g. 1.2.840.113549.1.1.11 sha256WithRSAEncryption). */
  readonly signatureAlgorithmOid: string;
  /** The hash behind that signature ("sha1", "sha256", ..., "none" for Ed25519/Ed448), or "unknown". */
  readonly signatureHash: string;
}

/** OID of the subject OU attribute. */
export const OU_OID = '2.5.4.11';

const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'sha1', // sha1WithRSAEncryption
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', // ecdsa-with-SHA1
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1', // dsa-with-SHA1
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-SHA256
  '1.3.101.112': 'none', // Ed25519
  '1.3.101.113': 'none', // Ed448
};

const HASH_OIDS: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', [OU_OID]: 'OU', '2.5.4.10': 'O', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.6': 'C',
};

/** The names node-forge gave the other attributes it knows (kept so that `type` reads as before). */
const LONG_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.4': 'surname', '2.5.4.5': 'serialNumber', '2.5.4.9': 'streetAddress', '2.5.4.12': 'title', '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode', '2.5.4.42': 'givenName', '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.9.2': 'unstructuredName', '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionOfIncorporationLocalityName',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionOfIncorporationStateOrProvinceName', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionOfIncorporationCountryName',
};

const RSASSA_PSS_OID = '1.2.840.113549.1.1.10';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** An attribute value as text: UTF8String decoded (its raw bytes when that fails), other strings byte for byte. */
function textOf(node: DerNode | undefined): string {
  if (!node || node.constructed) return '';
  const bytes = contentsOf(node);
  if (isUniversal(node, DER.UTF8_STRING)) {
    try {
      return utf8.decode(bytes);
    } catch {
      return Buffer.from(bytes).toString('latin1');
    }
  }
  return Buffer.from(bytes).toString('latin1');
}

/** The hash of RSASSA-PSS parameters: [0] hashAlgorithm, SHA-1 when absent (RFC 4055). */
function pssHash(params: DerNode | undefined): string {
  const hashField = childrenOf(params).find((n) => n.tagClass === CONTEXT_SPECIFIC && n.tag === 0);
  if (hashField === undefined) return 'sha1';
  const algorithm = childrenOf(hashField)[0];
  return HASH_OIDS[oidOf(childrenOf(algorithm)[0])] ?? 'unknown';
}

/** A Name (subject or issuer) as its RDN sets of attributes, in encoded order. */
export function readName(name: DerNode): NameAttribute[][] {
  return childrenOf(name).map((rdn) => childrenOf(rdn).map((attribute): NameAttribute => {
    const [typeNode, valueNode] = childrenOf(attribute);
    const oid = oidOf(typeNode);
    return { oid, type: SHORT_NAMES[oid] ?? LONG_NAMES[oid] ?? oid, value: textOf(valueNode) };
  }));
}

/** Reads the subject RDNs and signature algorithm of a DER certificate; INVALID_CERTIFICATE when it is not one. */
export function readCertificateStructure(der: Uint8Array): CertificateStructure {
  try {
    const root = readNode(der);
    const [tbs, signatureAlgorithm] = childrenOf(root);
    const fields = childrenOf(tbs);
    const offset = fields[0]?.tagClass === CONTEXT_SPECIFIC ? 1 : 0;
    const subjectNode = fields[offset + 4];
    if (!subjectNode || !signatureAlgorithm) throw new Error('truncated certificate');
    const subject = readName(subjectNode);
    const [algorithmOidNode, params] = childrenOf(signatureAlgorithm);
    const signatureAlgorithmOid = oidOf(algorithmOidNode);
    const signatureHash = signatureAlgorithmOid === RSASSA_PSS_OID ? pssHash(params) : SIGNATURE_HASHES[signatureAlgorithmOid] ?? 'unknown';
    return { subject, signatureAlgorithmOid, signatureHash };
  } catch (err) {
    throw new PkiError('INVALID_CERTIFICATE', 'the bytes are not a readable X.509 certificate', { cause: err });
  }
}

/** Every OU of a subject, across all RDNs, multi-valued ones included. */
export function organizationalUnitsOf(structure: CertificateStructure): string[] {
  return structure.subject.flat().filter((attribute) => attribute.oid === OU_OID).map((attribute) => attribute.value);
}
