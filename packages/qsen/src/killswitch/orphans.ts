/**
 * Cancelling an orphan (docs/api.md, "Orphans"): a resting order SENEBI lists inside qsen's id
 * range that qsen's journal does not know (placed with the agent's certificate outside qsen, or
 * a journal restored from an older backup). qsen has no record to cancel it through, so the mass
 * cancel asks SENEBI straight (SENEBI's cancel is idempotent). An id outside the range is never
 * sent: the guard below refuses it whatever the caller passed.
 */
import { isInRange, type IdRange, type Uint64 } from '@qsen/core/ids';
import type { CancelAnswer } from '../senebi/answers.js';
import { failedVerdictOf } from './cancel-verdict.js';
import type { CancelVerdict } from './mass-cancel.js';

/** An orphan's cancel is SENEBI's alone: only SENEBI's own failures are worth a retry. */
const RETRYABLE: ReadonlySet<string> = new Set(['SENEBI_TIMEOUT', 'SENEBI_ERROR']);

/** Reads SENEBI's answer to an orphan's cancel (or its failure) as the mass cancel's verdict (pure). */
export function verdictOfOrphanCancel(result: { readonly answer: CancelAnswer } | { readonly error: unknown }): CancelVerdict {
  if ('answer' in result) {
    const { answer } = result;
    if (answer.kind === 'cancelled') return { outcome: 'cancelled' };
    if (answer.kind === 'not_found') return { outcome: 'notOpen', status: 'not_found' };
    return answer.status === 'matched' ? { outcome: 'alreadyMatched' } : { outcome: 'notOpen', status: answer.status };
  }
  return failedVerdictOf(result.error, RETRYABLE);
}

/** Makes the orphan cancel over SENEBI's cancel; ids outside `range` are refused without a call. */
export function createOrphanCancel(deps: { readonly range: IdRange; readonly cancelOrder: (id: Uint64) => Promise<CancelAnswer> }): (id: Uint64) => Promise<CancelVerdict> {
  return async (id) => {
    if (!isInRange(id, deps.range)) return { outcome: 'failed', code: 'ID_OUT_OF_RANGE', retryable: false };
    try {
      return verdictOfOrphanCancel({ answer: await deps.cancelOrder(id) });
    } catch (error) {
      return verdictOfOrphanCancel({ error });
    }
  };
}
