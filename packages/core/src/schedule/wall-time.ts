/**
 * Wall-clock text formats shared by the config schema and the schedule: "HH:MM" times,
 * "YYYY-MM-DD" dates and IANA time zone names. Pure functions, no I/O.
 */
import { systemZone } from './zone-source.js';

/** A day of the week as written in conf.toml ([schedule] days). */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Every weekday in conf.toml spelling, Sunday first (the index is JavaScript's getUTCDay()). */
export const WEEKDAYS: readonly Weekday[] = Object.freeze(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']);

const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;
const YMD = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** Minutes since local midnight of an "HH:MM" time (00:00..23:59, plus "24:00" = 1440 when allowed); undefined when malformed. */
export function minutesOfHhmm(text: string, allowEndOfDay = false): number | undefined {
  if (allowEndOfDay && text === '24:00') return 1440;
  const match = HHMM.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Tells whether text is a real calendar date written "YYYY-MM-DD". */
export function isValidLocalDate(text: string): boolean {
  const match = YMD.exec(text);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Tells whether this IANA time zone name is known: to the system's tzdata, else to the runtime's Intl. */
export function isValidTimeZone(name: string): boolean {
  if (name.trim() === '') return false;
  if (systemZone(name) !== null) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
