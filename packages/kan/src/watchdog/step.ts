/**
 * The watchdog's per-target step as pure functions (CONVENTIONS #8): a probe result in, the new
 * target state out (recordProbe); then, with one observation of the target (the owner's word,
 * the kernel's, its heartbeat and its ledger entry, made once by the caller), the verdict and the
 * action (decideTarget); then what an action's outcome means for the state (afterAction).
 * watchdog.ts does the I/O around them.
 */
import type { WatchdogConfig } from '@qsen/core/config';
import { HEARTBEAT_INTERVAL_MS } from '@qsen/core/liveness';
import type { KernelState } from '../process/proc.js';
import type { ProcessName, ProcessState } from '../process/control.js';
import {
  assessBackoff, decideAction, isBusyNotHung, isEvidenceFresh, judgeTarget,
  type Action, type BackoffPolicy, type BackoffRecord, type BackoffStanding, type ProbeOutcome, type Verdict,
} from './policy.js';

/** Pause before probing a suspect target again. */
export const RETRY_DELAY_MS = 50;
/** Pause before probing again a target that refused (or reset) while its owner says it runs. */
export const REFUSED_RETRY_DELAY_MS = 250;
/**
 * How long a target whose certificate this kan refuses (`untrusted`) is given before that counts
 * as a failure: the nodes reload the TLS files each on its own within 2 s of a change (docs/
 * security.md, "Reload"), so during a CA rotation a kan can hold the new CA while a peer still
 * presents its old certificate, or the other way round, for up to about 2 s. Past this, the
 * certificate is refused for good and the probes count as failures (a node that did not take the
 * new files is restarted by the usual rules).
 */
export const TRUST_SETTLE_MS = 5_000;
/** Probe timeout for a target the kernel says is stopped: it cannot answer, waiting longer tells nothing more. */
export const STOPPED_PROBE_TIMEOUT_MS = 150;

/** What the last probe showed: a probe outcome, or `busy` (a timeout while the heartbeat advanced). */
export type LastOutcome = ProbeOutcome | 'busy';

/** What one kan knows about one target (immutable; each step returns a new one). */
export interface TargetState {
  readonly name: ProcessName;
  readonly port: number;
  readonly path: string;
  readonly lastOutcome: LastOutcome | null;
  /** Consecutive fresh failed probes. */
  readonly failures: number;
  readonly lastSeenAt: number | null;
  readonly lastProbeAt: number | null;
  readonly lastProbeMs: number | null;
  readonly reportedPid: number | null;
  readonly owner: ProcessState | null;
  readonly ownerCheckedAt: number;
  /** The kernel said the owner's pid was stopped (state T) at the last observation. */
  readonly stopped: boolean;
  readonly verdict: Verdict;
  readonly downSince: number | null;
  readonly conditionSince: number | null;
  readonly lastAction: { readonly at: number; readonly action: Action; readonly outcome: string } | null;
  readonly staleProbes: number;
  readonly busyProbes: number;
  /** When (real time, ms) the current run of `untrusted` probes began; null when the last probe was not untrusted. */
  readonly untrustedSince: number | null;
}

/** A fresh target state. */
export function initialTargetState(name: ProcessName, port: number, path: string): TargetState {
  return {
    name, port, path, lastOutcome: null, failures: 0, lastSeenAt: null, lastProbeAt: null, lastProbeMs: null, reportedPid: null,
    owner: null, ownerCheckedAt: 0, stopped: false, verdict: { kind: 'healthy' }, downSince: null, conditionSince: null,
    lastAction: null, staleProbes: 0, busyProbes: 0, untrustedSince: null,
  };
}

/** One probe's result and timing. */
export interface ProbeInput {
  readonly outcome: ProbeOutcome;
  readonly durationMs: number;
  readonly pid: number | null;
  readonly dueAt: number;
  readonly firedAt: number;
  readonly settledAt: number;
  /** The timeout the probe ran with. */
  readonly timeoutMs: number;
  /** The decision clock's time when it settled. */
  readonly now: number;
}

/** What a probe was, as evidence: `settling` is an untrusted certificate inside TRUST_SETTLE_MS (not counted). */
export type Evidence = 'stale' | 'ok' | 'failed' | 'settling';

/** How far an event-loop stall of this kan may delay a probe before its failure stops being evidence. */
export function staleToleranceMs(settings: Pick<WatchdogConfig, 'interval_ms'>): number {
  return Math.max(250, Math.floor(settings.interval_ms / 2));
}

/** The probe timeout for a target (pure): short when the kernel says it is stopped. */
export function probeTimeoutOf(state: TargetState, settings: Pick<WatchdogConfig, 'timeout_ms'>): number {
  return state.stopped ? Math.min(settings.timeout_ms, STOPPED_PROBE_TIMEOUT_MS) : settings.timeout_ms;
}

/** The oldest heartbeat that still proves progress (pure): the time a hang needs to be judged by probes. */
export function heartbeatMaxAgeMs(settings: Pick<WatchdogConfig, 'failure_threshold' | 'timeout_ms'>): number {
  return Math.max(4 * HEARTBEAT_INTERVAL_MS, settings.failure_threshold * settings.timeout_ms);
}

/** True for a process that runs or waits (pure): not stopped, not a zombie, not dead. */
export function isLiveKernelState(state: KernelState): boolean {
  return state === 'running' || state === 'sleeping' || state === 'disk-sleep' || state === 'other';
}

/** Records a probe (pure). A failure is counted by decideTarget, once the target has been observed. */
export function recordProbe(state: TargetState, probe: ProbeInput, settings: Pick<WatchdogConfig, 'interval_ms'>): { state: TargetState; evidence: Evidence } {
  const timed = { ...state, lastProbeAt: probe.now, lastProbeMs: probe.durationMs };
  const fresh = isEvidenceFresh(probe.outcome, probe, { timeoutMs: probe.timeoutMs, toleranceMs: staleToleranceMs(settings) });
  // This kan stalled: the failure says nothing about the target. Start counting afresh.
  if (!fresh) return { state: { ...timed, staleProbes: state.staleProbes + 1, failures: 0 }, evidence: 'stale' };
  if (probe.outcome === 'ok') {
    return {
      state: { ...timed, lastOutcome: 'ok', failures: 0, lastSeenAt: probe.now, reportedPid: probe.pid, downSince: null, stopped: false, untrustedSince: null },
      evidence: 'ok',
    };
  }
  if (probe.outcome === 'untrusted') {
    // The target is up with a certificate the CA in force refuses: while the TLS files settle
    // across the nodes (a rotation), that is not a failure of the target.
    const since = state.untrustedSince ?? probe.settledAt;
    const untrusted = { ...timed, lastOutcome: 'untrusted' as const, untrustedSince: since };
    return probe.settledAt - since < TRUST_SETTLE_MS ? { state: untrusted, evidence: 'settling' } : { state: untrusted, evidence: 'failed' };
  }
  return { state: { ...timed, lastOutcome: probe.outcome, untrustedSince: null }, evidence: 'failed' };
}

/** Context of a decision. */
export interface DecisionContext {
  readonly settings: WatchdogConfig;
  readonly policy: BackoffPolicy;
  /** Is qsen's trading window open now? */
  readonly windowOpen: boolean;
  /** This kan's actor rank for the target (actorRank; 0 acts first). */
  readonly rank: number;
  readonly ownerRestartGraceMs: number;
  readonly now: number;
}

/** One observation of a target, made once per decision by the caller. */
export interface Observation {
  /** The owner's word; null when the owner could not be asked. */
  readonly owner: ProcessState | null;
  /** The kernel's state of the owner's pid (null: unknown or no pid). */
  readonly kernel: KernelState | null;
  /** Age of the heartbeat of the owner's pid (null: none for that pid). */
  readonly heartbeatAgeMs: number | null;
  /** The target's ledger entry (back-off record). */
  readonly history: BackoffRecord | undefined;
}

/** True when the caller must observe the target before deciding (pure). */
export function needsObservation(state: TargetState, evidence: Evidence, ctx: Pick<DecisionContext, 'windowOpen' | 'now' | 'settings'>): boolean {
  if (evidence === 'stale') return false;
  if (evidence === 'failed') {
    // qsen outside its window, already known stopped: no need to ask again every round.
    const knownDown = state.name === 'qsen' && !ctx.windowOpen && state.owner?.state === 'stopped' && ctx.now - state.ownerCheckedAt < 5000;
    return !knownDown;
  }
  // Healthy qsen outside its window is to be stopped: act on a recent owner word.
  return state.name === 'qsen' && !ctx.windowOpen && (state.owner === null || ctx.now - state.ownerCheckedAt > ctx.settings.interval_ms);
}

/** What decideTarget concluded. */
export interface Decision {
  readonly state: TargetState;
  readonly action: Action;
  /** The back-off standing, when the condition needs an action (for metrics and logs). */
  readonly standing: BackoffStanding | null;
  /** The failure was a busy listener, not a hang (for metrics and logs). */
  readonly busy: boolean;
}

/** The verdict and the action on a target (pure). `observation` is null when none was needed. */
export function decideTarget(recorded: TargetState, evidence: Evidence, observation: Observation | null, ctx: DecisionContext): Decision {
  const { settings, now } = ctx;
  let s = recorded;
  let busy = false;
  if (observation !== null) {
    const previous = s.owner;
    const owner = observation.owner;
    s = { ...s, owner, ownerCheckedAt: owner === null ? s.ownerCheckedAt : now, stopped: observation.kernel === 'stopped' };
    if (previous !== null && owner !== null && previous.invocation !== owner.invocation) {
      // A new process: the old evidence is about another one.
      s = { ...s, failures: Math.min(s.failures, 1), conditionSince: null };
    }
  }
  if (evidence === 'failed') {
    const outcome = s.lastOutcome === 'busy' || s.lastOutcome === null ? 'timeout' : s.lastOutcome;
    // Only a live process's heartbeat is evidence: a dead one's (no /proc entry, or a zombie not yet reaped) is still fresh for a moment.
    const alive = observation !== null && observation.kernel !== null && isLiveKernelState(observation.kernel);
    busy = alive && !s.stopped && isBusyNotHung(outcome, observation.heartbeatAgeMs, heartbeatMaxAgeMs(settings));
    s = busy ? { ...s, lastOutcome: 'busy', failures: 0, busyProbes: s.busyProbes + 1 } : { ...s, failures: s.failures + 1 };
  }
  const verdict = judgeTarget({
    lastOutcome: s.lastOutcome === 'busy' || s.lastOutcome === null ? 'ok' : s.lastOutcome, failures: s.failures,
    owner: s.failures > 0 ? s.owner : null, now, failureThreshold: settings.failure_threshold, startupGraceMs: settings.startup_grace_ms, stopped: s.stopped,
  });
  s = { ...s, verdict };
  if (verdict.kind === 'exited' && s.downSince === null) s = { ...s, downSince: now };
  if (verdict.kind === 'healthy') s = { ...s, downSince: null };
  const needsAct = verdict.kind === 'exited' || verdict.kind === 'hung' || (s.name === 'qsen' && !ctx.windowOpen && verdict.kind === 'healthy');
  if (!needsAct) return { state: { ...s, conditionSince: null }, action: { kind: 'none', why: verdict.kind }, standing: null, busy };
  if (s.conditionSince === null) s = { ...s, conditionSince: now };
  const standing = assessBackoff(observation?.history, now, s.lastSeenAt, ctx.policy);
  const action = decideAction({
    target: s.name, verdict, windowOpen: ctx.windowOpen, downSince: s.downSince, now, allowedAt: standing.allowedAt,
    ownerRestartGraceMs: ctx.ownerRestartGraceMs, rankDelayMs: ctx.rank * settings.interval_ms * 2, conditionSince: s.conditionSince ?? now,
  });
  // Acting needs the owner's word on the process acted on.
  if ((action.kind === 'start' || action.kind === 'restart' || action.kind === 'stop') && s.owner === null) {
    return { state: s, action: { kind: 'none', why: 'the owner did not answer' }, standing, busy };
  }
  return { state: s, action, standing, busy };
}

/** What an action's outcome means for the state (pure): done or already changed, the target starts over. */
export function afterAction(state: TargetState, action: Action, outcome: 'done' | 'failed' | 'changed' | 'busy', owner: ProcessState | null, at: number): TargetState {
  const s = { ...state, lastAction: { at, action, outcome } };
  if (outcome !== 'done' && outcome !== 'changed') return s;
  return { ...s, failures: 0, conditionSince: null, downSince: null, owner, stopped: false, verdict: { kind: 'starting' } };
}

/** When to probe a target again before the next round (pure); null: at the next round. */
export function retryDelayOf(verdict: Verdict['kind'], lastOutcome: LastOutcome | null, ownerKnown: boolean): number | null {
  if (!ownerKnown) return null;
  if (verdict === 'suspect') return RETRY_DELAY_MS;
  if (verdict === 'starting' && (lastOutcome === 'refused' || lastOutcome === 'reset' || lastOutcome === 'error')) return REFUSED_RETRY_DELAY_MS;
  return null;
}
