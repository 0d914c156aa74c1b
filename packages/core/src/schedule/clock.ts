/** The injectable clock every time-based decision takes (CONVENTIONS #8). */

/** A source of the current time. */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}

/** The real clock (Date.now). */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock tests set and advance by hand. */
export class ManualClock implements Clock {
  private current: number;

  constructor(startMs: number) {
    this.current = startMs;
  }

  /** Current time, epoch milliseconds. */
  now(): number {
    return this.current;
  }

  /** Jumps to the given instant. */
  set(ms: number): void {
    this.current = ms;
  }

  /** Moves forward (or backward, with a negative amount) by ms. */
  advance(ms: number): void {
    this.current += ms;
  }
}
