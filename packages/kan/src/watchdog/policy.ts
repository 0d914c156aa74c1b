/**
 * The watchdog's decisions as pure functions of literal inputs (CONVENTIONS #8): evidence
 * freshness, the verdict on a target, back-off, who acts, and what to do.
 */
import type { ProcessName, ProcessState } from '../process/control.js';

/** The outcome of one probe. */
export type ProbeOutcome = 'ok' | 'timeout' | 'refused' | 'reset' | 'error' | 'untrusted';

/**
 * A probe that timed out or was reset while the target's heartbeat still advances is `busy`,
 * not a failure (pure): its event loop makes progress, only its public listener is slow or
 * shedding load (a flood of connections or handshakes, its per-source limits). Refused (nothing
 * listens) and errors (a wrong answer) stay failures. `heartbeatAgeMs` is null when the target
 * keeps no heartbeat for its current pid (then every failure counts).
 */
export function isBusyNotHung(outcome: ProbeOutcome, heartbeatAgeMs: number | null, maxAgeMs: number): boolean {
  return (outcome === 'timeout' || outcome === 'reset') && heartbeatAgeMs !== null && heartbeatAgeMs <= maxAgeMs;
}

/** Timing of one probe, to tell real evidence from this kan's own stall. */
export interface ProbeTiming {
  /** When the probe was due (epoch ms). */
  readonly dueAt: number;
  /** When its timer actually fired. */
  readonly firedAt: number;
  /** When it settled (answer, error or timeout). */
  readonly settledAt: number;
}

/**
 * True when a failed probe is fresh evidence (pure): its timer fired on time and its timeout did
 * not fire late. Either delay means this kan's event loop stalled, and a stalled kan has no
 * evidence about anyone. A successful probe is always evidence of life.
 */
export function isEvidenceFresh(outcome: ProbeOutcome, timing: ProbeTiming, limits: { timeoutMs: number; toleranceMs: number }): boolean {
  if (outcome === 'ok') return true;
  if (timing.firedAt - timing.dueAt > limits.toleranceMs) return false;
  if (timing.settledAt - timing.firedAt > limits.timeoutMs + limits.toleranceMs) return false;
  return true;
}

/** What a kan concludes about a target. */
export type Verdict =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'suspect'; readonly failures: number }
  | { readonly kind: 'starting' }
  | { readonly kind: 'exited' }
  | { readonly kind: 'hung'; readonly failures: number };

/** Inputs of a verdict. `owner` is the owner's latest word (null when not asked). */
export interface VerdictInput {
  readonly lastOutcome: ProbeOutcome;
  /** Consecutive fresh failed probes. */
  readonly failures: number;
  readonly owner: Pick<ProcessState, 'state' | 'pid' | 'startedAt'> | null;
  readonly now: number;
  readonly failureThreshold: number;
  readonly startupGraceMs: number;
  /**
   * The kernel says the owner's pid is stopped (/proc/PID/stat state T or t: SIGSTOP, a tracer).
   * A stopped process is not a slow starter: its failures count even inside the startup grace.
   */
  readonly stopped?: boolean;
}

/**
 * The verdict (pure): exited as soon as the owner says the process is not running (after any
 * fresh failed probe); hung after `failureThreshold` consecutive fresh failures while the process
 * is present and past its startup grace (or stopped by a signal, grace or not); starting while in
 * the owner's transition or grace.
 */
export function judgeTarget(input: VerdictInput): Verdict {
  if (input.failures === 0) return { kind: 'healthy' };
  const owner = input.owner;
  if (owner === null) return { kind: 'suspect', failures: input.failures };
  if (owner.state === 'stopped' || owner.pid === null) return { kind: 'exited' };
  if (owner.state === 'starting' || owner.state === 'stopping') return { kind: 'starting' };
  const inGrace = owner.startedAt !== null && input.now - owner.startedAt < input.startupGraceMs;
  if (inGrace && input.stopped !== true) return { kind: 'starting' };
  if (input.failures >= input.failureThreshold) return { kind: 'hung', failures: input.failures };
  return { kind: 'suspect', failures: input.failures };
}

/** The shared back-off record of one target (kept in the restart history file). */
export interface BackoffRecord {
  /** Restarts in the current streak (reset once the target ran stably). */
  readonly streak: number;
  /** Epoch ms of the last restart made by any kan (0 = never). */
  readonly lastRestartAt: number;
}

/**
 * The back-off after `streak` restarts in a row (pure): 0 for the first, then initial * 2^(n-1),
 * capped at `maxMs`. The one formula of the cluster: the watchdog's restarts and the launcher's
 * (its restart-policy.ts) both use it. The exponent stops at 30 so that no streak overflows to
 * Infinity (or NaN with a zero initial delay); `[watchdog] backoff_max_ms` is at most an hour
 * (core's MAX_BACKOFF_MS), so with an initial delay of 1 ms or more the cap always comes first.
 */
export function backoffDelayMs(streak: number, initialMs: number, maxMs: number): number {
  if (streak <= 0) return 0;
  return Math.min(maxMs, initialMs * 2 ** Math.min(streak - 1, MAX_DOUBLINGS));
}

/** Doublings after which the back-off stops growing, cap or not (2^30 times the initial delay). */
const MAX_DOUBLINGS = 30;

/**
 * The streak a new failure continues (pure). It resets only when the target was seen healthy at
 * least `stableAfterMs` after the last restart (`lastHealthyAt`: the last successful probe), so a
 * process that never comes up keeps its back-off at the cap instead of starting over from the
 * initial delay once `stableAfterMs` has gone by.
 */
export function effectiveStreak(record: BackoffRecord | undefined, lastHealthyAt: number | null, stableAfterMs: number): number {
  if (record === undefined || record.lastRestartAt === 0) return 0;
  return lastHealthyAt !== null && lastHealthyAt - record.lastRestartAt >= stableAfterMs ? 0 : record.streak;
}

/** The back-off settings (from [watchdog]). */
export interface BackoffPolicy {
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly stableAfterMs: number;
}

/** When the next restart of a failing target is allowed (pure). */
export function nextRestartAllowedAt(record: BackoffRecord | undefined, now: number, lastHealthyAt: number | null, policy: BackoffPolicy): number {
  const streak = effectiveStreak(record, lastHealthyAt, policy.stableAfterMs);
  if (streak === 0 || record === undefined) return now;
  return record.lastRestartAt + backoffDelayMs(streak, policy.backoffInitialMs, policy.backoffMaxMs);
}

/** Restarts in a streak from which a target counts as crash-looping. */
export const CRASH_LOOP_STREAK = 3;

/** True when a target is crash-looping (pure). */
export function isCrashLooping(record: BackoffRecord | undefined, lastHealthyAt: number | null, stableAfterMs: number): boolean {
  return effectiveStreak(record, lastHealthyAt, stableAfterMs) >= CRASH_LOOP_STREAK;
}

/** What a target's history says about its next restart. */
export interface BackoffStanding {
  /** When the next restart is allowed (now when no back-off applies). */
  readonly allowedAt: number;
  readonly crashLoop: boolean;
}

/** The back-off standing of a target (pure): from its history, the time and when this kan last saw it healthy. */
export function assessBackoff(history: BackoffRecord | undefined, now: number, lastHealthyAt: number | null, policy: BackoffPolicy): BackoffStanding {
  return {
    allowedAt: nextRestartAllowedAt(history, now, lastHealthyAt, policy),
    crashLoop: isCrashLooping(history, lastHealthyAt, policy.stableAfterMs),
  };
}

/**
 * Who acts (pure): this kan's rank among the kans fit to act on `target` (the kans this kan sees
 * healthy, itself included, never the target itself), lowest index first. Rank 0 acts at once;
 * rank r waits r * stepMs more (the lock and the identity re-check keep it at one restart anyway).
 * Null when this kan must not act (it is the target).
 */
export function actorRank(target: ProcessName, selfIndex: number, kanHealthy: readonly boolean[]): number | null {
  if (target === `kan${selfIndex}`) return null;
  let rank = 0;
  for (let i = 0; i < selfIndex; i++) {
    if (`kan${i}` !== target && kanHealthy[i] === true) rank += 1;
  }
  return rank;
}

/** What to do about a target. */
export type Action =
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'wait'; readonly why: string; readonly until: number }
  | { readonly kind: 'start' | 'restart' | 'stop'; readonly reason: 'exited' | 'hung' | 'schedule' };

/** Inputs of decideAction. */
export interface ActionInput {
  readonly target: ProcessName;
  readonly verdict: Verdict;
  /** qsen only: is the trading window open (desired running)? Kans are always desired running. */
  readonly windowOpen: boolean;
  /** Epoch ms since which the target has been seen exited (first fresh evidence). */
  readonly downSince: number | null;
  readonly now: number;
  /** When the next restart is allowed by the shared back-off. */
  readonly allowedAt: number;
  /** How long the owner gets to bring an exited kan back itself (restart delay + grace). */
  readonly ownerRestartGraceMs: number;
  /** Delay before this kan acts, from its actor rank. */
  readonly rankDelayMs: number;
  /** When the condition was first seen (for the rank delay). */
  readonly conditionSince: number;
}

/** Decides the action on a target (pure). */
export function decideAction(input: ActionInput): Action {
  const { target, verdict, now } = input;
  const isQsen = target === 'qsen';
  if (isQsen && !input.windowOpen) {
    if (verdict.kind === 'healthy' || verdict.kind === 'hung' || verdict.kind === 'suspect') {
      // Running (or hung) outside the window: the schedule stops it. Suspect: not proven running, wait.
      if (verdict.kind === 'suspect') return { kind: 'none', why: 'outside the window, not proven running' };
      return delayed(input, { kind: 'stop', reason: 'schedule' });
    }
    return { kind: 'none', why: 'outside the trading window qsen stays down' };
  }
  if (verdict.kind === 'healthy') return { kind: 'none', why: 'healthy' };
  if (verdict.kind === 'suspect') return { kind: 'none', why: 'not enough evidence yet' };
  if (verdict.kind === 'starting') return { kind: 'none', why: 'starting or in startup grace' };
  if (verdict.kind === 'exited' && !isQsen) {
    const since = input.downSince ?? now;
    if (now - since < input.ownerRestartGraceMs) return { kind: 'wait', why: 'the owner restarts exited kans', until: since + input.ownerRestartGraceMs };
  }
  if (input.allowedAt > now) return { kind: 'wait', why: 'back-off', until: input.allowedAt };
  return delayed(input, verdict.kind === 'exited' ? { kind: 'start', reason: 'exited' } : { kind: 'restart', reason: 'hung' });
}

function delayed(input: ActionInput, action: Action): Action {
  const at = input.conditionSince + input.rankDelayMs;
  if (at > input.now) return { kind: 'wait', why: 'another kan is first in line', until: at };
  return action;
}

/** The daily self-restart decision (pure): restart when due and both peers are healthy. */
export function decideDailyRestart(input: { now: number; dueAt: number; peersHealthy: boolean }): 'restart' | 'wait' | 'not-due' {
  if (input.now < input.dueAt) return 'not-due';
  return input.peersHealthy ? 'restart' : 'wait';
}

/** When this kan's next daily restart is due (pure, given the schedule module's nextLocalTime). */
export function dailyRestartDueAt(nextLocal: (afterMs: number) => number, now: number, index: number, staggerMinutes: number): number {
  const offset = index * staggerMinutes * 60_000;
  return nextLocal(now - offset) + offset;
}
