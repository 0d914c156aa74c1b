/**
 * One prom-client Registry per process, with Node's default process metrics under their
 * standard names (`process_cpu_user_seconds_total`, `nodejs_heap_size_used_bytes`, ...), as
 * Prometheus conventions and the Node.js dashboards expect: the scrape job tells qsen and the
 * kans apart, not a prefix. A process's own metrics carry its prefix (`qsen_`, `kan_`).
 *
 * The default metrics that observe over time (the event loop's delay histogram, GC pauses) are
 * made with the registry; the others read the process when scraped and are made, with their
 * modules (`@opentelemetry/api` among them), on the registry's first read (docs/kan.md,
 * "Memory"): a scrape answers the same families, in the same order, with the same values.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metric, MetricObject } from 'prom-client';
import { DEFAULT_METRIC_MODULES, loadDefaultMetric, Registry, type DefaultMetricModule } from './prom-modules.js';

/**
 * prom-client's gauges named like counters (`promtool check metrics`: non-counter metrics should
 * not have "_total" suffix). Each is the sum of the per-type gauge of the same name without
 * `_total` (`nodejs_active_handles{type=...}`), which stays: `sum(nodejs_active_handles)`.
 */
export const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

/** The default metrics made with the registry: they observe between scrapes, so from the start. */
export const DEFAULT_METRICS_FROM_START: readonly DefaultMetricModule[] = ['eventLoopLag', 'gc'];

/** collectDefaultMetrics's configuration when given none but the registry. */
const DEFAULT_METRICS_CONFIG = { eventLoopMonitoringPrecision: 10 } as const;

/** The CPU counters of processCpuTotal: each counts from its creation, so a late one is given what came before. */
const CPU_COUNTERS = { user: 'process_cpu_user_seconds_total', system: 'process_cpu_system_seconds_total', total: 'process_cpu_seconds_total' } as const;

/** The default metrics this process has: processResources needs `process.getActiveResourcesInfo`. */
function defaultMetricModules(): DefaultMetricModule[] {
  return DEFAULT_METRIC_MODULES.filter((name) => name !== 'processResources' || typeof process.getActiveResourcesInfo === 'function');
}

/** A registry that makes its remaining default metrics on its first read (see the file's comment). */
class ProcessRegistry extends Registry {
  private complete: (() => void) | undefined;
  /** Names removed before the defaults were complete: not made then. */
  private readonly removedEarly = new Set<string>();

  constructor() {
    super();
    // The CPU counters of collectDefaultMetrics count from the registry's creation: so do these.
    const cpuAtStart = process.cpuUsage();
    const fromStart = new Map<DefaultMetricModule, MetricObject[]>();
    for (const name of defaultMetricModules()) if (DEFAULT_METRICS_FROM_START.includes(name)) fromStart.set(name, this.make(name));
    this.complete = () => {
      this.complete = undefined;
      const defaults: MetricObject[] = [];
      for (const name of defaultMetricModules()) {
        const made = fromStart.get(name);
        if (made) defaults.push(...made);
        else if (name === 'processCpuTotal') {
          const used = process.cpuUsage(cpuAtStart);
          defaults.push(...this.make(name));
          this.addCpuUsedBefore(used);
        } else defaults.push(...this.make(name));
      }
      const dropped = new Set<string>([...DROPPED_DEFAULT_METRICS, ...this.removedEarly]);
      for (const m of defaults) if (dropped.has(m.name) && (super.getSingleMetric(m.name) as unknown) === m) super.removeSingleMetric(m.name);
      // collectDefaultMetrics's order: the defaults first, then the process's own as registered.
      const own = super.getMetricsAsArray().filter((m) => !defaults.includes(m));
      for (const m of [...defaults.filter((d) => !dropped.has(d.name)), ...own]) {
        super.removeSingleMetric(m.name);
        super.registerMetric(m as unknown as Metric);
      }
    };
  }

  /** Makes one default metric's metrics here; returns them. */
  private make(name: DefaultMetricModule): MetricObject[] {
    const before = new Set(this.getMetricsAsArray());
    loadDefaultMetric(name)(this, DEFAULT_METRICS_CONFIG);
    return this.getMetricsAsArray().filter((m) => !before.has(m));
  }

  /** Counts into the new CPU counters the CPU used from the registry's creation until they were made. */
  private addCpuUsedBefore(used: NodeJS.CpuUsage): void {
    const add = (name: string, micros: number): void => {
      (this.getSingleMetric(name) as { inc(value: number): void } | undefined)?.inc(micros / 1e6);
    };
    add(CPU_COUNTERS.user, used.user);
    add(CPU_COUNTERS.system, used.system);
    add(CPU_COUNTERS.total, used.user + used.system);
  }

  override getMetricsAsArray(): MetricObject[] {
    this.complete?.();
    return super.getMetricsAsArray();
  }

  override getSingleMetric<T extends string>(name: string): Metric<T> | undefined {
    this.complete?.();
    return super.getSingleMetric<T>(name);
  }

  override getSingleMetricAsString(name: string): Promise<string> {
    this.complete?.();
    return super.getSingleMetricAsString(name);
  }

  override resetMetrics(): void {
    this.complete?.();
    super.resetMetrics();
  }

  override removeSingleMetric(name: string): void {
    if (this.complete) this.removedEarly.add(name);
    super.removeSingleMetric(name);
  }

  override clear(): void {
    this.complete = undefined;
    super.clear();
  }
}

/** Creates a registry with the default process metrics under their standard names. */
export function createMetricsRegistry(): Registry {
  return new ProcessRegistry();
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
