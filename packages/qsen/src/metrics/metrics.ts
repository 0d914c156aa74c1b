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
  halted: 'qsen_halted_bool',
  reconciling: 'qsen_reconciling_bool',
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
  new Gauge({ name: METRIC_NAMES.journalFlushes, help: 'Journal group commits (write + fdatasync) since start', registers: [registry], collect() { this.set(sources.journalFigures().flushes); } });
  new Gauge({ name: METRIC_NAMES.journalRecords, help: 'Journal records written since start', registers: [registry], collect() { this.set(sources.journalFigures().records); } });
  new Gauge({ name: METRIC_NAMES.journalBytes, help: 'Journal bytes written since start', registers: [registry], collect() { this.set(sources.journalFigures().bytes); } });
  return { senebiDuration, senebiRequests, orders };
}
