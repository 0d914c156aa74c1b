/** kan's own Prometheus metrics, all in one place (names end in their unit, CONVENTIONS #10). */
import { Counter, Gauge, Histogram, type Registry } from '@qsen/core/metrics';

/** Metric names. */
export const KAN_METRICS = {
  restarts: 'kan_restarts_total',
  crashLoop: 'kan_crash_loop',
  probes: 'kan_probes_total',
  probeDuration: 'kan_probe_duration_seconds',
  targetUp: 'kan_target_up',
  backoff: 'kan_backoff_seconds',
  logTruncations: 'kan_log_truncations_total',
  /** 0/1, no unit: the trading window of [schedule] at the kan's clock (scraped even while qsen is down). */
  tradingWindowOpen: 'kan_trading_window_open',
} as const;

/** The metric objects a kan updates. */
export interface KanMetrics {
  readonly restarts: Counter<'target' | 'reason'>;
  readonly crashLoop: Gauge<'target'>;
  readonly probes: Counter<'target' | 'result'>;
  readonly probeDuration: Histogram<'target'>;
  readonly targetUp: Gauge<'target'>;
  readonly backoff: Gauge<'target'>;
  readonly logTruncations: Counter<'method'>;
}

/** Sources read at scrape time. */
export interface KanMetricSources {
  /** The trading window at the kan's clock. */
  isTradingWindowOpen(): boolean;
}

/** Registers kan's metrics on a registry; `sources` adds the gauges read at scrape time. */
export function createKanMetrics(registry: Registry, sources?: KanMetricSources): KanMetrics {
  const registers = [registry];
  if (sources) {
    new Gauge({ name: KAN_METRICS.tradingWindowOpen, help: '1 inside the trading window of [schedule] (days, hours, holidays, time zone), 0 outside', registers, collect() { this.set(sources.isTradingWindowOpen() ? 1 : 0); } });
  }
  return {
    restarts: new Counter({ name: KAN_METRICS.restarts, help: 'Starts, restarts and stops made by this kan, by target and reason', labelNames: ['target', 'reason'], registers }),
    crashLoop: new Gauge({ name: KAN_METRICS.crashLoop, help: '1 while the target is crash-looping (restarts held back by back-off)', labelNames: ['target'], registers }),
    probes: new Counter({ name: KAN_METRICS.probes, help: 'Probe results by target (ok, timeout, refused, reset, error, untrusted, stale, busy)', labelNames: ['target', 'result'], registers }),
    probeDuration: new Histogram({ name: KAN_METRICS.probeDuration, help: 'Probe round-trip time', labelNames: ['target'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }),
    targetUp: new Gauge({ name: KAN_METRICS.targetUp, help: '1 when the last probe of the target answered', labelNames: ['target'], registers }),
    backoff: new Gauge({ name: KAN_METRICS.backoff, help: 'Seconds until the next restart of the target is allowed', labelNames: ['target'], registers }),
    logTruncations: new Counter({ name: KAN_METRICS.logTruncations, help: 'Log truncations by method', labelNames: ['method'], registers }),
  };
}
