/**
 * The audit trail of qsen's state-changing calls (sendOrder, halt, resume): who (certificate
 * subject), what, the outcome, in the vocabulary of docs/auditor.md. The sink is core's audit
 * log (qsen's own chain, core's AuditSink); this module holds qsen's outcome rules.
 */
import type { AuditOutcome } from '@qsen/core/logging';

/** Codes that mean carrying the order out went wrong (`failed`); every other error code is a refusal. */
const FAILURE_CODES: ReadonlySet<string> = new Set(['SENEBI_ERROR', 'SENEBI_TIMEOUT', 'JOURNAL_UNAVAILABLE', 'INTERNAL_ERROR']);

/** The outcome of an error answer (pure): `failed` for a failure to carry it out, `refused` otherwise. */
export function outcomeOfErrorCode(code: string): Extract<AuditOutcome, 'refused' | 'failed'> {
  return FAILURE_CODES.has(code) ? 'failed' : 'refused';
}
