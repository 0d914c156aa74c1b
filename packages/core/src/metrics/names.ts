/**
 * Metric naming (CONVENTIONS #10): `<process>_<subsystem>_<what>_<unit>`, snake case, the unit
 * last and plural (`_seconds`, `_bytes`), counters ending in `_total`. A process defines all its
 * names as constants in one module; the names core itself knows are built here from a prefix.
 */

/** Suffix of the counter of connections refused at the TLS layer (label `reason`). */
export const TLS_REJECTED_CONNECTIONS_SUFFIX = 'tls_rejected_connections_total';

/** Builds a metric name `<prefix>_<suffix>` after checking both parts are snake case. */
export function buildMetricName(prefix: string, suffix: string): string {
  const name = `${prefix}_${suffix}`;
  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(name)) throw new RangeError(`metric name '${name}' is not snake case`);
  return name;
}
