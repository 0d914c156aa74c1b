/**
 * The dead man's switch as pure decisions (docs/qsen.md, "Dead man's switch"): what a heartbeat,
 * a disarm and the passing of time do to its state. No clock, no timer, no file: the caller
 * passes the instant, whether the trading window is open and the trading day.
 *
 * - `off`: `[deadman] enabled = false`; nothing arms it.
 * - `disarmed`: on, waiting for the platform's first heartbeat of the trading day.
 * - `armed`: the deadline is the last heartbeat plus the interval (after a restart of qsen
 *   while armed: the start plus the interval, since the platform could not reach qsen meanwhile).
 * - `tripped`: the deadline passed inside the window; qsen halted. The next heartbeat arms it again
 *   (the halt itself stays until an operator resumes).
 * The window closing disarms an armed switch without tripping it.
 */

/** The phases of the switch. */
export type DeadmanPhase = 'off' | 'disarmed' | 'armed' | 'tripped';

/** Why the switch was last disarmed. */
export type DisarmCause = 'platform' | 'window_closed' | 'new_day';

/** The switch's state (instants in epoch ms). */
export interface DeadmanState {
  readonly phase: DeadmanPhase;
  /** The trading day (local date) it was armed for. */
  readonly tradingDay?: string;
  readonly armedAt?: number;
  readonly lastHeartbeatAt?: number;
  readonly deadline?: number;
  readonly trippedAt?: number;
  readonly disarmedAt?: number;
  readonly disarmCause?: DisarmCause;
}

/** What a heartbeat did: `armed` (the first of the day, or after a trip or a disarm) or `beat`. */
export type HeartbeatEvent = 'armed' | 'beat';

/** The state a switch starts in: `off`, or `disarmed`, or `armed` again when it was armed for this trading day before a restart. */
export function initialState(enabled: boolean, nowMs: number, intervalMs: number, restored: { readonly tradingDay: string; readonly armedAt: number } | undefined, today: string): DeadmanState {
  if (!enabled) return { phase: 'off' };
  if (restored && restored.tradingDay === today) return { phase: 'armed', tradingDay: today, armedAt: restored.armedAt, deadline: nowMs + intervalMs };
  return { phase: 'disarmed' };
}

/** A heartbeat at `nowMs` (inside the window): arms a switch that is not armed, or moves the deadline. */
export function applyHeartbeat(state: DeadmanState, nowMs: number, intervalMs: number, today: string): { state: DeadmanState; event: HeartbeatEvent } {
  if (state.phase === 'off') throw new Error('applyHeartbeat on a switch that is off');
  const deadline = nowMs + intervalMs;
  if (state.phase === 'armed' && state.tradingDay === today) return { state: { ...state, lastHeartbeatAt: nowMs, deadline }, event: 'beat' };
  return { state: { phase: 'armed', tradingDay: today, armedAt: nowMs, lastHeartbeatAt: nowMs, deadline }, event: 'armed' };
}

/** Disarms an armed switch (`changed` false when it was not armed). */
export function applyDisarm(state: DeadmanState, nowMs: number, cause: DisarmCause): { state: DeadmanState; changed: boolean } {
  if (state.phase !== 'armed') return { state, changed: false };
  return { state: { ...withoutArming(state), phase: 'disarmed', disarmedAt: nowMs, disarmCause: cause }, changed: true };
}

/** What the passing of time asks for: nothing, trip (deadline passed in the window), or disarm (window closed, or another trading day). */
export type DeadmanVerdict = { readonly kind: 'none' } | { readonly kind: 'trip' } | { readonly kind: 'disarm'; readonly cause: DisarmCause };

/** Judges an armed switch at `nowMs`. The deadline is missed when `nowMs` is past it. */
export function judgeDeadman(state: DeadmanState, nowMs: number, windowOpen: boolean, today: string): DeadmanVerdict {
  if (state.phase !== 'armed' || state.deadline === undefined) return { kind: 'none' };
  if (!windowOpen) return { kind: 'disarm', cause: 'window_closed' };
  if (state.tradingDay !== today) return { kind: 'disarm', cause: 'new_day' };
  return nowMs > state.deadline ? { kind: 'trip' } : { kind: 'none' };
}

/** The state after a trip at `nowMs`. */
export function applyTrip(state: DeadmanState, nowMs: number): DeadmanState {
  return { ...state, phase: 'tripped', trippedAt: nowMs };
}

function withoutArming(state: DeadmanState): DeadmanState {
  const { tradingDay: _day, armedAt: _armed, lastHeartbeatAt: _last, deadline: _deadline, ...rest } = state;
  return rest;
}
