/**
 * qsen's error registry (CONVENTIONS #5). Codes are the contract's (section 4) plus the few the
 * order node needs of its own; every one is listed with its status in docs/qsen.md.
 */
import { ApiError, defineErrors, httpErrors } from '@qsen/core/errors';

/** Every error qsen answers with, by stable code. */
export const qsenErrors = defineErrors({
  INVALID_REQUEST: httpErrors.specs.INVALID_REQUEST,
  ID_OUT_OF_RANGE: { status: 403, message: 'the order id is outside the reserved id range' },
  DUPLICATE_ORDER_ID: { status: 409, message: 'the order id was already used with different content' },
  MARKET_CLOSED: { status: 409, message: 'outside the trading window' },
  ORDER_NOT_FOUND: { status: 404, message: 'no order with this id' },
  ORDER_NOT_CANCELLABLE: { status: 409, message: 'the order can no longer be cancelled' },
  ORDER_DELIVERY_UNKNOWN: { status: 409, message: 'the order\'s own delivery to SENEBI is not known yet, so the cancel was not forwarded; retry shortly' },
  RISK_LIMIT_EXCEEDED: { status: 422, message: 'the order breaks a risk limit of the agent' },
  RISK_CONFIG_INVALID: { status: 422, message: 'the [risk] section or the reference prices file is not valid; the limits in force are kept' },
  HALTED: { status: 423, message: 'the kill switch is on: orders are not accepted' },
  HALT_NOT_PERSISTED: { status: 503, message: 'the halt is in force in memory (every order is refused) but could not be written to disk; qsen keeps retrying' },
  DEADMAN_DISABLED: { status: 409, message: "the dead man's switch is off ([deadman] enabled = false): heartbeats are not taken" },
  SENEBI_ERROR: { status: 502, message: 'SENEBI answered with an error' },
  RECONCILING: { status: 503, message: 'qsen is still reconciling in-flight orders with SENEBI; retry shortly' },
  JOURNAL_UNAVAILABLE: { status: 503, message: 'the order journal cannot be written; the order was not forwarded' },
  SHUTTING_DOWN: { status: 503, message: 'qsen is shutting down; retry on the restarted node' },
  SENEBI_TIMEOUT: { status: 504, message: 'SENEBI did not answer in time' },
});

/** Why qsen refuses to start (main prints the message and exits 1); documented in docs/errors.md. */
export const STARTUP_PROBLEMS = ['SENEBI_IDENTITY', 'JOURNAL_CORRUPT', 'JOURNAL_TRUNCATED', 'JOURNAL_UNREADABLE', 'RISK_REFERENCE_PRICES'] as const;

/** One reason qsen refuses to start. */
export type StartupProblem = (typeof STARTUP_PROBLEMS)[number];

/** A problem that stops qsen at start, with a message naming the file and what to do. */
export class QsenStartupError extends Error {
  constructor(readonly problem: StartupProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QsenStartupError';
  }
}

/** The stable code of any error: its registry code, or INTERNAL_ERROR for anything else. */
export function codeOfError(err: unknown): string {
  return err instanceof ApiError ? err.code : 'INTERNAL_ERROR';
}
