import forge from 'node-forge';
import type { Identity } from './certificates.js';
import { PkiError } from './errors.js';
import { readForgePrivateKey, toUnixLines } from './forge-keys.js';
import { keyMatchesCertificate } from './keys.js';
import { normalizeSerial } from './serials.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;
const DAY_MS = 86_400_000;

/** Encodes a hex serial as the content bytes of a positive DER INTEGER (minimal, with a 00 pad when the high bit is set). */
function serialToDerIntegerBytes(serial: string): string {
  let hex = normalizeSerial(serial);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const first = parseInt(hex.slice(0, 2), 16);
  if (first >= 0x80) hex = `00${hex}`;
  return Buffer.from(hex, 'hex').toString('binary');
}

/** A CRL starts a little in the past so that a peer with a slightly late clock does not find it "not yet valid". */
const BACKDATE_MS = 5 * 60_000;

/** Default lifetime of a CRL (OpenSSL and Node refuse every client once the CRL's nextUpdate has passed). */
export const DEFAULT_CRL_NEXT_UPDATE_DAYS = 365;

/** One revoked certificate. */
export interface RevokedEntry { serial: string; revokedAt: Date }

/** Options of `createCrl`. */
export interface CrlOptions { nextUpdateDays?: number; crlNumber?: number; now?: Date }


function encodeTime(date: Date): forge.asn1.Asn1 {
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050 on.
  return date.getUTCFullYear() < 2050
    ? asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  return node && Array.isArray(node.value) ? node.value : [];
}

/** The DER of a certificate's subject Name exactly as it was encoded (a CRL's issuer must match it byte for byte in practice). */
function rawSubjectOf(certPem: string): forge.asn1.Asn1 {
  const der = forge.pem.decode(certPem)[0]?.body;
  if (der === undefined) throw new PkiError('INVALID_CERTIFICATE', 'the CA certificate is not PEM');
  const tbs = children(asn1.fromDer(der)).at(0);
  const fields = children(tbs);
  const offset = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject) throw new PkiError('INVALID_CERTIFICATE', 'the CA certificate has no subject');
  return subject;
}

/** The DER bytes (binary string) of a certificate's subject Name, comparable with a CRL's `issuerDer`. */
export function subjectDerOf(certPem: string): string {
  return asn1.toDer(rawSubjectOf(certPem)).getBytes();
}

function extension(oid: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return asn1.create(U, T.SEQUENCE, true, [
    asn1.create(U, T.OID, false, asn1.oidToDer(oid).getBytes()),
    asn1.create(U, T.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  ]);
}

function sha256WithRsa(): forge.asn1.Asn1 {
  return asn1.create(U, T.SEQUENCE, true, [
    asn1.create(U, T.OID, false, asn1.oidToDer(forge.pki.oids['sha256WithRSAEncryption'] ?? '1.2.840.113549.1.1.11').getBytes()),
    asn1.create(U, T.NULL, false, ''),
  ]);
}

/**
 * Writes a v2 X.509 CRL ("X509 CRL" PEM) signed with SHA-256 by the CA: the revoked serials with their dates,
 * the authority key identifier and a CRL number (default 1).
 */
export function createCrl(ca: Identity, revoked: Array<{ serial: string; revokedAt: Date }>, opts: CrlOptions = {}): string {
  const nextUpdateDays = opts.nextUpdateDays ?? DEFAULT_CRL_NEXT_UPDATE_DAYS;
  const crlNumber = opts.crlNumber ?? 1;
  if (!Number.isInteger(nextUpdateDays) || nextUpdateDays <= 0) throw new PkiError('INVALID_ARGUMENT', 'nextUpdateDays must be a positive integer');
  if (!Number.isSafeInteger(crlNumber) || crlNumber < 0) throw new PkiError('INVALID_ARGUMENT', 'crlNumber must be a non-negative integer');
  if (!keyMatchesCertificate(ca.keyPem, ca.certPem)) throw new PkiError('CA_MISMATCH', 'the CA key does not belong to the CA certificate');
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = readForgePrivateKey(ca.keyPem);
  const now = opts.now ?? new Date();
  const thisUpdate = new Date(now.getTime() - BACKDATE_MS);
  const nextUpdate = new Date(now.getTime() + nextUpdateDays * DAY_MS);

  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  const keyId = ski?.subjectKeyIdentifier ? forge.util.hexToBytes(ski.subjectKeyIdentifier) : caCert.generateSubjectKeyIdentifier().getBytes();

  const tbsFields: forge.asn1.Asn1[] = [
    asn1.create(U, T.INTEGER, false, asn1.integerToDer(1).getBytes()), // v2
    sha256WithRsa(),
    rawSubjectOf(ca.certPem),
    encodeTime(thisUpdate),
    encodeTime(nextUpdate),
  ];
  if (revoked.length > 0) {
    tbsFields.push(asn1.create(U, T.SEQUENCE, true, revoked.map((entry) => asn1.create(U, T.SEQUENCE, true, [
      asn1.create(U, T.INTEGER, false, serialToDerIntegerBytes(entry.serial)),
      encodeTime(entry.revokedAt),
    ]))));
  }
  tbsFields.push(asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
    asn1.create(U, T.SEQUENCE, true, [
      extension('2.5.29.35', asn1.create(U, T.SEQUENCE, true, [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyId)])),
      extension('2.5.29.20', asn1.create(U, T.INTEGER, false, asn1.integerToDer(crlNumber).getBytes())),
    ]),
  ]));
  const tbs = asn1.create(U, T.SEQUENCE, true, tbsFields);
  const md = forge.md.sha256.create();
  md.update(asn1.toDer(tbs).getBytes());
  const signature = caKey.sign(md);
  const crl = asn1.create(U, T.SEQUENCE, true, [
    tbs,
    sha256WithRsa(),
    asn1.create(U, T.BITSTRING, false, `\u0000${signature}`),
  ]);
  return toUnixLines(forge.pem.encode({ type: 'X509 CRL', body: asn1.toDer(crl).getBytes() }, { maxline: 64 }));
}

export { describeCrl, type CrlInfo } from './crl-info.js';
