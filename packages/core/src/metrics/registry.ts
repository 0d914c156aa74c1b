/**
 * One prom-client Registry per process, with Node's default process metrics under their
 * standard names (`process_cpu_user_seconds_total`, `nodejs_heap_size_used_bytes`, ...), as
 * Prometheus conventions and the Node.js dashboards expect: the scrape job tells qsen and the
 * kans apart, not a prefix. A process's own metrics carry its prefix (`qsen_`, `kan_`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's gauges named like counters (`promtool check metrics`: non-counter metrics should
 * not have "_total" suffix). Each is the sum of the per-type gauge of the same name without
 * `_total` (`nodejs_active_handles{type=...}`), which stays: `sum(nodejs_active_handles)`.
 */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** Creates a registry with the default process metrics under their standard names. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return registry;
}

/** A request handler that answers the registry's metrics in the Prometheus text format. */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (_req, res) => {
    const text = await registry.metrics();
    res.statusCode = 200;
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.end(text);
  };
}
