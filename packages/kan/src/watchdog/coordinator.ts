/**
 * Acting on a process, exactly once per failure across the three kans: take the target's lock
 * (an abstract socket that dies with its holder), re-check with the owner that the process judged
 * is still the same one (invocation and pid), honour the shared back-off, act through the owner,
 * and record the event in the shared history, all under the lock.
 */
import type { ProcessControl, ProcessName, ProcessState } from '../process/control.js';
import type { LogSink } from '../log-sink.js';
import type { KanMetrics } from '../metrics/kan-metrics.js';
import { acquireLock } from './lock.js';
import { readHistory, recordEvent, writeHistory, type RestartEvent } from './history.js';
import { effectiveStreak, nextRestartAllowedAt } from './policy.js';

/** A source of the current time (epoch ms); @qsen/core's Clock fits. */
export interface TimeSource {
  now(): number;
}

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
  /** Whether the shared back-off applies (watchdog restarts) and grows (failures). */
  readonly backoff: boolean;
  /** The last time this kan saw the target healthy (resets the back-off streak; see effectiveStreak). */
  readonly lastHealthyAt?: number | null;
  readonly subject?: string;
}

/** How an ActRequest ended. */
export type ActOutcome =
  | { readonly kind: 'done'; readonly event: RestartEvent }
  | { readonly kind: 'failed'; readonly event: RestartEvent; readonly error: string }
  | { readonly kind: 'changed'; readonly now: ProcessState }
  | { readonly kind: 'busy' }
  | { readonly kind: 'backoff'; readonly until: number };

/** Options of the coordinator. */
export interface CoordinatorOptions {
  readonly control: ProcessControl;
  readonly runDir: string;
  readonly selfIndex: number;
  readonly clock: TimeSource;
  readonly logger: LogSink;
  readonly metrics?: KanMetrics;
  readonly policy: { readonly backoffInitialMs: number; readonly backoffMaxMs: number; readonly stableAfterMs: number };
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
export class Coordinator {
  readonly #o: CoordinatorOptions;

  constructor(options: CoordinatorOptions) {
    this.#o = options;
  }

  /** The options (read-only view for status). */
  get options(): CoordinatorOptions {
    return this.#o;
  }

  /** Acts once, or explains why not. Self-restarts record the event before the owner stops this kan. */
  async act(req: ActRequest): Promise<ActOutcome> {
    const { control, runDir, selfIndex, clock, logger, metrics, policy } = this.#o;
    const lock = await acquireLock(runDir, req.target, { timeoutMs: req.lockWaitMs });
    if (lock === null) return { kind: 'busy' };
    try {
      const current = await control.status(req.target);
      if (!isSameProcess(req.judged, current)) {
        logger.info('not acting: the process changed since it was judged', { target: req.target, action: req.action, judged: req.judged, now: { invocation: current.invocation, pid: current.pid, state: current.state } });
        return { kind: 'changed', now: current };
      }
      const prior = await readHistory(runDir, req.target);
      const now = clock.now();
      if (req.backoff) {
        const allowedAt = nextRestartAllowedAt(prior, now, req.lastHealthyAt ?? null, policy);
        if (allowedAt > now) return { kind: 'backoff', until: allowedAt };
      }
      const streak = effectiveStreak(prior, req.lastHealthyAt ?? null, policy.stableAfterMs);
      const base = {
        at: new Date(now).toISOString(), target: req.target, action: req.action, reason: req.reason, by: selfIndex,
        invocationBefore: current.invocation, ...(req.subject !== undefined ? { subject: req.subject } : {}),
      };
      const isSelf = req.target === `kan${selfIndex}` && req.action !== 'start';
      if (isSelf) {
        // The owner will stop this very process: write down the event first.
        const event: RestartEvent = { ...base, invocationAfter: null, ok: true };
        await writeHistory(runDir, req.target, recordEvent(prior, event, streak, req.backoff, now));
        metrics?.restarts.inc({ target: req.target, reason: req.reason });
        logger.warn('restarting this kan through its owner', { target: req.target, reason: req.reason, subject: req.subject });
        await control[req.action](req.target);
        return { kind: 'done', event };
      }
      logger.warn(`${req.action} of ${req.target}`, { target: req.target, reason: req.reason, invocation: current.invocation, pid: current.pid, subject: req.subject });
      try {
        const after = await control[req.action](req.target);
        const event: RestartEvent = { ...base, invocationAfter: after.invocation, ok: true };
        await writeHistory(runDir, req.target, recordEvent(prior, event, streak, req.backoff && req.action !== 'stop', now));
        metrics?.restarts.inc({ target: req.target, reason: req.reason });
        return { kind: 'done', event };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const event: RestartEvent = { ...base, invocationAfter: null, ok: false };
        await writeHistory(runDir, req.target, recordEvent(prior, event, streak, req.backoff && req.action !== 'stop', now));
        logger.error(`${req.action} of ${req.target} failed`, { target: req.target, error: message });
        return { kind: 'failed', event, error: message };
      }
    } finally {
      await lock.release();
    }
  }
}
