/**
 * Wall-clock arithmetic in an IANA time zone (no dependency): instant -> local date and time, and
 * local date and time -> instant, correct across DST. The offsets come from the system's tzdata
 * (zone-source.ts), else from Intl.DateTimeFormat.
 */
import { WEEKDAYS } from './wall-time.js';
import { systemOffsetMs } from './zone-source.js';
import type { Weekday } from '../config/types.js';

/** A local calendar date. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A local date and time of day (millisecond precision). */
export interface LocalDateTime extends LocalDate {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/** The local date and time the clocks in `timezone` show at the instant atMs. */
export function localDateTimeOf(timezone: string, atMs: number): LocalDateTime {
  const offset = systemOffsetMs(timezone, atMs);
  if (offset !== undefined) {
    const wall = new Date(atMs + offset);
    return {
      year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate(),
      hour: wall.getUTCHours(), minute: wall.getUTCMinutes(), second: wall.getUTCSeconds(), millisecond: wall.getUTCMilliseconds(),
    };
  }
  return intlLocalDateTimeOf(timezone, atMs);
}

/** localDateTimeOf through Intl (Node's ICU copy of the database); tests compare the two. */
export function intlLocalDateTimeOf(timezone: string, atMs: number): LocalDateTime {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(new Date(atMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const hour = fields['hour'] ?? 0;
  return {
    year: fields['year'] ?? 1970,
    month: fields['month'] ?? 1,
    day: fields['day'] ?? 1,
    hour: hour === 24 ? 0 : hour,
    minute: fields['minute'] ?? 0,
    second: fields['second'] ?? 0,
    millisecond: ((atMs % 1000) + 1000) % 1000,
  };
}

/** The local wall-clock reading at atMs as if it were UTC (epoch ms); minus atMs it is the zone's offset. */
function wallMsOf(timezone: string, atMs: number): number {
  const t = localDateTimeOf(timezone, atMs);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
}

/**
 * The first instant at which the clocks in `timezone` show the given local date and minute of
 * day or later: the instant itself when it exists, its first occurrence when autumn repeats it,
 * the moment of the jump when spring skips it. minuteOfDay may be 1440 (next day's 00:00).
 */
export function instantOfLocal(timezone: string, date: LocalDate, minuteOfDay: number): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay);
  const before = wall - (wallMsOf(timezone, wall - DAY_MS) - (wall - DAY_MS));
  const after = wall - (wallMsOf(timezone, wall + DAY_MS) - (wall + DAY_MS));
  const exact = [before, after].filter((t) => wallMsOf(timezone, t) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // Skipped by a forward jump: find the jump (the first instant whose wall clock is past `wall`).
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallMsOf(timezone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The local date `days` days after `date` (negative for before). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The weekday of a local date. */
export function weekdayOf(date: LocalDate): Weekday {
  return WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()] ?? 'sun';
}

/** "YYYY-MM-DD" of a local date. */
export function formatLocalDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}
