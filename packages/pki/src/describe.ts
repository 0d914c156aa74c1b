import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from './errors.js';

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
const EKU_NAMES = ['serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping'] as const;

function attributeText(attr: forge.pki.CertificateField): string {
  const raw = typeof attr.value === 'string' ? attr.value : String(attr.value);
  // forge hands back UTF8String contents as raw bytes.
  if (attr.valueTagClass === (forge.asn1.Type.UTF8 as unknown as forge.asn1.Class)) {
    try {
      return forge.util.decodeUtf8(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Escapes the characters RFC 4514 reserves in a DN value, so that "," always separates attributes. */
function escapeRdnValue(value: string): string {
  return value.replace(/[\\,+";<>=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

/** Formats a distinguished name as "CN=..,OU=..,O=.." (CN first, then OU, O, L, ST, C, then anything else). */
function formatName(attributes: forge.pki.CertificateField[]): string {
  const rank = (attr: forge.pki.CertificateField): number => {
    const index = NAME_ORDER.indexOf(attr.shortName ?? '');
    return index === -1 ? NAME_ORDER.length : index;
  };
  return [...attributes]
    .sort((a, b) => rank(a) - rank(b))
    .map((attr) => `${attr.shortName ?? attr.name ?? attr.type ?? '?'}=${escapeRdnValue(attributeText(attr))}`)
    .join(',');
}

/**
 * Parses a certificate PEM with forge for description only. forge reads RSA public keys only; the key is not part
 * of the description, so another key type (EC, Ed25519: a CA outside QSen may use one) is swapped for a
 * placeholder RSA key before forge parses the rest. Returns the parsed certificate and the original DER.
 */
function readForDescription(certPem: string): { cert: forge.pki.Certificate; der: string } {
  try {
    const block = forge.pem.decode(certPem).find((b) => b.type === 'CERTIFICATE' || b.type === 'X509 CERTIFICATE' || b.type === 'TRUSTED CERTIFICATE');
    if (!block) throw new Error('no CERTIFICATE block');
    const root = forge.asn1.fromDer(block.body);
    try {
      return { cert: forge.pki.certificateFromAsn1(root), der: block.body };
    } catch {
      const tbs = (root.value as forge.asn1.Asn1[])[0];
      const fields = tbs?.value as forge.asn1.Asn1[];
      const offset = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
      fields[offset + 5] = forge.pki.publicKeyToAsn1(forge.pki.setRsaPublicKey(new forge.jsbn.BigInteger('3'), new forge.jsbn.BigInteger('3')));
      return { cert: forge.pki.certificateFromAsn1(root), der: block.body };
    }
  } catch (err) {
    throw new PkiError('INVALID_CERTIFICATE', 'the certificate cannot be read (not an X.509 PEM certificate)', { cause: err });
  }
}

/** Reads a certificate PEM and summarizes it (subject, issuer, serial in uppercase hex, dates, days left, SHA-256 fingerprint, OU, EKU, SANs). */
export function describeCertificate(certPem: string, now: Date = new Date()): CertificateInfo {
  const { cert, der } = readForDescription(certPem);
  const fingerprint = createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex').toUpperCase().match(/../g) ?? [];
  const ou = cert.subject.getField('OU') as forge.pki.CertificateField | null;
  const eku = cert.getExtension('extKeyUsage') as Record<string, unknown> | undefined;
  const san = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | undefined;
  const info: CertificateInfo = {
    subject: formatName(cert.subject.attributes),
    issuer: formatName(cert.issuer.attributes),
    serial: cert.serialNumber.toUpperCase(),
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
    daysLeft: Math.floor((cert.validity.notAfter.getTime() - now.getTime()) / DAY_MS),
    fingerprintSha256: fingerprint.join(':'),
    extKeyUsage: eku ? EKU_NAMES.filter((name) => eku[name] === true) : [],
    subjectAltNames: (san?.altNames ?? []).map((alt) => (alt.type === 7 ? `IP:${alt.ip ?? ''}` : alt.type === 2 ? `DNS:${alt.value ?? ''}` : `${alt.type}:${alt.value ?? ''}`)),
  };
  if (ou) info.organizationalUnit = attributeText(ou);
  return info;
}
