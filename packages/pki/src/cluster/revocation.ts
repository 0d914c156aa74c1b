import type { Identity } from '../certificates.js';
import { isSignedBy } from '../certificates.js';
import { createCrl, describeCrl, DEFAULT_CRL_NEXT_UPDATE_DAYS } from '../crl.js';
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

/** Writes the record, then a CRL made from it (numbered with the record's crlNumber). */
export function writeRevocationState(home: string, ca: Identity, record: RevocationRecord, now: Date): void {
  writeRevocationRecord(home, record);
  const crl = createCrl(ca, record.revoked.map((e) => ({ serial: e.serial, revokedAt: new Date(e.revokedAt) })), {
    crlNumber: record.crlNumber, nextUpdateDays: DEFAULT_CRL_NEXT_UPDATE_DAYS, now,
  });
  replaceFile(resolveIn(home, CLUSTER_PKI_FILES.crl), crl, MODES.publicFile);
}

/** True when the CRL file is missing, unreadable, out of step with the record, or close to its nextUpdate. */
export function crlNeedsRewrite(home: string, record: RevocationRecord, now: Date): boolean {
  const text = readOptional(resolveIn(home, CLUSTER_PKI_FILES.crl));
  if (text === undefined) return true;
  try {
    const info = describeCrl(text);
    if (info.crlNumber !== record.crlNumber) return true;
    if (!info.nextUpdate) return true;
    return info.nextUpdate.getTime() - now.getTime() < CRL_RENEW_BEFORE_DAYS * DAY_MS;
  } catch {
    return true;
  }
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
  if (record.revoked.some((e) => normalizeSerial(e.serial) === entry.serial)) {
    if (crlNeedsRewrite(home, record, now)) writeRevocationState(home, ca, record, now);
    return { serial: entry.serial, crlNumber: record.crlNumber, alreadyRevoked: true };
  }
  const next: RevocationRecord = { crlNumber: record.crlNumber + 1, revoked: [...record.revoked, entry] };
  writeRevocationState(home, ca, next, now);
  return { serial: entry.serial, crlNumber: next.crlNumber, alreadyRevoked: false };
}

/** Rewrites `pki/crl.pem` with the next CRL number and a fresh nextUpdate (run it before the CRL expires). */
export function renewCrl(home: string, opts: { now?: Date } = {}): { crlNumber: number; nextUpdate: string } {
  const now = opts.now ?? new Date();
  const ca = readClusterCa(home);
  const record = readRevocationRecord(home) ?? { crlNumber: 0, revoked: [] };
  const next = { ...record, crlNumber: record.crlNumber + 1 };
  writeRevocationState(home, ca, next, now);
  return { crlNumber: next.crlNumber, nextUpdate: new Date(now.getTime() + DEFAULT_CRL_NEXT_UPDATE_DAYS * DAY_MS).toISOString() };
}

/** Lists the revoked certificates of a state folder (empty when nothing was revoked). */
export function listRevoked(home: string): RevocationRecord {
  return readRevocationRecord(home) ?? { crlNumber: 0, revoked: [] };
}
