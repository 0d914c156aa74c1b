/**
 * Start-up reconciliation's one loop, for the order desk's uncertain orders and the cancel desk's
 * uncertain cancels alike (docs/qsen.md, "Unknown deliveries" and "Cancel"): up to eight workers
 * take the pending ids in turn and read SENEBI's record of each by id, retrying a failed lookup
 * after `retryDelayMs(attempt)` until it answers or qsen stops. What an answer means is the
 * caller's pure decision, applied by `apply`; the loop knows nothing of orders or cancels.
 * Tested alone (packages/qsen/test/reconcile-loop.test.ts) and through the desks (reconcile.test.ts).
 */
import { ApiError } from '@qsen/core/errors';
import type { Uint64 } from '@qsen/core/ids';
import type { LogSink } from '@qsen/core/logging';

/** How many lookups run at once. */
const WORKERS = 8;

/** The default delay before retrying a failed lookup: 200 ms doubling to 2 s (attempt counts from 1). */
export const defaultRetryDelay = (attempt: number): number => Math.min(2000, 100 * 2 ** Math.min(attempt, 5));

/** Waits `ms` (the retry back-off; a real timer, as the SENEBI calls it spaces out are real). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One reconciliation pass. */
export interface ReconcilePass<T> {
  /** What is reconciled, for the log lines. */
  readonly subject: 'order' | 'cancel';
  /** The ids to ask about, in order. */
  readonly ids: readonly Uint64[];
  /** Reads SENEBI's record of one id; a throw (of it or of `apply`) is retried. */
  readonly lookup: (id: Uint64) => Promise<T>;
  /** Applies what the lookup found; returns the state it left, for the log line. */
  readonly apply: (id: Uint64, found: T) => unknown;
  readonly isStopped: () => boolean;
  readonly retryDelayMs: (attempt: number) => number;
  readonly log: LogSink | undefined;
  /** Runs one id's reconciliation (default: as it is); the cancel desk wraps it so that a cancel of the id waits for it. */
  readonly around?: (id: Uint64, reconcileId: () => Promise<void>) => Promise<void>;
}

/** Asks SENEBI about every id of the pass; resolves when all were asked (or qsen stopped). */
export async function reconcileByLookup<T>(pass: ReconcilePass<T>): Promise<void> {
  const { subject, lookup, apply, isStopped, retryDelayMs, log } = pass;
  const pending = [...pass.ids];
  if (pending.length > 0) log?.info(`reconciling uncertain ${subject}s with SENEBI`, { count: pending.length });

  async function reconcileId(id: Uint64): Promise<void> {
    for (let attempt = 1; !isStopped(); attempt += 1) {
      try {
        const state = apply(id, await lookup(id));
        log?.info(`${subject} reconciled at start`, { orderId: id, state });
        return;
      } catch (err) {
        // A failed lookup (or a record that could not be written) is asked again.
        const delay = retryDelayMs(attempt);
        log?.warn(`${subject} reconciliation lookup failed; retrying`, { orderId: id, attempt, code: err instanceof ApiError ? err.code : 'UNKNOWN', delayMs: delay });
        await sleep(delay);
      }
    }
  }

  const around = pass.around ?? ((_id: Uint64, run: () => Promise<void>) => run());
  const workers = Array.from({ length: Math.min(WORKERS, pending.length) }, async () => {
    for (let id = pending.shift(); id !== undefined && !isStopped(); id = pending.shift()) {
      const current = id;
      await around(current, () => reconcileId(current));
    }
  });
  await Promise.all(workers);
}

/** Waits for `work` to settle, at most `ms` (a rejection ends the wait too; it is the caller's to see). */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  try {
    await Promise.race([work.then(() => undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
