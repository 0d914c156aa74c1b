/**
 * The audit trail's line format and hash chain (pure). Each writer (qsen, kan0..2, qsen-admin)
 * keeps its own chain in `<logs>/audit-<chain>-YYYY-MM-DD.log` (UTC date), one JSON line per
 * entry; every line's `prev` is the SHA-256 (hex) of the previous line of the same chain (its
 * bytes without the newline), across day files; the first line ever carries AUDIT_GENESIS.
 * The first line of each day file also names the file it follows (`prevFile`, null at genesis),
 * so a removed day file is found by name.
 */
import { createHash } from 'node:crypto';
import { redactSecrets } from './redact.js';

/** Every audit file's name starts with this (kan refuses to truncate such files). */
export const AUDIT_FILE_PREFIX = 'audit-';

/** The `prev` of a chain's very first line: 64 hex zeros. */
export const AUDIT_GENESIS = '0'.repeat(64);

/** The actions audited (docs/auditor.md). */
export const AUDIT_ACTIONS = ['sendOrder', 'cancelOrder', 'halt', 'resume', 'massCancel', 'heartbeat', 'risk.reload', 'risk.override', 'risk.reference_prices', 'restart_qsen', 'restart_kan', 'logs/truncate'] as const;
/** One audited action. */
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * The outcomes (docs/auditor.md): `accepted` (taken; for sendOrder: SENEBI accepted it),
 * `rejected` (SENEBI rejected the order), `replayed` (an identical resend answered from qsen's
 * record, with the original time), `refused` (QSen refused the request; carries `code`),
 * `failed` (carrying it out failed; carries `code`), `coalesced` (joined a restart already under
 * way), `done` (carried out).
 */
export const AUDIT_OUTCOMES = ['accepted', 'rejected', 'replayed', 'refused', 'failed', 'coalesced', 'done'] as const;
/** One outcome. */
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One entry as a writer records it. */
export interface AuditEntry {
  readonly action: AuditAction;
  /** The caller's certificate subject (`local:<user>` for the shell command). */
  readonly subject: string;
  readonly outcome: AuditOutcome;
  /** The error code of a `refused` or `failed` outcome. */
  readonly code?: string;
  readonly requestId?: string;
  readonly details?: Record<string, unknown>;
}

/** A trailing fragment left by a crash, as the next line records it. */
export interface TornFragment {
  readonly bytes: number;
  readonly sha256: string;
}

/** Hex SHA-256 of one line (its bytes without the newline). */
export function hashLine(line: string | Buffer): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The file of `chain` for a UTC day. */
export function auditFileName(chain: string, date: string): string {
  return `${AUDIT_FILE_PREFIX}${chain}-${date}.log`;
}

const CHAIN_NAME = /^[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*$/;
const FILE_NAME = /^audit-([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-(\d{4}-\d{2}-\d{2})\.log$/;

/** Tells whether a chain name is usable (lowercase words joined by '-', e.g. "kan0", "qsen-admin"). */
export function isChainName(name: string): boolean {
  return CHAIN_NAME.test(name);
}

/** Reads `audit-<chain>-<date>.log`; undefined for any other name. */
export function parseAuditFileName(name: string): { chain: string; date: string } | undefined {
  const m = FILE_NAME.exec(name);
  return m && m[1] !== undefined && m[2] !== undefined ? { chain: m[1], date: m[2] } : undefined;
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Builds one line (without newline) in a fixed key order; `prev` is always last. */
export function formatAuditLine(input: {
  readonly entry: AuditEntry;
  readonly chain: string;
  readonly timestamp: string;
  readonly prev: string;
  /** Only on the first line of a day file: the file it follows (null at genesis). */
  readonly prevFile?: string | null;
  readonly torn?: readonly TornFragment[];
}): string {
  const { entry } = input;
  const line: Record<string, unknown> = {
    timestamp: input.timestamp,
    chain: input.chain,
    action: entry.action,
    subject: entry.subject,
    outcome: entry.outcome,
  };
  if (entry.code !== undefined) line['code'] = entry.code;
  if (entry.requestId !== undefined) line['requestId'] = entry.requestId;
  if (entry.details !== undefined) line['details'] = redactSecrets(entry.details);
  if (input.prevFile !== undefined) line['prevFile'] = input.prevFile;
  if (input.torn !== undefined && input.torn.length > 0) line['torn'] = input.torn;
  line['prev'] = input.prev;
  return JSON.stringify(line);
}

/** A parsed audit line: the object, or undefined when the text is not a chained audit line. */
export function parseAuditLine(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  return typeof record['prev'] === 'string' && /^[0-9a-f]{64}$/.test(record['prev']) ? record : undefined;
}
