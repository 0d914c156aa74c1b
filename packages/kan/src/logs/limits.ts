/**
 * Per-endpoint concurrency limits of the log endpoints (one kan): a request beyond its endpoint's
 * limit is answered `503 LOGS_BUSY` with `Retry-After` at once instead of queueing, so memory and
 * file descriptors stay bounded whatever the load (docs/kan.md, "Limits").
 */

/** The log endpoints that have a limit. */
export type LogEndpoint = 'list' | 'download' | 'archive' | 'tail' | 'truncate';

/** Requests of each endpoint one kan serves at once. */
export const LOG_CONCURRENCY: Readonly<Record<LogEndpoint, number>> = Object.freeze({
  list: 8, download: 4, archive: 1, tail: 8, truncate: 4,
});

/** Seconds a refused client is told to wait (Retry-After). */
export const LOG_RETRY_AFTER_SECONDS = 1;

/** Counts requests in flight per endpoint against fixed limits. */
export interface ConcurrencyLimiter {
  /** Takes a place: a release function (idempotent), or null when the endpoint is at its limit. */
  tryEnter(endpoint: LogEndpoint): (() => void) | null;
  /** Requests in flight now. */
  inFlight(endpoint: LogEndpoint): number;
  /** The endpoint's limit. */
  limitOf(endpoint: LogEndpoint): number;
}

/** A limiter with the given limits. */
export function createConcurrencyLimiter(limits: Readonly<Record<LogEndpoint, number>> = LOG_CONCURRENCY): ConcurrencyLimiter {
  const counts = new Map<LogEndpoint, number>();
  return {
    tryEnter(endpoint) {
      const n = counts.get(endpoint) ?? 0;
      if (n >= limits[endpoint]) return null;
      counts.set(endpoint, n + 1);
      let left = false;
      return () => {
        if (left) return;
        left = true;
        counts.set(endpoint, (counts.get(endpoint) ?? 1) - 1);
      };
    },
    inFlight: (endpoint) => counts.get(endpoint) ?? 0,
    limitOf: (endpoint) => limits[endpoint],
  };
}
