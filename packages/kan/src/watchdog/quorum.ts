/**
 * The kan quorum (docs/kan.md, "Restart cycles and the kan quorum"): a restart of a kan that is up
 * must leave at least two kans up. Restarts of kans asked over the API and the daily
 * self-restarts go through here one at a time, under one cross-kan lock, and only while both
 * other kans answer their pings at that instant. A kan that is down (not answering) may always be
 * restarted: that cannot lower the count.
 */
import { systemClock, type Clock } from '@qsen/core/schedule';
import type { ProbeFn } from './probe.js';
import type { Coordinator } from './coordinator.js';

/** The cross-kan lock every kan restart under the quorum is made under. */
export const KAN_RESTART_LOCK = 'kan-restarts';

/** Kans that must stay up while one is restarted. */
export const KAN_QUORUM = 2;

/** Whether kan `target` may be restarted now (pure): `up[i]` says whether kan i answers its ping. */
export function judgeKanRestart(target: number, up: readonly boolean[]): { readonly ok: true } | { readonly ok: false; readonly up: number[] } {
  const upIndexes = up.flatMap((u, i) => (u ? [i] : []));
  if (up[target] !== true) return { ok: true };
  const others = upIndexes.filter((i) => i !== target).length;
  return others >= KAN_QUORUM ? { ok: true } : { ok: false, up: upIndexes };
}

/** How a quorum-gated restart ended. */
export type GatedOutcome<T> = { readonly kind: 'done'; readonly value: T } | { readonly kind: 'refused'; readonly up: number[] };

/** Options of the quorum gate. */
export interface KanQuorumOptions {
  readonly kanPorts: readonly number[];
  readonly probe: ProbeFn;
  readonly timeoutMs: number;
  readonly coordinator: Coordinator;
  /** Pause between two looks while the quorum is missing. */
  readonly pollMs?: number;
  readonly clock?: Clock;
}

/** The quorum gate of one kan. */
export interface KanQuorum {
  /** Which kans answer their ping on their port right now (this kan included: it answers on its own port too). */
  upNow(): Promise<boolean[]>;
  /** Whether kan `target` may be restarted at this instant (no lock taken). */
  check(target: number): Promise<ReturnType<typeof judgeKanRestart>>;
  /**
   * Runs `restart` under the quorum lock as soon as restarting kan `target` leaves two kans up,
   * waiting up to `waitMs` for that (queued behind the other kan restarts); refused after that.
   */
  whenAllowed<T>(target: number, waitMs: number, restart: () => Promise<T>): Promise<GatedOutcome<T>>;
}

/** Makes the quorum gate of one kan. */
export function createKanQuorum(options: KanQuorumOptions): KanQuorum {
  const clock = options.clock ?? systemClock;
  const upNow = async (): Promise<boolean[]> => {
    const results = await Promise.all(options.kanPorts.map((port) => options.probe({ port, path: '/kan/v1/ping' }, options.timeoutMs)));
    return results.map((r) => r.outcome === 'ok');
  };
  const check = async (target: number): Promise<ReturnType<typeof judgeKanRestart>> => judgeKanRestart(target, await upNow());

  const whenAllowed = async <T>(target: number, waitMs: number, restart: () => Promise<T>): Promise<GatedOutcome<T>> => {
    const deadline = clock.now() + waitMs;
    let up: number[] = [];
    for (;;) {
      const lock = await options.coordinator.lock(KAN_RESTART_LOCK, Math.max(0, deadline - clock.now()));
      if (lock === null) return { kind: 'refused', up };
      try {
        const verdict = await check(target);
        if (verdict.ok) return { kind: 'done', value: await restart() };
        up = verdict.up;
      } finally {
        await lock.release();
      }
      if (clock.now() >= deadline) return { kind: 'refused', up };
      await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
    }
  };

  return { upNow, check, whenAllowed };
}
