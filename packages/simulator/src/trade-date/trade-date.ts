/**
 * SENEBI trade dates: the calendar date in Buenos Aires of an instant, computed with Intl so
 * that the clock stays injectable and the time zone rules come from the runtime's tz data.
 */

/** The exchange's time zone. */
export const EXCHANGE_TIME_ZONE = 'America/Argentina/Buenos_Aires';

/** A calendar date written YYYY-MM-DD. */
export type TradeDate = string;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const wallFormats = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter (building Intl.DateTimeFormat is costly, using one is cheap). */
function formatterOf(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let format = cache.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, ...options });
    cache.set(timeZone, format);
  }
  return format;
}

/** Gives the trade date (YYYY-MM-DD in the exchange's zone) of an instant. */
export function tradeDateOf(instant: Date, timeZone: string = EXCHANGE_TIME_ZONE): TradeDate {
  const parts = formatterOf(dateFormats, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Tells whether a text is a real calendar date written YYYY-MM-DD. */
export function isTradeDate(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  if (!match) return false;
  const [, y, m, d] = match;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.toISOString().slice(0, 10) === text;
}

/** Gives the calendar day before a date. */
export function previousDate(date: TradeDate): TradeDate {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, (d ?? 1) - 1)).toISOString().slice(0, 10);
}

/** Counts the days from 2000-01-01 to a date (negative before it). */
export function dayNumberOf(date: TradeDate): number {
  const [y, m, d] = date.split('-').map(Number);
  return Math.round((Date.UTC(y ?? 2000, (m ?? 1) - 1, d ?? 1) - Date.UTC(2000, 0, 1)) / 86_400_000);
}

/** Gives the instant of a local wall-clock time (seconds after local midnight) on a date in a zone. */
export function instantOfLocalTime(date: TradeDate, secondsOfDay: number, timeZone: string = EXCHANGE_TIME_ZONE): Date {
  const [y, m, d] = date.split('-').map(Number);
  const asUtc = Date.UTC(y ?? 2000, (m ?? 1) - 1, d ?? 1) + secondsOfDay * 1000;
  // The zone's offset at that instant: render the guess in the zone and compare.
  const offsetAt = (ms: number): number => {
    const parts = formatterOf(wallFormats, timeZone, {
      hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    }).formatToParts(new Date(ms));
    const value = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const local = Date.UTC(value('year'), value('month') - 1, value('day'), value('hour'), value('minute'), value('second'));
    return local - Math.floor(ms / 1000) * 1000;
  };
  const first = asUtc - offsetAt(asUtc);
  return new Date(asUtc - offsetAt(first));
}
