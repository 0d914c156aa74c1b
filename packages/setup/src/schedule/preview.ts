/**
 * The preview of the next opens and closes that `qsen-config check` prints (install-time only, so
 * not in @qsen/core, which the nodes load): pure functions of (schedule, instant).
 */
import { describeWindow, evaluateWindow, formatLocalInstant, SEARCH_HORIZON_DAYS, type ScheduleConfig } from '@qsen/core';

/** One stretch of the window in a preview: opensAt null when it is already open at the preview's start, closesAt null when it does not close within the horizon. */
export interface WindowStretch {
  readonly opensAt: number | null;
  readonly closesAt: number | null;
}

/** The next `count` stretches of the window from atMs (fewer when the horizon ends first). */
export function previewWindow(schedule: ScheduleConfig, atMs: number, count: number): WindowStretch[] {
  const stretches: WindowStretch[] = [];
  let at = atMs;
  let state = evaluateWindow(schedule, at);
  const horizon = atMs + SEARCH_HORIZON_DAYS * 86_400_000;
  let opensAt: number | null = null;
  if (!state.open) {
    if (state.nextChangeAt >= at + SEARCH_HORIZON_DAYS * 86_400_000) return [];
    opensAt = state.nextChangeAt;
    at = opensAt;
    state = evaluateWindow(schedule, at);
  }
  while (stretches.length < count) {
    const continuous = state.nextChangeAt >= at + SEARCH_HORIZON_DAYS * 86_400_000;
    if (continuous) {
      stretches.push({ opensAt, closesAt: null });
      break;
    }
    const closesAt = state.nextChangeAt;
    stretches.push({ opensAt, closesAt });
    const closed = evaluateWindow(schedule, closesAt);
    if (closed.open || closed.nextChangeAt > horizon || closed.nextChangeAt >= closesAt + SEARCH_HORIZON_DAYS * 86_400_000) break;
    opensAt = closed.nextChangeAt;
    at = opensAt;
    state = evaluateWindow(schedule, at);
  }
  return stretches;
}

/** The preview as lines: "opens 2026-12-02 10:00 -03:00 (13:00Z)  closes 2026-12-02 17:00 -03:00 (20:00Z)". */
export function renderWindowPreview(schedule: ScheduleConfig, atMs: number, count: number): string[] {
  const description = describeWindow(schedule, atMs);
  if (description.continuous) return [`  ${description.summary}`];
  const stretches = previewWindow(schedule, atMs, count);
  return stretches.map((s) => {
    const opens = s.opensAt === null ? 'open now' : `opens ${formatLocalInstant(schedule.timezone, s.opensAt)}`;
    const closes = s.closesAt === null ? 'then stays open' : `closes ${formatLocalInstant(schedule.timezone, s.closesAt)}`;
    return `  ${opens.padEnd(40)}  ${closes}`;
  });
}
