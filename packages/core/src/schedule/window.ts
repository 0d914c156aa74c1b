/**
 * The trading window (docs/api.md §6): qsen runs on the configured days, from `start` to
 * `stop` local time, except on holidays. Pure functions of (schedule, instant).
 */
import type { ScheduleConfig, Weekday } from '../config/types.js';
import { addDays, formatLocalDate, instantOfLocal, localDateTimeOf, weekdayOf, type LocalDate } from './zone.js';
import { minutesOfHhmm } from './wall-time.js';

/** Where an instant falls relative to the trading window. */
export interface WindowState {
  /** True inside the window: qsen must run. */
  readonly open: boolean;
  readonly reason: 'open' | 'before_start' | 'after_stop' | 'day_off' | 'holiday';
  /** Local date, "YYYY-MM-DD". */
  readonly localDate: string;
  /** Local time, "HH:MM:SS". */
  readonly localTime: string;
  readonly weekday: Weekday;
  /**
   * Epoch ms of the next open<->closed change (days off, holidays and days whose window a DST gap swallows skipped; a window ending at
   * "24:00" that continues into an open "00:00" start is one stretch). When nothing changes
   * within SEARCH_HORIZON_DAYS (e.g. open all day, every day), the end of that horizon.
   */
  readonly nextChangeAt: number;
}

/** How far ahead evaluateWindow looks for the next change (days). */
export const SEARCH_HORIZON_DAYS = 400;

function minutesOf(hhmm: string, allowEndOfDay: boolean): number {
  const minutes = minutesOfHhmm(hhmm, allowEndOfDay);
  if (minutes === undefined) throw new RangeError(`not a local time "HH:MM": ${hhmm}`);
  return minutes;
}

function dayReason(schedule: ScheduleConfig, date: LocalDate): 'day_off' | 'holiday' | undefined {
  if (!schedule.days.includes(weekdayOf(date))) return 'day_off';
  if (schedule.holidays.includes(formatLocalDate(date))) return 'holiday';
  return undefined;
}

/** The next instant > afterMs when the local clock in `timezone` shows hhmm ("24:00" = next midnight); a time skipped by DST maps to the jump. */
export function nextLocalTime(timezone: string, hhmm: string, afterMs: number): number {
  const minutes = minutesOf(hhmm, true);
  const today = localDateTimeOf(timezone, afterMs);
  for (let offset = -1; offset <= 3; offset++) {
    const at = instantOfLocal(timezone, addDays(today, offset), minutes);
    if (at > afterMs) return at;
  }
  throw new RangeError(`no local time ${hhmm} in ${timezone} after ${afterMs}`);
}

/** "YYYY-MM-DD": the local date in `timezone` at the instant atMs. */
export function localDateOf(timezone: string, atMs: number): string {
  return formatLocalDate(localDateTimeOf(timezone, atMs));
}

/** Whether the window is open at atMs, why, and when that next changes. */
export function evaluateWindow(schedule: ScheduleConfig, atMs: number): WindowState {
  const tz = schedule.timezone;
  const startMin = minutesOf(schedule.start, false);
  const stopMin = minutesOf(schedule.stop, true);
  const local = localDateTimeOf(tz, atMs);
  const today: LocalDate = { year: local.year, month: local.month, day: local.day };
  const minuteNow = local.hour * 60 + local.minute + (local.second * 1000 + local.millisecond) / 60_000;

  const closedBecause = dayReason(schedule, today);
  let reason: WindowState['reason'];
  if (closedBecause) reason = closedBecause;
  else if (minuteNow < startMin) reason = 'before_start';
  else if (minuteNow >= stopMin) reason = 'after_stop';
  else reason = 'open';
  const open = reason === 'open';

  let nextChangeAt = atMs + SEARCH_HORIZON_DAYS * 86_400_000;
  if (open) {
    // Close at today's stop, unless the window runs on without a gap (stop "24:00", next day opens at "00:00").
    let day = today;
    for (let i = 0; i < SEARCH_HORIZON_DAYS; i++) {
      const next = addDays(day, 1);
      if (stopMin === 1440 && startMin === 0 && dayReason(schedule, next) === undefined) {
        day = next;
        continue;
      }
      nextChangeAt = instantOfLocal(tz, day, stopMin);
      break;
    }
  } else {
    for (let i = 0; i < SEARCH_HORIZON_DAYS; i++) {
      const day = addDays(today, i);
      if (dayReason(schedule, day) !== undefined) continue;
      const opensAt = instantOfLocal(tz, day, startMin);
      // A window a DST gap swallows whole (its start maps to the jump, not before its stop) never opens that day.
      if (opensAt > atMs && opensAt < instantOfLocal(tz, day, stopMin)) {
        nextChangeAt = opensAt;
        break;
      }
    }
  }

  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    open,
    reason,
    localDate: formatLocalDate(today),
    localTime: `${pad(local.hour)}:${pad(local.minute)}:${pad(local.second)}`,
    weekday: weekdayOf(today),
    nextChangeAt,
  };
}
