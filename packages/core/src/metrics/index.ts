/** Metrics (`@qsen/core/metrics`): the metric names, the per-process registry, TLS and ping counters (prom-client). */
export * from './names.js';
export * from './registry.js';
export * from './tls.js';
export * from './pings.js';
