/**
 * Restarts asked over the API (restart_qsen, restart_kan): answered at once with 202, carried
 * out in the background through the same Coordinator (lock + identity re-check) as the
 * watchdog's. Concurrent requests for the same process coalesce: in this kan they join the
 * restart under way; across kans the identity re-check under the lock turns the late ones into
 * no-ops ("changed"), so an operator calling all three kans gets one restart.
 */
import type { ProcessControl, ProcessName } from '../process/control.js';
import type { LogSink } from '../log-sink.js';
import type { AuditSink } from '../audit.js';
import type { SelfRestartMarker } from '../audit/self-restart.js';
import { kanErrors } from '../errors.js';
import type { ActOutcome, Coordinator, JudgedProcess, TimeSource } from './coordinator.js';

/** What the endpoint answers. */
export interface RestartTicket {
  readonly accepted: true;
  readonly target: ProcessName;
  /** True when this request joined a restart already under way in this kan. */
  readonly coalesced: boolean;
  /** The invocation the restart replaces. */
  readonly invocation: string;
}

/** Options of the restart-request service. */
export interface RestartRequestsOptions {
  readonly selfIndex: number;
  readonly control: ProcessControl;
  readonly coordinator: Coordinator;
  readonly clock: TimeSource;
  readonly isWindowOpen: (atMs: number) => boolean;
  readonly logger: LogSink;
  readonly audit: AuditSink;
  /** How long a request waits for another kan's lock on the same process. */
  readonly lockWaitMs?: number;
  /** Where a restart of this kan itself is left pending for the new process to report `done`. */
  readonly selfRestart?: SelfRestartMarker;
}

/** The audit outcome of a finished restart (pure): docs/auditor.md's vocabulary. */
export function auditOutcomeOf(outcome: ActOutcome): { outcome: 'done' | 'coalesced' | 'failed'; code?: string } {
  if (outcome.kind === 'done') return { outcome: 'done' };
  if (outcome.kind === 'changed') return { outcome: 'coalesced' };
  if (outcome.kind === 'failed') return { outcome: 'failed', code: 'PROCESS_CONTROL_FAILED' };
  return { outcome: 'failed', code: outcome.kind === 'busy' ? 'BUSY' : 'BACKOFF' };
}

/** Handles restart requests. */
export class RestartRequests {
  readonly #o: RestartRequestsOptions;
  readonly #pending = new Map<ProcessName, { invocation: string; done: Promise<ActOutcome | undefined> }>();

  constructor(options: RestartRequestsOptions) {
    this.#o = options;
  }

  /**
   * Accepts a restart of `target`; `answered` resolves once the 202 is on its way (a kan
   * restarting itself waits for it). Throws OUTSIDE_TRADING_WINDOW for qsen when it must be down.
   */
  async request(target: ProcessName, who: { subject: string; requestId: string }, answered: Promise<void>): Promise<RestartTicket> {
    const { clock, isWindowOpen, control, audit, logger } = this.#o;
    if (target === 'qsen' && !isWindowOpen(clock.now())) {
      audit.record({ action: 'restart_qsen', subject: who.subject, outcome: 'refused', code: 'OUTSIDE_TRADING_WINDOW', requestId: who.requestId });
      throw kanErrors.create('OUTSIDE_TRADING_WINDOW');
    }
    const action = target === 'qsen' ? 'restart_qsen' : 'restart_kan';
    const running = this.#pending.get(target);
    if (running !== undefined) {
      audit.record({ action, subject: who.subject, outcome: 'coalesced', requestId: who.requestId, details: { target, with: 'a restart under way in this kan' } });
      return { accepted: true, target, coalesced: true, invocation: running.invocation };
    }
    const owner = await control.status(target);
    const judged: JudgedProcess = { invocation: owner.invocation, pid: owner.pid, state: owner.state };
    audit.record({ action, subject: who.subject, outcome: 'accepted', requestId: who.requestId, details: { target, invocation: owner.invocation, pid: owner.pid } });
    const isSelf = target === `kan${this.#o.selfIndex}`;
    if (isSelf) this.#o.selfRestart?.begin({ subject: who.subject, requestId: who.requestId, pid: process.pid, at: new Date(clock.now()).toISOString() });
    const done = (async (): Promise<ActOutcome | undefined> => {
      await answered;
      try {
        const outcome = await this.#o.coordinator.act({
          target, action: 'restart', reason: 'request', judged, lockWaitMs: this.#o.lockWaitMs ?? 60_000, backoff: false, subject: who.subject,
        });
        audit.record({ action, subject: who.subject, ...auditOutcomeOf(outcome), requestId: who.requestId, details: { target, ...(outcome.kind === 'changed' ? { by: 'another kan' } : {}) } });
        return outcome;
      } catch (err) {
        logger.error('requested restart failed', { target, error: err instanceof Error ? err.message : String(err) });
        audit.record({ action, subject: who.subject, outcome: 'failed', code: 'INTERNAL_ERROR', requestId: who.requestId, details: { target } });
        return undefined;
      } finally {
        if (isSelf) this.#o.selfRestart?.end();
        this.#pending.delete(target);
      }
    })();
    this.#pending.set(target, { invocation: owner.invocation, done });
    return { accepted: true, target, coalesced: false, invocation: owner.invocation };
  }

  /** Waits for every restart under way (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()].map((p) => p.done));
  }
}
