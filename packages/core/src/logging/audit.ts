/**
 * The audit log (docs/api.md §2): every state-changing call, with the caller's certificate
 * subject, the time and the outcome, one JSON line each in `<dir>/audit-YYYY-MM-DD.log`.
 */
import { CONFIG_DEFAULTS } from '../config/defaults.js';
import { systemClock, type Clock } from '../schedule/clock.js';
import { closeLogger, createProcessLogger } from './logger.js';

/** One audited action. */
export interface AuditEntry {
  /** What was done: "sendOrder", "restart_qsen", "halt", ... */
  action: string;
  /** The caller's certificate subject. */
  subject: string;
  /** How it ended: "accepted", "rejected", "ok", an error code, ... */
  outcome: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

/** Where audit entries go. */
export interface AuditLog {
  /** Appends one entry (with a timestamp). */
  record(entry: AuditEntry): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Opens the audit log in the log folder. */
export function createAuditLog(opts: { dir: string; maxSizeMb?: number; maxFiles?: number; clock?: Clock }): AuditLog {
  const logger = createProcessLogger({
    dir: opts.dir,
    name: 'audit',
    level: 'info',
    maxSizeMb: opts.maxSizeMb ?? CONFIG_DEFAULTS.logging.max_size_mb,
    maxFiles: opts.maxFiles ?? CONFIG_DEFAULTS.logging.max_files,
    clock: opts.clock ?? systemClock,
  });
  return {
    record(entry) {
      logger.info('audit', {
        action: entry.action,
        subject: entry.subject,
        outcome: entry.outcome,
        ...(entry.requestId !== undefined ? { requestId: entry.requestId } : {}),
        ...(entry.details !== undefined ? { details: entry.details } : {}),
      });
    },
    close: () => closeLogger(logger),
  };
}
