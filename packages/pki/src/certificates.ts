import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { PkiError } from './errors.js';
import { formatPrivateKeyPem, generateRsaKeyPair, readForgePrivateKey, readForgePublicKeyOfPrivateKey, toUnixLines } from './forge-keys.js';
import { keyMatchesCertificate } from './keys.js';

/** A certificate with its private key; `keyPem` is unencrypted PKCS#8 PEM. */
export interface Identity { certPem: string; keyPem: string }

/** Extended key usages a client certificate may carry. */
export type ExtendedKeyUsage = 'clientAuth' | 'serverAuth';

/** Validity and key choices shared by every issuing function (all optional). */
export interface IssueCommonOptions {
  validDays?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** Subject O; default "QSen". */
  organization?: string;
  /** The clock; default `new Date()`. */
  now?: Date;
  /** Certify this existing unencrypted private key instead of generating a new one. */
  keyPem?: string;
}

/** Options of `createCa`. */
export interface CreateCaOptions extends IssueCommonOptions { commonName: string }

/** Options of `issueServerCertificate`. */
export interface ServerCertificateOptions extends IssueCommonOptions { commonName: string; hosts: string[] }

/** Options of `issueClientCertificate`. */
export interface ClientCertificateOptions extends IssueCommonOptions { commonName: string; ou: string; extKeyUsage?: ExtendedKeyUsage[] }

/** Default lifetimes, in days. */
export const DEFAULT_VALID_DAYS = { ca: 3650, server: 825, client: 825 } as const;

/** Default subject organization. */
export const DEFAULT_ORGANIZATION = 'QSen';

const DAY_MS = 86_400_000;
/** Certificates start a little in the past so that a peer with a slightly late clock accepts them. */
const BACKDATE_MS = 5 * 60_000;

/** Makes a random positive serial number (16 bytes, first byte 0x10..0x7F so the hex form is always 32 digits). */
export function generateSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x10 + ((bytes[0] ?? 0) % 0x70);
  return bytes.toString('hex');
}

function requireText(value: string, what: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new PkiError('INVALID_ARGUMENT', `${what} must be a non-empty string`);
  if (value.length > 64) throw new PkiError('INVALID_ARGUMENT', `${what} must be at most 64 characters`);
  return value;
}

function utf8Attribute(shortName: 'CN' | 'OU' | 'O', value: string): forge.pki.CertificateField {
  return { shortName, value: forge.util.encodeUtf8(value), valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class };
}

function resolveValidity(opts: IssueCommonOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const now = opts.now ?? new Date();
  const days = opts.validDays ?? defaultDays;
  if (!Number.isInteger(days) || days <= 0) throw new PkiError('INVALID_ARGUMENT', `validDays must be a positive integer, got ${String(days)}`);
  const notBefore = opts.notBefore ?? new Date(now.getTime() - BACKDATE_MS);
  const notAfter = opts.notAfter ?? new Date(now.getTime() + days * DAY_MS);
  if (!(notAfter.getTime() > notBefore.getTime())) throw new PkiError('INVALID_ARGUMENT', 'notAfter must be later than notBefore');
  return { notBefore, notAfter };
}

interface SigningCa { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey }

function readSigningCa(ca: Identity): SigningCa {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(ca.certPem);
  } catch (err) {
    throw new PkiError('INVALID_CERTIFICATE', 'the CA certificate cannot be read', { cause: err });
  }
  if (!keyMatchesCertificate(ca.keyPem, ca.certPem)) throw new PkiError('CA_MISMATCH', 'the CA key does not belong to the CA certificate');
  return { cert, key: readForgePrivateKey(ca.keyPem) };
}

function authorityKeyIdentifierOf(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ski?.subjectKeyIdentifier) return forge.util.hexToBytes(ski.subjectKeyIdentifier);
  return caCert.generateSubjectKeyIdentifier().getBytes();
}

interface BuildRequest {
  subject: forge.pki.CertificateField[];
  validity: { notBefore: Date; notAfter: Date };
  extensions: object[];
  keyPem: string | undefined;
  /** Undefined: self-signed. */
  ca: SigningCa | undefined;
}

function buildCertificate(req: BuildRequest): Identity {
  let keyPem: string;
  let publicKey: forge.pki.rsa.PublicKey;
  let ownPrivateKey: forge.pki.rsa.PrivateKey;
  if (req.keyPem !== undefined) {
    ownPrivateKey = readForgePrivateKey(req.keyPem);
    publicKey = readForgePublicKeyOfPrivateKey(req.keyPem);
    keyPem = formatPrivateKeyPem(ownPrivateKey);
  } else {
    const pair = generateRsaKeyPair();
    ownPrivateKey = pair.privateKey;
    publicKey = pair.publicKey;
    keyPem = formatPrivateKeyPem(pair.privateKey);
  }
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = generateSerialNumber();
  let { notBefore, notAfter } = req.validity;
  if (req.ca) {
    // A leaf never outlives its CA: chains would break at the CA's expiry anyway.
    if (notAfter.getTime() > req.ca.cert.validity.notAfter.getTime()) notAfter = req.ca.cert.validity.notAfter;
    if (notBefore.getTime() < req.ca.cert.validity.notBefore.getTime()) notBefore = req.ca.cert.validity.notBefore;
  }
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject(req.subject);
  cert.setIssuer(req.ca ? req.ca.cert.subject.attributes : req.subject);
  cert.setExtensions(req.extensions);
  cert.sign(req.ca ? req.ca.key : ownPrivateKey, forge.md.sha256.create());
  return { certPem: toUnixLines(forge.pki.certificateToPem(cert)), keyPem };
}

function subjectOf(commonName: string, organization: string | undefined, ou?: string): forge.pki.CertificateField[] {
  const subject = [utf8Attribute('CN', requireText(commonName, 'commonName'))];
  if (ou !== undefined) subject.push(utf8Attribute('OU', requireText(ou, 'ou')));
  subject.push(utf8Attribute('O', requireText(organization ?? DEFAULT_ORGANIZATION, 'organization')));
  return subject;
}

/** Creates a self-signed certificate authority (RSA 2048, SHA-256, CA:true, keyCertSign + cRLSign). */
export function createCa(opts: CreateCaOptions): Identity {
  return buildCertificate({
    subject: subjectOf(opts.commonName, opts.organization),
    validity: resolveValidity(opts, DEFAULT_VALID_DAYS.ca),
    keyPem: opts.keyPem,
    ca: undefined,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
  });
}

/** Normalizes one host for a SAN: an IP address (v4 or v6, brackets allowed) or a DNS name (wildcards allowed). */
function toAltName(host: string): { type: number; value?: string; ip?: string } {
  const trimmed = host.trim();
  const unbracketed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  if (isIP(unbracketed) !== 0) return { type: 7, ip: unbracketed };
  const dns = /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
  if (trimmed.length === 0 || trimmed.length > 253 || !dns.test(trimmed)) {
    throw new PkiError('INVALID_ARGUMENT', `host ${JSON.stringify(host)} is neither an IP address nor a DNS name`);
  }
  return { type: 2, value: trimmed.toLowerCase() };
}

/** Issues a TLS server certificate signed by `ca`: every host becomes a SAN (DNS or IP), EKU serverAuth. */
export function issueServerCertificate(ca: Identity, opts: ServerCertificateOptions): Identity {
  if (!Array.isArray(opts.hosts) || opts.hosts.length === 0) throw new PkiError('INVALID_ARGUMENT', 'hosts must name at least one DNS name or IP address');
  const signer = readSigningCa(ca);
  const seen = new Set<string>();
  const altNames = opts.hosts.map(toAltName).filter((alt) => {
    const key = `${alt.type}:${alt.value ?? alt.ip ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return buildCertificate({
    subject: subjectOf(opts.commonName, opts.organization),
    validity: resolveValidity(opts, DEFAULT_VALID_DAYS.server),
    keyPem: opts.keyPem,
    ca: signer,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyIdentifierOf(signer.cert) },
    ],
  });
}

/** Issues a client certificate signed by `ca` with subject OU = `ou` (the role); EKU clientAuth unless `extKeyUsage` says otherwise. */
export function issueClientCertificate(ca: Identity, opts: ClientCertificateOptions): Identity {
  const usages = opts.extKeyUsage ?? ['clientAuth'];
  if (usages.length === 0) throw new PkiError('INVALID_ARGUMENT', 'extKeyUsage must list at least one usage');
  const eku: Record<string, unknown> = { name: 'extKeyUsage' };
  for (const usage of usages) {
    if (usage !== 'clientAuth' && usage !== 'serverAuth') throw new PkiError('INVALID_ARGUMENT', `unknown extended key usage ${JSON.stringify(usage)}`);
    eku[usage] = true;
  }
  const signer = readSigningCa(ca);
  return buildCertificate({
    subject: subjectOf(opts.commonName, opts.organization, opts.ou),
    validity: resolveValidity(opts, DEFAULT_VALID_DAYS.client),
    keyPem: opts.keyPem,
    ca: signer,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      eku,
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyIdentifierOf(signer.cert) },
    ],
  });
}

/** True when `certPem` carries a signature that `caCertPem`'s key verifies (and the issuer name matches). */
export function isSignedBy(certPem: string, caCertPem: string): boolean {
  try {
    const ca = forge.pki.certificateFromPem(caCertPem);
    const cert = forge.pki.certificateFromPem(certPem);
    return ca.verify(cert);
  } catch {
    return false;
  }
}
