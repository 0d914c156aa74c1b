/**
 * The exchange's input sequencer, per order id: submissions of one id are processed one after
 * the other, in the order they reached it. A copy held in processing (the `processing` fault)
 * therefore keeps a resend of the same id waiting; when the held copy commits, the resend is
 * processed next and refused as a duplicate id, promptly. Submissions of other ids are not
 * held up. (The `latency` fault acts before the sequencer: a copy delayed there can be
 * overtaken by a resend.)
 */
import type { Uint64 } from '@qsen/core';

/** Runs tasks of one id in arrival order; tasks of different ids run independently. */
export interface IdSequencer {
  /** Runs `task` after every task of `id` enqueued before it. */
  run<T>(id: Uint64, task: () => Promise<T> | T): Promise<T>;
  /** Ids with a task running or waiting. */
  readonly size: number;
}

/** Makes an idle sequencer. */
export function createIdSequencer(): IdSequencer {
  const tails = new Map<Uint64, Promise<void>>();
  return {
    run<T>(id: Uint64, task: () => Promise<T> | T): Promise<T> {
      const previous = tails.get(id) ?? Promise.resolve();
      const result = previous.then(task);
      const tail = result.then(() => undefined, () => undefined);
      tails.set(id, tail);
      void tail.then(() => {
        if (tails.get(id) === tail) tails.delete(id);
      });
      return result;
    },
    get size() {
      return tails.size;
    },
  };
}
