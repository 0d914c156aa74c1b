/**
 * Logging must never crash the process: transport errors are counted (for metrics and
 * status) and reported on stderr at most once a minute.
 */
import type { Clock } from '../schedule/clock.js';
import { errorMessage } from '../errors/api-error.js';

/** How often a logging failure is reported on stderr, at most. */
export const LOGGING_FAILURE_REPORT_INTERVAL_MS = 60_000;

let failures = 0;
let lastReportAt = Number.NEGATIVE_INFINITY;
let unreported = 0;

/** Counts one logging failure and reports it on stderr unless one was reported less than a minute ago. */
export function recordLoggingFailure(where: string, err: unknown, clock: Clock): void {
  failures += 1;
  unreported += 1;
  const now = clock.now();
  if (now - lastReportAt < LOGGING_FAILURE_REPORT_INTERVAL_MS) return;
  lastReportAt = now;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const message = errorMessage(err);
  const suppressed = unreported > 1 ? `, ${unreported - 1} more since the last report` : '';
  unreported = 0;
  try {
    process.stderr.write(`qsen logging: cannot write ${where}: ${code && !message.startsWith(code) ? `${code} ` : ''}${message} (${failures} logging failure(s) in total${suppressed})\n`);
  } catch {
    // stderr itself is gone: nothing left to tell.
  }
}

/** Logging transport errors seen by this process so far (for metrics and status). */
export function loggingFailureCount(): number {
  return failures;
}
