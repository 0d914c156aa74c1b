/**
 * Is the market open at an instant? core's evaluateWindow answers that together with the next
 * change, which is costly to compute; since the state holds until that change, the answer is
 * kept for the stretch [evaluated instant, next change) and recomputed outside it (also when an
 * injected clock moves backwards).
 */
import type { ScheduleConfig } from '@qsen/core/config';
import { evaluateWindow } from '@qsen/core/schedule';

/** Creates `isOpen(ms)` for a schedule. */
export function createMarketHours(schedule: ScheduleConfig): (nowMs: number) => boolean {
  let from = Number.POSITIVE_INFINITY;
  let until = Number.NEGATIVE_INFINITY;
  let open = false;
  return (nowMs) => {
    if (nowMs < from || nowMs >= until) {
      const state = evaluateWindow(schedule, nowMs);
      open = state.open;
      from = nowMs;
      until = state.nextChangeAt;
    }
    return open;
  };
}
