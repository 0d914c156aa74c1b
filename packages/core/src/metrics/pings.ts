/**
 * Internal pings (the kans' probes, every second from three kans) write no access line: they
 * are counted here instead, so the logs hold what is worth reading (docs/reliability.md).
 */
import { Counter, type Registry } from './prom-modules.js';

/** Suffix of the counter of internal pings answered (label `path`). */
export const INTERNAL_PINGS_SUFFIX = 'internal_pings_total';

/**
 * Registers `<name>` in `registry` and returns the counting function createApiApp's
 * onInternalRequest takes. Its `path` label is the declared path of the internal route that
 * answered (the route table's, never the letter case asked), so the label set is closed.
 */
export function createPingCounter(registry: Registry, name: string): (path: string) => void {
  const counter = new Counter({ name, help: 'internal loopback pings answered (not written to the access log)', labelNames: ['path'] as const, registers: [registry] });
  return (path) => counter.inc({ path });
}
