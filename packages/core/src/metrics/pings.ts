/**
 * Internal pings (the kans' probes, every second from three kans) write no access line: they
 * are counted here instead, so the logs hold what is worth reading (docs/reliability.md).
 */
import { Counter, type Registry } from 'prom-client';

/** Suffix of the counter of internal pings answered (label `path`). */
export const INTERNAL_PINGS_SUFFIX = 'internal_pings_total';

/** Registers `<name>` in `registry` and returns the counting function createApiApp's onInternalRequest takes. */
export function createPingCounter(registry: Registry, name: string, paths: readonly string[]): (path: string) => void {
  const counter = new Counter({ name, help: 'internal loopback pings answered (not written to the access log)', labelNames: ['path'] as const, registers: [registry] });
  const known = new Set(paths);
  // The label is one of the declared internal paths (a closed set), whatever letter case was asked.
  return (path) => {
    const lower = path.toLowerCase().replace(/\/$/, '');
    counter.inc({ path: known.has(lower) ? lower : 'other' });
  };
}
