/** The injectable clock every time-based decision takes (CONVENTIONS #8). */

/** A source of the current time. */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}

/** The real clock (Date.now). */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/**
 * Whole seconds from startedAtMs to nowMs, never below 0 (a clock stepped back reads 0): the
 * `uptimeSeconds` of every node's status and ping.
 */
export function uptimeSeconds(startedAtMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - startedAtMs) / 1000));
}

// The clock tests set by hand, `ManualClock`, lives in @qsen/testkit (packages/testkit/src/clock.ts).
