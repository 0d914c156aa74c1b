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
export class IdSequencer {
  private readonly tails = new Map<Uint64, Promise<void>>();

  /** Runs `task` after every task of `id` enqueued before it. */
  run<T>(id: Uint64, task: () => Promise<T> | T): Promise<T> {
    const previous = this.tails.get(id) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
    return result;
  }

  /** Ids with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
