/**
 * The clock tests set and advance by hand. It satisfies core's `Clock` (`now(): number`) by
 * shape: testkit does not depend on core (packages/testkit/package.json has no dependencies),
 * and a structural type is all a time-based decision asks for.
 */

/** A clock tests set and advance by hand. */
export class ManualClock {
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
