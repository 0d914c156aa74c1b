/**
 * qsen's own Prometheus metrics (CONVENTIONS #10): names are constants ending in their unit.
 * Registered on the process registry that also holds the default process metrics.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names, one place. */
export const METRIC_NAMES = {
  senebiDuration: 'qsen_senebi_request_duration_seconds',
  senebiRequests: 'qsen_senebi_requests_total',
  orders: 'qsen_orders_total',
  /** 0/1 gauges carry no unit. */
  halted: 'qsen_kill_switch_engaged',
  reconciling: 'qsen_reconciling',
  inFlight: 'qsen_orders_in_flight',
  journalFlushes: 'qsen_journal_flushes_total',
  journalRecords: 'qsen_journal_records_total',
  journalBytes: 'qsen_journal_written_bytes_total',
} as const;

/** The metric objects qsen updates. */
export interface QsenMetrics {
  readonly senebiDuration: Histogram<'operation' | 'outcome'>;
  readonly senebiRequests: Counter<'operation' | 'outcome'>;
  readonly orders: Counter<'status' | 'reason'>;
}

/** Sources read at scrape time. */
export interface MetricSources {
  isHalted(): boolean;
  isReconciling(): boolean;
  journalFigures(): { records: number; flushes: number; bytes: number };
  inFlight(): number;
}

/** Registers qsen's metrics on `registry`. */
export function registerQsenMetrics(registry: Registry, sources: MetricSources): QsenMetrics {
  const senebiDuration = new Histogram({
    name: METRIC_NAMES.senebiDuration,
    help: 'Duration of calls to SENEBI, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const senebiRequests = new Counter({
    name: METRIC_NAMES.senebiRequests,
    help: 'Calls to SENEBI, by operation and outcome (ok, error, timeout)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const orders = new Counter({
    name: METRIC_NAMES.orders,
    help: 'sendOrder outcomes: status accepted or rejected, with the reason for rejections',
    labelNames: ['status', 'reason'] as const,
    registers: [registry],
  });
  new Gauge({ name: METRIC_NAMES.halted, help: '1 while the kill switch is on', registers: [registry], collect() { this.set(sources.isHalted() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.reconciling, help: '1 while in-flight orders are being reconciled with SENEBI', registers: [registry], collect() { this.set(sources.isReconciling() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.inFlight, help: 'Orders whose SENEBI call is running', registers: [registry], collect() { this.set(sources.inFlight()); } });
  const journalCounter = (name: string, help: string, read: (f: { records: number; flushes: number; bytes: number }) => number): void => {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read(sources.journalFigures())); } });
  };
  journalCounter(METRIC_NAMES.journalFlushes, 'Journal group commits (one write + one fdatasync each) since start', (f) => f.flushes);
  journalCounter(METRIC_NAMES.journalRecords, 'Journal records made durable since start', (f) => f.records);
  journalCounter(METRIC_NAMES.journalBytes, 'Journal bytes made durable since start', (f) => f.bytes);
  return { senebiDuration, senebiRequests, orders };
}
