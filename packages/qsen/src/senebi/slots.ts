/**
 * The transport's sockets as slots: at most `capacity` requests are handed to undici at once,
 * the others wait here, first come first served, each no longer than its call's deadline. A
 * request that gives up here was never handed to a connection, so SENEBI cannot have seen it:
 * that is the proof behind `not_sent` for an order whose deadline passed while queued
 * (docs/qsen.md, "The SENEBI adapter"). Waiting here rather than in undici's own queue is what
 * makes the give-up clean: a request undici holds can only be stopped by destroying the socket
 * it is about to be written on. Tests: packages/qsen/test/senebi-bounds.test.ts.
 */

/** Frees one slot (idempotent: a second call does nothing). */
export type ReleaseSlot = () => void;

/** A FIFO gate of `capacity` slots. */
export interface Slots {
  /**
   * Takes a slot now if one is free (a release function), else queues the caller; `onSlot` is
   * called once a slot is taken for it. Answers a function that leaves the queue (`true` when
   * the caller was still waiting, `false` when it already had its slot).
   */
  take(onSlot: (release: ReleaseSlot) => void): () => boolean;
  /** Slots taken now. */
  busy(): number;
  /** Callers waiting now. */
  waiting(): number;
}

/** Makes a gate of `capacity` slots (an integer >= 1). */
export function createSlots(capacity: number): Slots {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`slots: capacity must be an integer >= 1 (${capacity})`);
  let busy = 0;
  // Waiters in arrival order; a waiter that leaves is removed from the set and skipped.
  const queue: Array<(release: ReleaseSlot) => void> = [];
  const live = new Set<(release: ReleaseSlot) => void>();

  const makeRelease = (): ReleaseSlot => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      busy -= 1;
      grant();
    };
  };

  function grant(): void {
    while (busy < capacity && queue.length > 0) {
      const next = queue.shift() as (release: ReleaseSlot) => void;
      if (!live.delete(next)) continue;
      busy += 1;
      next(makeRelease());
    }
  }

  return {
    take(onSlot) {
      if (busy < capacity && queue.length === 0) {
        busy += 1;
        onSlot(makeRelease());
        return () => false;
      }
      const waiter = (release: ReleaseSlot): void => onSlot(release);
      queue.push(waiter);
      live.add(waiter);
      return () => {
        if (!live.delete(waiter)) return false;
        // Drop departed waiters from the head so the queue does not keep them.
        while (queue.length > 0 && !live.has(queue[0] as (release: ReleaseSlot) => void)) queue.shift();
        return true;
      };
    },
    busy: () => busy,
    waiting: () => live.size,
  };
}
