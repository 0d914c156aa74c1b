import type { Identity } from '../certificates.js';
import { isSignedBy } from '../certificates.js';
import { createCrl, subjectDerOf, DEFAULT_CRL_NEXT_UPDATE_DAYS } from '../crl.js';
import { describeCrl, type CrlInfo } from '../crl-info.js';
import { describeCertificate } from '../describe.js';
import { PkiError } from '../errors.js';
import { normalizeSerial } from '../serials.js';
import { MODES, readOptional, readRequired, replaceFile } from './files.js';
import { CLUSTER_PKI_FILES, resolveIn } from './paths.js';

/** One entry of `pki/revoked.json`. */
export interface RevocationRecordEntry { serial: string; revokedAt: string; subject?: string; notAfter?: string }

/** The revocation record `pki/revoked.json`: the source the CRL is rebuilt from. */
export interface RevocationRecord { crlNumber: number; revoked: RevocationRecordEntry[] }

/** What `revokeCertificate` did. */
export interface RevokeResult { serial: string; crlNumber: number; alreadyRevoked: boolean }

/**
 * The nodes' promise: a new CRL (or any other TLS file) is in force on every node within this many seconds
 * of being written, without a restart (core's TLS file watch polls well inside it). Declared in crl-info.ts
 * (the forge-free entry @qsen/pki/verify).
 */
export { CRL_TAKES_EFFECT_WITHIN_S } from '../crl-info.js';

/** A CRL is rewritten by `initClusterPki` / `renewCrl` when fewer than this many days are left before its nextUpdate. */
export const CRL_RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

function parseRecord(text: string, path: string): RevocationRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PkiError('INVALID_REVOCATION_RECORD', `${path} is not valid JSON`, { cause: err });
  }
  const record = data as Partial<RevocationRecord> | null;
  if (!record || typeof record !== 'object' || !Number.isSafeInteger(record.crlNumber) || !Array.isArray(record.revoked)) {
    throw new PkiError('INVALID_REVOCATION_RECORD', `${path} must be {"crlNumber": N, "revoked": [...]}`);
  }
  for (const entry of record.revoked) {
    if (!entry || typeof entry.serial !== 'string' || typeof entry.revokedAt !== 'string' || Number.isNaN(Date.parse(entry.revokedAt))) {
      throw new PkiError('INVALID_REVOCATION_RECORD', `${path} has an entry without a hex "serial" and an ISO "revokedAt"`);
    }
    normalizeSerial(entry.serial);
  }
  return record as RevocationRecord;
}

/** Reads `pki/revoked.json`; undefined when it does not exist. */
export function readRevocationRecord(home: string): RevocationRecord | undefined {
  const path = resolveIn(home, CLUSTER_PKI_FILES.revocations);
  const text = readOptional(path);
  return text === undefined ? undefined : parseRecord(text, path);
}

function formatRecord(record: RevocationRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Writes `pki/revoked.json` (atomically). */
export function writeRevocationRecord(home: string, record: RevocationRecord): void {
  replaceFile(resolveIn(home, CLUSTER_PKI_FILES.revocations), formatRecord(record), MODES.publicFile);
}

/** The CRL file of a state folder as read back, or undefined when it is missing or unreadable. */
export function readCurrentCrl(home: string): CrlInfo | undefined {
  const text = readOptional(resolveIn(home, CLUSTER_PKI_FILES.crl));
  if (text === undefined) return undefined;
  try {
    return describeCrl(text);
  } catch {
    return undefined;
  }
}

/**
 * The union of the record and a CRL (pure): every serial revoked by either stays revoked, the record's
 * entries keep their details, and the CRL number is the larger of the two. A CRL made by other tools
 * (`openssl ca -gencrl`) is therefore never un-revoked by a rebuild from the record.
 */
export function mergeRevocations(record: RevocationRecord, crl: Pick<CrlInfo, 'crlNumber' | 'revoked'> | undefined): RevocationRecord {
  if (crl === undefined) return record;
  const known = new Set(record.revoked.map((e) => normalizeSerial(e.serial)));
  const added = crl.revoked
    .filter((r) => !known.has(normalizeSerial(r.serial)))
    .map((r) => ({ serial: normalizeSerial(r.serial), revokedAt: r.revokedAt.toISOString() }));
  // One serial listed twice in the CRL is recorded once.
  const unique = added.filter((e, i) => added.findIndex((o) => o.serial === e.serial) === i);
  return { crlNumber: Math.max(record.crlNumber, crl.crlNumber ?? 0), revoked: [...record.revoked, ...unique] };
}

/** The state folder's CRL when it is readable and issued under the CA's name (a CRL of another CA is never merged). */
export function readCrlOf(home: string, ca: Identity): CrlInfo | undefined {
  const crl = readCurrentCrl(home);
  return crl !== undefined && crl.issuerDer === subjectDerOf(ca.certPem) ? crl : undefined;
}

/** True when two records hold the same number and the same serials in the same order. */
export function sameRecord(a: RevocationRecord, b: RevocationRecord): boolean {
  return a.crlNumber === b.crlNumber && a.revoked.length === b.revoked.length && a.revoked.every((e, i) => e.serial === b.revoked[i]?.serial);
}

/**
 * Writes the record and a CRL made from it, after merging in every revocation of the CRL already on disk
 * (when it is this CA's). The CRL number written is above the one on disk and at least the record's: it
 * never goes down. Returns the record as written.
 */
export function writeRevocationState(home: string, ca: Identity, record: RevocationRecord, now: Date): RevocationRecord {
  const onDisk = readCurrentCrl(home);
  const merged = mergeRevocations(record, readCrlOf(home, ca));
  const written: RevocationRecord = { ...merged, crlNumber: Math.max(record.crlNumber, (onDisk?.crlNumber ?? 0) + 1) };
  writeRevocationRecord(home, written);
  const crl = createCrl(ca, written.revoked.map((e) => ({ serial: e.serial, revokedAt: new Date(e.revokedAt) })), {
    crlNumber: written.crlNumber, nextUpdateDays: DEFAULT_CRL_NEXT_UPDATE_DAYS, now,
  });
  replaceFile(resolveIn(home, CLUSTER_PKI_FILES.crl), crl, MODES.publicFile);
  return written;
}

/**
 * True when the CRL file is missing, unreadable, out of step with the record (another number, or a serial
 * of the record it does not list), or close to its nextUpdate.
 */
export function crlNeedsRewrite(home: string, record: RevocationRecord, now: Date): boolean {
  const info = readCurrentCrl(home);
  if (info === undefined) return true;
  if (info.crlNumber !== record.crlNumber) return true;
  const listed = new Set(info.revoked.map((r) => normalizeSerial(r.serial)));
  if (record.revoked.some((e) => !listed.has(normalizeSerial(e.serial)))) return true;
  if (!info.nextUpdate) return true;
  return info.nextUpdate.getTime() - now.getTime() < CRL_RENEW_BEFORE_DAYS * DAY_MS;
}

/** Reads the cluster CA (certificate and key) of a state folder. */
export function readClusterCa(home: string): Identity {
  return {
    certPem: readRequired(resolveIn(home, CLUSTER_PKI_FILES.caCert), 'the cluster CA certificate'),
    keyPem: readRequired(resolveIn(home, CLUSTER_PKI_FILES.caKey), 'the cluster CA key'),
  };
}

/**
 * Revokes a certificate of the cluster CA, given as PEM text or as a hex serial: records it in `pki/revoked.json`
 * and rewrites `pki/crl.pem` with the next CRL number. Revoking a serial twice changes nothing.
 */
export function revokeCertificate(home: string, certPemOrSerial: string, opts: { now?: Date } = {}): RevokeResult {
  const now = opts.now ?? new Date();
  const ca = readClusterCa(home);
  let entry: RevocationRecordEntry;
  if (certPemOrSerial.includes('-----BEGIN')) {
    const info = describeCertificate(certPemOrSerial, now);
    if (!isSignedBy(certPemOrSerial, ca.certPem)) {
      throw new PkiError('CA_MISMATCH', `the certificate ${info.subject} was not issued by this cluster's CA`);
    }
    entry = { serial: normalizeSerial(info.serial), revokedAt: now.toISOString(), subject: info.subject, notAfter: info.notAfter };
  } else {
    entry = { serial: normalizeSerial(certPemOrSerial), revokedAt: now.toISOString() };
  }
  const record = readRevocationRecord(home) ?? { crlNumber: 0, revoked: [] };
  const merged = mergeRevocations(record, readCrlOf(home, ca));
  if (merged.revoked.some((e) => normalizeSerial(e.serial) === entry.serial)) {
    if (crlNeedsRewrite(home, merged, now)) return { serial: entry.serial, crlNumber: writeRevocationState(home, ca, merged, now).crlNumber, alreadyRevoked: true };
    if (!sameRecord(merged, record)) writeRevocationRecord(home, merged);
    return { serial: entry.serial, crlNumber: merged.crlNumber, alreadyRevoked: true };
  }
  const written = writeRevocationState(home, ca, { crlNumber: record.crlNumber + 1, revoked: [...record.revoked, entry] }, now);
  return { serial: entry.serial, crlNumber: written.crlNumber, alreadyRevoked: false };
}

/** Rewrites `pki/crl.pem` with the next CRL number and a fresh nextUpdate (run it before the CRL expires). */
export function renewCrl(home: string, opts: { now?: Date } = {}): { crlNumber: number; nextUpdate: string } {
  const now = opts.now ?? new Date();
  const ca = readClusterCa(home);
  const record = readRevocationRecord(home) ?? { crlNumber: 0, revoked: [] };
  const written = writeRevocationState(home, ca, { ...record, crlNumber: record.crlNumber + 1 }, now);
  return { crlNumber: written.crlNumber, nextUpdate: new Date(now.getTime() + DEFAULT_CRL_NEXT_UPDATE_DAYS * DAY_MS).toISOString() };
}

/** Lists the revoked certificates of a state folder (empty when nothing was revoked). */
export function listRevoked(home: string): RevocationRecord {
  return readRevocationRecord(home) ?? { crlNumber: 0, revoked: [] };
}
