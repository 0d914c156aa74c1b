/** The injectable clock every time-based decision takes (CONVENTIONS #8). */

/** A source of the current time. */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}

/** The real clock (Date.now). */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

// The clock tests set by hand, `ManualClock`, lives in @qsen/testkit (packages/testkit/src/clock.ts).
