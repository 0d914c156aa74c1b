/**
 * The trading day of an instant: its local date in the schedule's time zone. Local midnight falls
 * on a whole UTC minute in every zone in use, so the date is computed once per minute and kept
 * (the check runs per order; Intl formatting is the costly part).
 */
import { localDateOf } from '@qsen/core/schedule';

/** Creates `dayAt(ms)` -> "YYYY-MM-DD" for a time zone. */
export function createTradingDay(timezone: string): (nowMs: number) => string {
  let minuteKept = Number.NaN;
  let dayKept = '';
  return (nowMs) => {
    const minute = Math.floor(nowMs / 60_000);
    if (minute !== minuteKept) {
      minuteKept = minute;
      dayKept = localDateOf(timezone, nowMs);
    }
    return dayKept;
  };
}
