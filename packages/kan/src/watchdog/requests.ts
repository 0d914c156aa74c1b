/**
 * Restarts asked over the API (restart_qsen, restart_kan): answered at once with 202, carried
 * out in the background through the same Coordinator (lock + owner verb naming the invocation)
 * as the watchdog's. One restart per restart cycle, whoever asks (docs/kan.md, "Restart cycles
 * and the kan quorum"):
 * - in this kan, a request joins the restart of the same target under way;
 * - a request that arrives within the target's restart cycle (the owner is stopping or starting
 *   it, or the current process came from a restart less than startup_grace_ms ago) joins that
 *   restart: at most one requested restart per target per cycle, however many ask;
 * - a request whose observed invocation is gone by its turn is answered by the owner as
 *   coalesced (any kan, any channel, the watchdog).
 * restart_kan also keeps two kans up (quorum.ts): refused with KAN_QUORUM when it cannot.
 */
import type { ProcessControl, ProcessName, ProcessState } from '../process/control.js';
import type { SelfRestartMarker } from '../audit/self-restart.js';
import { kanErrors } from '../errors.js';
import type { ActOutcome, Coordinator, JudgedProcess } from './coordinator.js';
import type { RestartCycle, RestartLedger } from './ledger.js';
import type { KanQuorum } from './quorum.js';
import type { AuditSink, LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { errorMessage } from '@qsen/core/errors';

/** What the endpoint answers. */
export interface RestartTicket {
  readonly accepted: true;
  readonly target: ProcessName;
  /** True when this request joined a restart already under way (in this kan or in its restart cycle). */
  readonly coalesced: boolean;
  /** The invocation the restart replaces. */
  readonly invocation: string;
}

/** Inputs of the restart-cycle rule. */
export interface CycleInput {
  readonly owner: Pick<ProcessState, 'state' | 'invocation'>;
  /** The target's last restart cycle in the ledger (begun before the owner acted). */
  readonly cycle: RestartCycle | undefined;
  readonly now: number;
  /** The longest a cycle lasts (startup_grace_ms). */
  readonly cycleMs: number;
}

/**
 * True when a restart request falls into the target's restart cycle (pure): the owner is stopping
 * or starting it, or the last cycle (begun under the lock before the owner acted) replaced
 * another invocation than the current one, less than `cycleMs` ago: the current process is that
 * cycle's product, or the cycle is still under way.
 */
export function isInRestartCycle(input: CycleInput): boolean {
  const { owner, cycle } = input;
  if (owner.state === 'starting' || owner.state === 'stopping') return true;
  if (cycle === undefined || cycle.replacing === owner.invocation) return false;
  const since = input.now - cycle.at;
  return since >= 0 && since < input.cycleMs;
}

/** Options of the restart-request service. */
export interface RestartRequestsOptions {
  readonly selfIndex: number;
  readonly control: ProcessControl;
  readonly coordinator: Coordinator;
  readonly ledger: RestartLedger;
  readonly quorum: KanQuorum;
  readonly clock: Clock;
  readonly isWindowOpen: (atMs: number) => boolean;
  /** The longest restart cycle (startup_grace_ms). */
  readonly cycleMs: number;
  readonly logger: LogSink;
  readonly audit: AuditSink;
  /** How long a request waits for another kan's lock, or for the kan quorum. */
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
export interface RestartRequests {
  /**
   * Accepts a restart of `target`; `answered` resolves once the 202 is on its way (a kan
   * restarting itself waits for it). Throws OUTSIDE_TRADING_WINDOW for qsen when it must be
   * down, KAN_QUORUM for a kan when restarting it now would leave fewer than two kans up.
   */
  request(target: ProcessName, who: { subject: string; requestId: string }, answered: Promise<void>): Promise<RestartTicket>;
  /** Waits for every restart under way (tests, shutdown). */
  settle(): Promise<void>;
}

/** Makes the restart-request service of one kan. */
export function createRestartRequests(options: RestartRequestsOptions): RestartRequests {
  const { clock, isWindowOpen, control, audit, logger, coordinator, quorum, ledger } = options;
  const pending = new Map<ProcessName, { invocation: string; done: Promise<ActOutcome | undefined> }>();

  const inCycle = async (target: ProcessName, owner: ProcessState): Promise<boolean> => {
    const history = await ledger.read(target);
    return isInRestartCycle({ owner, cycle: history?.cycle, now: clock.now(), cycleMs: options.cycleMs });
  };

  const carryOut = async (target: ProcessName, kanIndex: number | null, judged: JudgedProcess, who: { subject: string; requestId: string }, action: 'restart_qsen' | 'restart_kan', answered: Promise<void>, isSelf: boolean): Promise<ActOutcome | undefined> => {
    const waitMs = options.lockWaitMs ?? 60_000;
    await answered;
    try {
      const act = (): Promise<ActOutcome> => coordinator.act({
        target, action: 'restart', reason: 'request', judged, lockWaitMs: waitMs, countsForBackoff: false, subject: who.subject,
      });
      let outcome: ActOutcome;
      if (kanIndex === null) {
        outcome = await act();
      } else {
        const gated = await quorum.whenAllowed(kanIndex, waitMs, act);
        if (gated.kind === 'refused') {
          logger.warn('requested kan restart not carried out: the quorum did not come back in time', { target, up: gated.up });
          audit.record({ action, subject: who.subject, outcome: 'refused', code: 'KAN_QUORUM', requestId: who.requestId, details: { target, up: gated.up, after: 'waiting for the quorum' } });
          return undefined;
        }
        outcome = gated.value;
      }
      audit.record({ action, subject: who.subject, ...auditOutcomeOf(outcome), requestId: who.requestId, details: { target, ...(outcome.kind === 'changed' ? { by: 'another kan or the owner' } : {}) } });
      return outcome;
    } catch (err) {
      logger.error('requested restart failed', { target, error: errorMessage(err) });
      audit.record({ action, subject: who.subject, outcome: 'failed', code: 'INTERNAL_ERROR', requestId: who.requestId, details: { target } });
      return undefined;
    } finally {
      if (isSelf) options.selfRestart?.end();
      pending.delete(target);
    }
  };

  const request = async (target: ProcessName, who: { subject: string; requestId: string }, answered: Promise<void>): Promise<RestartTicket> => {
    const action = target === 'qsen' ? 'restart_qsen' : 'restart_kan';
    if (target === 'qsen' && !isWindowOpen(clock.now())) {
      audit.record({ action, subject: who.subject, outcome: 'refused', code: 'OUTSIDE_TRADING_WINDOW', requestId: who.requestId });
      throw kanErrors.create('OUTSIDE_TRADING_WINDOW');
    }
    const running = pending.get(target);
    if (running !== undefined) {
      audit.record({ action, subject: who.subject, outcome: 'coalesced', requestId: who.requestId, details: { target, with: 'a restart under way in this kan' } });
      return { accepted: true, target, coalesced: true, invocation: running.invocation };
    }
    const owner = await control.status(target);
    if (await inCycle(target, owner)) {
      audit.record({ action, subject: who.subject, outcome: 'coalesced', requestId: who.requestId, details: { target, invocation: owner.invocation, with: 'the restart cycle under way' } });
      return { accepted: true, target, coalesced: true, invocation: owner.invocation };
    }
    const kanIndex = target === 'qsen' ? null : Number(target.slice(3));
    if (kanIndex !== null) {
      const verdict = await quorum.check(kanIndex);
      if (!verdict.ok) {
        audit.record({ action, subject: who.subject, outcome: 'refused', code: 'KAN_QUORUM', requestId: who.requestId, details: { target, up: verdict.up } });
        throw kanErrors.create('KAN_QUORUM', undefined, { target, kansUp: verdict.up });
      }
    }
    const joined = pending.get(target);
    if (joined !== undefined) {
      // Another request of this kan got here first while this one was looking.
      audit.record({ action, subject: who.subject, outcome: 'coalesced', requestId: who.requestId, details: { target, with: 'a restart under way in this kan' } });
      return { accepted: true, target, coalesced: true, invocation: joined.invocation };
    }
    const judged: JudgedProcess = { invocation: owner.invocation, pid: owner.pid, state: owner.state };
    audit.record({ action, subject: who.subject, outcome: 'accepted', requestId: who.requestId, details: { target, invocation: owner.invocation, pid: owner.pid } });
    const isSelf = target === `kan${options.selfIndex}`;
    if (isSelf) options.selfRestart?.begin({ subject: who.subject, requestId: who.requestId, pid: process.pid, at: new Date(clock.now()).toISOString() });
    const done = carryOut(target, kanIndex, judged, who, action, answered, isSelf);
    pending.set(target, { invocation: owner.invocation, done });
    return { accepted: true, target, coalesced: false, invocation: owner.invocation };
  };

  const settle = async (): Promise<void> => {
    await Promise.allSettled([...pending.values()].map((p) => p.done));
  };

  return { request, settle };
}
