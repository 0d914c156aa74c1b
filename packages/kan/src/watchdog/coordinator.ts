/**
 * Acting on a process, exactly once per failure across the three kans: take the target's lock
 * (an abstract socket that dies with its holder), act through the owner naming the invocation
 * the decision was made on (the owner does nothing, `coalesced`, when it is no longer the
 * current one), and record the event in the restart ledger, all under the lock. The decision
 * itself (verdict, back-off, who acts) is made before, on one owner answer (step.ts).
 */
import type { ProcessControl, ProcessName, ProcessState } from '../process/control.js';
import type { LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import type { KanMetrics } from '../metrics/kan-metrics.js';
import { acquireLock, type HeldLock } from './lock.js';
import type { RestartEvent, RestartLedger } from './ledger.js';
import { errorMessage } from '@qsen/core/errors';

/** The identity of the process a decision was made about. */
export interface JudgedProcess {
  readonly invocation: string;
  readonly pid: number | null;
  readonly state: ProcessState['state'];
}

/** A request to act. */
export interface ActRequest {
  readonly target: ProcessName;
  readonly action: 'start' | 'restart' | 'stop';
  readonly reason: string;
  readonly judged: JudgedProcess;
  /** How long to wait for the lock (0: give up at once when another kan holds it). */
  readonly lockWaitMs: number;
  /** Whether this action grows the shared back-off (watchdog restarts after a failure). */
  readonly countsForBackoff: boolean;
  /** The last time this kan saw the target healthy (resets the back-off streak; see effectiveStreak). */
  readonly lastHealthyAt?: number | null;
  readonly subject?: string;
}

/** How an ActRequest ended. */
export type ActOutcome =
  | { readonly kind: 'done'; readonly event: RestartEvent }
  | { readonly kind: 'failed'; readonly event: RestartEvent; readonly error: string }
  | { readonly kind: 'changed'; readonly now: ProcessState }
  | { readonly kind: 'busy' };

/** Options of the coordinator. */
export interface CoordinatorOptions {
  readonly control: ProcessControl;
  readonly ledger: RestartLedger;
  /** The run folder the locks are named after (the same for the three kans). */
  readonly runDir: string;
  readonly selfIndex: number;
  readonly clock: Clock;
  readonly logger: LogSink;
  readonly metrics?: KanMetrics;
}

/** True when the owner's current state is the one the decision was made on (pure). */
export function isSameProcess(judged: JudgedProcess, current: ProcessState): boolean {
  if (judged.invocation !== current.invocation) return false;
  if (judged.pid !== current.pid) return false;
  const judgedUp = judged.state !== 'stopped';
  const currentUp = current.state !== 'stopped';
  return judgedUp === currentUp;
}

/** Acts on processes under the cross-kan lock. */
export interface Coordinator {
  /** Takes the named cross-kan lock, waiting up to `waitMs`; null when another kan holds it that long. */
  lock(name: string, waitMs: number): Promise<HeldLock | null>;
  /** Acts once, or explains why not. Self-restarts record the event before the owner stops this kan. */
  act(req: ActRequest): Promise<ActOutcome>;
}

/** Makes the coordinator of one kan. */
export function createCoordinator(options: CoordinatorOptions): Coordinator {
  const { control, ledger, runDir, selfIndex, clock, logger, metrics } = options;
  const lock = (name: string, waitMs: number): Promise<HeldLock | null> => acquireLock(runDir, name, { timeoutMs: waitMs });

  const act = async (req: ActRequest): Promise<ActOutcome> => {
    const held = await lock(req.target, req.lockWaitMs);
    if (held === null) return { kind: 'busy' };
    try {
      const now = clock.now();
      const base = {
        at: new Date(now).toISOString(), target: req.target, action: req.action, reason: req.reason, by: selfIndex,
        invocationBefore: req.judged.invocation, ...(req.subject !== undefined ? { subject: req.subject } : {}),
      };
      const record = (event: RestartEvent, countsForBackoff: boolean): Promise<void> =>
        ledger.record(req.target, event, { countsForBackoff, lastHealthyAt: req.lastHealthyAt ?? null, now });
      const countsForBackoff = req.countsForBackoff && req.action !== 'stop';
      // Requests arriving while the owner works, or soon after, see the cycle and join it (requests.ts).
      if (req.action !== 'stop') await ledger.beginCycle(req.target, { replacing: req.judged.invocation, at: now });
      if (req.target === `kan${selfIndex}` && req.action !== 'start') {
        // The owner will stop this very process: write down the event first.
        const event: RestartEvent = { ...base, invocationAfter: null, ok: true };
        await record(event, countsForBackoff);
        metrics?.restarts.inc({ target: req.target, reason: req.reason });
        logger.warn('restarting this kan through its owner', { target: req.target, reason: req.reason, subject: req.subject });
        await control[req.action](req.target, req.judged.invocation);
        return { kind: 'done', event };
      }
      logger.warn(`${req.action} of ${req.target}`, { target: req.target, reason: req.reason, invocation: req.judged.invocation, pid: req.judged.pid, subject: req.subject });
      let after: ProcessState;
      try {
        after = await control[req.action](req.target, req.judged.invocation);
      } catch (err) {
        const message = errorMessage(err);
        await record({ ...base, invocationAfter: null, ok: false }, countsForBackoff);
        logger.error(`${req.action} of ${req.target} failed`, { target: req.target, error: message });
        return { kind: 'failed', event: { ...base, invocationAfter: null, ok: false }, error: message };
      }
      if (after.coalesced === true) {
        logger.info('not acting: the process changed since it was judged', { target: req.target, action: req.action, judged: req.judged, now: { invocation: after.invocation, pid: after.pid, state: after.state } });
        return { kind: 'changed', now: after };
      }
      const event: RestartEvent = { ...base, invocationAfter: after.invocation, ok: true };
      await record(event, countsForBackoff);
      metrics?.restarts.inc({ target: req.target, reason: req.reason });
      return { kind: 'done', event };
    } finally {
      await held.release();
    }
  };

  return { lock, act };
}
