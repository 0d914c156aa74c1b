/**
 * The trading window in words an agent reads: instants in the schedule's own zone with UTC
 * alongside ("2026-12-01 17:00 -03:00 (20:00Z)"), a window open without end said as such instead
 * of the search horizon's far-off date. Pure functions of (schedule, instant): status routes,
 * qsenctl, the launcher and qsen-config share them (qsen-config's preview of the next stretches is
 * @qsen/setup's schedule/preview.ts).
 */
import type { ScheduleConfig } from '../config/types.js';
import { evaluateWindow, SEARCH_HORIZON_DAYS, type WindowState } from './window.js';
import { localDateTimeOf } from './zone.js';

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');

/** The zone's offset from UTC at atMs, "+HH:MM" / "-HH:MM" (minutes precision). */
export function formatZoneOffset(timezone: string, atMs: number): string {
  const t = localDateTimeOf(timezone, atMs);
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
  const minutes = Math.round((wall - atMs) / 60_000);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;
}

/** "YYYY-MM-DD HH:MM ±HH:MM (HH:MMZ)": an instant on the zone's clock, with UTC's time of day (and date when it differs). */
export function formatLocalInstant(timezone: string, atMs: number): string {
  const t = localDateTimeOf(timezone, atMs);
  const localDay = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
  const utc = new Date(atMs).toISOString();
  const utcDay = utc.slice(0, 10);
  const utcText = utcDay === localDay ? `${utc.slice(11, 16)}Z` : `${utcDay} ${utc.slice(11, 16)}Z`;
  return `${localDay} ${pad(t.hour)}:${pad(t.minute)} ${formatZoneOffset(timezone, atMs)} (${utcText})`;
}

/** The window now, told for people: what status answers add beside evaluateWindow's figures. */
export interface WindowDescription {
  readonly open: boolean;
  readonly reason: WindowState['reason'];
  readonly timezone: string;
  /** True when nothing changes within the search horizon (open all day, every day): no next change to show. */
  readonly continuous: boolean;
  /** Epoch ms of the next change; null when continuous. */
  readonly nextChangeAt: number | null;
  /** The next change on the zone's clock with UTC alongside (formatLocalInstant); null when continuous. */
  readonly nextChangeLocal: string | null;
  /** One line: "open all day, every day (America/Argentina/Buenos_Aires)", "open, closes at …", "closed (after_stop), opens at …". */
  readonly summary: string;
}

/** Describes the window at atMs (see WindowDescription). */
export function describeWindow(schedule: ScheduleConfig, atMs: number): WindowDescription {
  const state = evaluateWindow(schedule, atMs);
  const continuous = state.nextChangeAt >= atMs + SEARCH_HORIZON_DAYS * 86_400_000;
  const nextChangeLocal = continuous ? null : formatLocalInstant(schedule.timezone, state.nextChangeAt);
  let summary: string;
  if (continuous) summary = state.open ? `open all day, every day (${schedule.timezone})` : `closed, with no opening in the next ${SEARCH_HORIZON_DAYS} days (${schedule.timezone})`;
  else if (state.open) summary = `open, closes at ${nextChangeLocal ?? ''}`;
  else summary = `closed (${state.reason}), opens at ${nextChangeLocal ?? ''}`;
  return {
    open: state.open, reason: state.reason, timezone: schedule.timezone, continuous,
    nextChangeAt: continuous ? null : state.nextChangeAt, nextChangeLocal, summary,
  };
}
