/** Metrics (`@qsen/core/metrics`): the metric names, the per-process registry, TLS and ping counters, and prom-client's classes from their own modules (prom-modules.ts). */
export * from './names.js';
export * from './registry.js';
export * from './tls.js';
export * from './pings.js';
export { Counter, Gauge, Histogram, type Registry, DEFAULT_METRIC_MODULES, PROM_CLIENT_MODULES } from './prom-modules.js';
