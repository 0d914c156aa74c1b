/**
 * The dates a test must name the way the system names them, whatever the host's time zone and
 * the hour of the run (a UTC date differs from both between 00:00 and 03:00 UTC, or on a host
 * outside UTC):
 * - SENEBI trade dates (the order listings' `date`) are the calendar date in Buenos Aires
 *   (packages/simulator/src/trade-date);
 * - the nodes' log files are named by the process's local date (winston-daily-rotate-file's
 *   default, packages/core/src/logging/file-transport.ts), and the nodes inherit the test's
 *   environment, TZ included;
 * - audit day files and the audit query's --from/--to are UTC days (core's utcDate).
 */
import { localDateOf } from '@qsen/core';

/** The exchange's time zone (SENEBI trade dates). */
export const EXCHANGE_TIME_ZONE = 'America/Argentina/Buenos_Aires';

/** The SENEBI trade date (YYYY-MM-DD in Buenos Aires) of an instant. */
export function tradeDateOf(ms: number = Date.now()): string {
  return localDateOf(EXCHANGE_TIME_ZONE, ms);
}

/** The date in a node's log file name (YYYY-MM-DD in this process's time zone) of an instant. */
export function logFileDateOf(ms: number = Date.now()): string {
  return localDateOf(Intl.DateTimeFormat().resolvedOptions().timeZone, ms);
}

/** The UTC day (YYYY-MM-DD) of an instant: audit day files and audit queries. */
export function auditDayOf(ms: number = Date.now()): string {
  return new Date(ms).toISOString().slice(0, 10);
}
