/**
 * Later matches of resting orders: when `[matching] match_after_ms` is set, an order that did
 * not trade at acceptance is matched by its counterparty after that delay (plus the drawn
 * jitter), unless a cancel commits first. The timers do not keep the process alive and are not
 * persisted: after a restart the resting orders rest until cancelled or matched by the admin
 * route (docs/simulator.md).
 */
import type { LogSink, Uint64 } from '@qsen/core';
import type { SimulatorStore } from '../store/store.js';
import { errorMessage } from '@qsen/core/errors';

/** What the later matches need. */
export interface LaterMatchesDeps {
  readonly store: SimulatorStore;
  readonly persist: () => Promise<void>;
  readonly logger: LogSink;
}

/** The armed later matches. */
export interface LaterMatches {
  /** Arms the later match of an order that rests after its submission (nothing when later matches are off). */
  arm(id: Uint64): void;
  /** Disarms every timer. */
  stop(): void;
}

/** Creates the later-match timers. */
export function createLaterMatches(deps: LaterMatchesDeps): LaterMatches {
  const timers = new Set<NodeJS.Timeout>();
  return {
    arm(id) {
      const ms = deps.store.drawLaterMatchDelay();
      if (ms === undefined) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        const outcome = deps.store.matchResting(id);
        if (outcome.kind !== 'matched') return;
        deps.logger.info('resting order matched', { id });
        void deps.persist().catch((err: unknown) => deps.logger.error('state journal write failed', { error: errorMessage(err) }));
      }, ms);
      timer.unref();
      timers.add(timer);
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
