/**
 * SENEBI trade dates: the calendar date in Buenos Aires of an instant (core's time-zone
 * arithmetic; the clock stays injectable).
 */
import { addDays, formatLocalDate, instantOfLocal, isValidLocalDate, localDateOf, type LocalDate } from '@qsen/core';

/** The exchange's time zone. */
export const EXCHANGE_TIME_ZONE = 'America/Argentina/Buenos_Aires';

/** A calendar date written YYYY-MM-DD. */
export type TradeDate = string;

/** Reads a YYYY-MM-DD text (already validated) as a local date. */
function localDateOfText(date: TradeDate): LocalDate {
  const [year, month, day] = date.split('-').map(Number);
  return { year: year ?? 2000, month: month ?? 1, day: day ?? 1 };
}

/** Gives the trade date (YYYY-MM-DD in the exchange's zone) of an instant. */
export function tradeDateOf(instant: Date, timeZone: string = EXCHANGE_TIME_ZONE): TradeDate {
  return localDateOf(timeZone, instant.getTime());
}

/** Tells whether a text is a real calendar date written YYYY-MM-DD. */
export function isTradeDate(text: string): boolean {
  return isValidLocalDate(text);
}

/** Gives the calendar day before a date. */
export function previousDate(date: TradeDate): TradeDate {
  return formatLocalDate(addDays(localDateOfText(date), -1));
}

/** Counts the days from 2000-01-01 to a date (negative before it). */
export function dayNumberOf(date: TradeDate): number {
  const { year, month, day } = localDateOfText(date);
  return Math.round((Date.UTC(year, month - 1, day) - Date.UTC(2000, 0, 1)) / 86_400_000);
}

/** Gives the instant of a local wall-clock time (seconds after local midnight) on a date in a zone. */
export function instantOfLocalTime(date: TradeDate, secondsOfDay: number, timeZone: string = EXCHANGE_TIME_ZONE): Date {
  const minute = Math.floor(secondsOfDay / 60);
  return new Date(instantOfLocal(timeZone, localDateOfText(date), minute) + (secondsOfDay - minute * 60) * 1000);
}
