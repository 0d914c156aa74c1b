/**
 * One prom-client Registry per process, with Node's default process metrics under the
 * process prefix (e.g. `qsen_process_cpu_user_seconds_total`, `qsen_nodejs_heap_size_used_bytes`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Creates a registry with the default process metrics, named `<prefix>_...`. */
export function createMetricsRegistry(opts: { prefix: string }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${opts.prefix}_` });
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
