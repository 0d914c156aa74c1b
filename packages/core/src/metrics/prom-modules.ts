/**
 * prom-client's classes, each from its own module. prom-client's root entry also loads all its
 * default metrics (the CPU counters require `@opentelemetry/api`), Summary with tdigest, the
 * Pushgateway and the cluster aggregator, which a process needs at a scrape at the earliest or
 * never; an idle kan records its probes every second and is scraped rarely (docs/kan.md,
 * "Memory"). prom-client has no exports map, so its `lib/` files are its public layout;
 * packages/core/test/prom-modules.test.ts checks that these are the root's own exports and that
 * DEFAULT_METRIC_MODULES is its default-metrics list, so a prom-client that moves them fails the
 * build's tests rather than a process's start.
 */
import { createRequire } from 'node:module';
import type * as Prom from 'prom-client';

/** The module of each class, as require() names it. */
export const PROM_CLIENT_MODULES = {
  Registry: 'prom-client/lib/registry.js',
  Counter: 'prom-client/lib/counter.js',
  Gauge: 'prom-client/lib/gauge.js',
  Histogram: 'prom-client/lib/histogram.js',
} as const;

/**
 * prom-client's default metrics, each a module of `prom-client/lib/metrics/` exporting
 * `(registry, config) => void`, in the order collectDefaultMetrics registers them (its
 * `metricsList`; processResources only where `process.getActiveResourcesInfo` exists).
 */
export const DEFAULT_METRIC_MODULES = [
  'processCpuTotal', 'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors', 'processMaxFileDescriptors', 'eventLoopLag',
  'processResources', 'processHandles', 'processRequests', 'heapSizeAndUsed', 'heapSpacesSizeAndUsed', 'version', 'gc',
] as const;

/** A default metric's module name. */
export type DefaultMetricModule = (typeof DEFAULT_METRIC_MODULES)[number];

/** What each default-metric module exports: registers its metrics in `registry`. */
export type DefaultMetricFactory = (registry: Prom.Registry, config: { eventLoopMonitoringPrecision: number }) => void;

const load = createRequire(import.meta.url);

/** prom-client's Registry class. */
export const Registry = load(PROM_CLIENT_MODULES.Registry) as typeof Prom.Registry;
/** prom-client's Counter class. */
export const Counter = load(PROM_CLIENT_MODULES.Counter) as typeof Prom.Counter;
/** prom-client's Gauge class. */
export const Gauge = load(PROM_CLIENT_MODULES.Gauge) as typeof Prom.Gauge;
/** prom-client's Histogram class. */
export const Histogram = load(PROM_CLIENT_MODULES.Histogram) as typeof Prom.Histogram;

/** A registry (prom-client's type). */
export type Registry = Prom.Registry;
/** A counter (prom-client's type). */
export type Counter<T extends string = string> = Prom.Counter<T>;
/** A gauge (prom-client's type). */
export type Gauge<T extends string = string> = Prom.Gauge<T>;
/** A histogram (prom-client's type). */
export type Histogram<T extends string = string> = Prom.Histogram<T>;

/** Loads one default metric's module (on first use: the module, and what it requires, load here). */
export function loadDefaultMetric(name: DefaultMetricModule): DefaultMetricFactory {
  return load(`prom-client/lib/metrics/${name}.js`) as DefaultMetricFactory;
}
