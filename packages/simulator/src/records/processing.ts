/**
 * Order submissions in process: received (counted, with a readable id) but neither committed
 * to the book nor ended by a fault yet. While a submission is in process (for example held by
 * the `latency` fault) its order is not in the book, so `GET /senebi/v1/orders/ID` answers 404,
 * and a second submission of the same id can commit first: the first to commit wins, the other
 * is refused as a duplicate id, as at a real exchange.
 */
import type { Uint64 } from '@qsen/core';

/** Counts the submissions in process per id. */
export interface ProcessingTracker {
  /** Marks one submission of `id` as in process; the returned function ends it (only its first call counts). */
  begin(id: Uint64): () => void;
  /** How many submissions of `id` are in process now. */
  pendingFor(id: Uint64): number;
  /** How many submissions are in process now, over every id. */
  total(): number;
}

/** Makes an empty tracker. */
export function createProcessingTracker(): ProcessingTracker {
  const pending = new Map<Uint64, number>();
  return {
    begin(id) {
      pending.set(id, (pending.get(id) ?? 0) + 1);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        const left = (pending.get(id) ?? 1) - 1;
        if (left > 0) pending.set(id, left);
        else pending.delete(id);
      };
    },
    pendingFor: (id) => pending.get(id) ?? 0,
    total() {
      let sum = 0;
      for (const n of pending.values()) sum += n;
      return sum;
    },
  };
}
