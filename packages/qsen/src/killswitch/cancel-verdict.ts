/**
 * What one cancel through the cancel desk (orders/cancel.ts, the same path as cancelOrder) means
 * for the mass cancel: a pure reading of its outcome (docs/qsen.md, "Pulling resting orders").
 *
 * - answered: `cancelled` (now, or answered again from qsen's record).
 * - 409 ORDER_NOT_CANCELLABLE: `matched` is already matched; `rejected` / `not_sent` is not open.
 * - 404 ORDER_NOT_FOUND: the cancel path lost the record of a journaled order it was given (a
 *   real failure the operator must see, not "not open"). Orders SENEBI lists resting in the range
 *   that the journal does not know never come here: they are orphans (orphans.ts).
 * - SENEBI_TIMEOUT, SENEBI_ERROR (with `details.delivery`), ORDER_DELIVERY_UNKNOWN, RECONCILING,
 *   JOURNAL_UNAVAILABLE, INTERNAL_ERROR: failed, worth retrying.
 * - anything else (MARKET_CLOSED, SHUTTING_DOWN, ...): failed, final for this run.
 */
import { ApiError } from '@qsen/core/errors';
import { codeOfError } from '../errors.js';
import type { CancelOutcome } from '../orders/cancel.js';
import type { CancelVerdict } from './mass-cancel.js';

const RETRYABLE: ReadonlySet<string> = new Set(['SENEBI_TIMEOUT', 'SENEBI_ERROR', 'ORDER_DELIVERY_UNKNOWN', 'RECONCILING', 'JOURNAL_UNAVAILABLE', 'INTERNAL_ERROR']);

/** Reads one cancel desk outcome as the mass cancel's verdict. */
export function verdictOfCancel(outcome: CancelOutcome): CancelVerdict {
  if ('answer' in outcome) return { outcome: 'cancelled' };
  const err = outcome.error;
  const code = codeOfError(err);
  const details = err instanceof ApiError ? err.details ?? {} : {};
  if (code === 'ORDER_NOT_CANCELLABLE') {
    const status = typeof details['status'] === 'string' ? details['status'] : 'unknown';
    return status === 'matched' ? { outcome: 'alreadyMatched' } : { outcome: 'notOpen', status };
  }
  return failedVerdictOf(err);
}

/**
 * A failed cancel as the mass cancel's verdict: its code, what is known of its delivery, and
 * whether a retry may still succeed (its code is in `retryable`). Shared by the cancel desk's path
 * and the orphans' (orphans.ts, whose straight SENEBI call retries SENEBI's failures only).
 */
export function failedVerdictOf(err: unknown, retryable: ReadonlySet<string> = RETRYABLE): CancelVerdict {
  const code = codeOfError(err);
  const delivery = err instanceof ApiError ? err.details?.['delivery'] : undefined;
  return {
    outcome: 'failed',
    code,
    ...(delivery === 'unknown' || delivery === 'not_sent' ? { delivery } : code === 'ORDER_DELIVERY_UNKNOWN' ? { delivery: 'unknown' } : {}),
    retryable: retryable.has(code),
  };
}
