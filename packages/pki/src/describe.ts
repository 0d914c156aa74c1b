/**
 * A certificate summarized for operators and status answers, read with the DER reader (no
 * node-forge, so no node loads it): names, serial, dates and the EKU and SAN extensions in the
 * form these answers have always had (node-forge's, which this module used before).
 */
import { createHash } from 'node:crypto';
import { CONTEXT_SPECIFIC, DER, childrenOf, contentsOf, isUniversal, oidOf, pemBlock, readNode, timeOf, type DerNode } from './der/reader.js';
import { PkiError } from './errors.js';
import { OU_OID, readName, type NameAttribute } from './structure.js';

/** What an operator wants to know about a certificate. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  fingerprintSha256: string;
  organizationalUnit?: string;
  extKeyUsage: string[];
  subjectAltNames: string[];
}

const DAY_MS = 86_400_000;
const NAME_ORDER = ['CN', 'OU', 'O', 'L', 'ST', 'C'];
/** The extended key usages named in a description, in this order (id-kp OIDs, RFC 5280). */
const EKU_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['serverAuth', '1.3.6.1.5.5.7.3.1'], ['clientAuth', '1.3.6.1.5.5.7.3.2'], ['codeSigning', '1.3.6.1.5.5.7.3.3'],
  ['emailProtection', '1.3.6.1.5.5.7.3.4'], ['timeStamping', '1.3.6.1.5.5.7.3.8'],
];
const EKU_OID = '2.5.29.37';
const SAN_OID = '2.5.29.17';
const EMAIL_OID = '1.2.840.113549.1.9.1';

/** Escapes the characters RFC 4514 reserves in a DN value, so that "," always separates attributes. */
function escapeRdnValue(value: string): string {
  return value.replace(/[\\,+";<>=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

/** An attribute's label in a DN: its short name, "E" for emailAddress, else its long name or OID. */
const labelOf = (attribute: NameAttribute): string => (attribute.oid === EMAIL_OID ? 'E' : attribute.type);

/** Formats a distinguished name as "CN=..,OU=..,O=.." (CN first, then OU, O, L, ST, C, then anything else). */
function formatName(attributes: readonly NameAttribute[]): string {
  const rank = (attribute: NameAttribute): number => {
    const index = NAME_ORDER.indexOf(labelOf(attribute));
    return index === -1 ? NAME_ORDER.length : index;
  };
  return [...attributes].sort((a, b) => rank(a) - rank(b)).map((a) => `${labelOf(a)}=${escapeRdnValue(a.value)}`).join(',');
}

/** An IP address of a SAN: dotted IPv4, or IPv6 in hex groups with the first longest run of two or more zero groups as "::". */
function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return '';
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; i++) {
    let end = i;
    while (groups[end] === '0') end += 1;
    if (end - i > best.length) best = { start: i, length: end - i };
  }
  if (best.length < 2) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

/** A SAN entry as "DNS:name", "IP:address", or "<tag>:<value>" for the other kinds. */
function formatAltName(name: DerNode): string {
  const value = Buffer.from(contentsOf(name));
  if (name.tag === 7) return `IP:${formatIp(value)}`;
  return `${name.tag === 2 ? 'DNS' : String(name.tag)}:${value.toString('latin1')}`;
}

/**
 * The extnValue of the extensions in `wanted` (EKU, SAN) of a TBSCertificate's fields, by OID,
 * decoded. Only these are decoded, as node-forge did: another extension's value (a private one
 * need not hold DER) never makes the certificate unreadable.
 */
function extensionsOf(fields: readonly DerNode[], wanted: readonly string[]): Map<string, DerNode> {
  const extensions = new Map<string, DerNode>();
  const wrapper = fields.find((f) => f.tagClass === CONTEXT_SPECIFIC && f.tag === 3);
  for (const extension of childrenOf(childrenOf(wrapper)[0])) {
    const parts = childrenOf(extension);
    const value = parts.at(-1);
    const oid = oidOf(parts[0]);
    if (value && isUniversal(value, DER.OCTET_STRING) && wanted.includes(oid)) extensions.set(oid, readNode(contentsOf(value)));
  }
  return extensions;
}

/** Reads a certificate PEM and summarizes it (subject, issuer, serial in uppercase hex, dates, days left, SHA-256 fingerprint, OU, EKU, SANs). */
export function describeCertificate(certPem: string, now: Date = new Date()): CertificateInfo {
  try {
    const der = pemBlock(certPem, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
    if (!der) throw new Error('no CERTIFICATE block');
    const root = readNode(der);
    if (root.end !== der.length) throw new Error('bytes after the certificate'); // as node-forge refused them
    const [tbs, signatureAlgorithm] = childrenOf(root);
    const fields = childrenOf(tbs);
    const offset = fields[0]?.tagClass === CONTEXT_SPECIFIC ? 1 : 0;
    const [serialNode, , issuerNode, validityNode, subjectNode] = fields.slice(offset);
    if (!isUniversal(serialNode, DER.INTEGER) || !issuerNode || !subjectNode || !signatureAlgorithm) throw new Error('truncated certificate');
    const [notBefore, notAfter] = childrenOf(validityNode).map(timeOf);
    if (!notBefore || !notAfter) throw new Error('no validity');
    const subject = readName(subjectNode).flat();
    const extensions = extensionsOf(fields, [EKU_OID, SAN_OID]);
    const ekus = new Set(childrenOf(extensions.get(EKU_OID)).map(oidOf));
    const fingerprint = createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g) ?? [];
    const info: CertificateInfo = {
      subject: formatName(subject),
      issuer: formatName(readName(issuerNode).flat()),
      serial: Buffer.from(contentsOf(serialNode)).toString('hex').toUpperCase(),
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
      daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
      fingerprintSha256: fingerprint.join(':'),
      extKeyUsage: EKU_NAMES.filter(([, oid]) => ekus.has(oid)).map(([name]) => name),
      subjectAltNames: childrenOf(extensions.get(SAN_OID)).map(formatAltName),
    };
    const ou = subject.find((attribute) => attribute.oid === OU_OID);
    if (ou) info.organizationalUnit = ou.value;
    return info;
  } catch (err) {
    throw new PkiError('INVALID_CERTIFICATE', 'the certificate cannot be read (not an X.509 PEM certificate)', { cause: err });
  }
}
