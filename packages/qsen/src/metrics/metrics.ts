/**
 * qsen's own Prometheus metrics (CONVENTIONS #10): names are constants ending in their unit.
 * Registered on the process registry that also holds the default process metrics.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CANCEL_RESULTS } from '../orders/cancel-rules.js';

/** Metric names, one place. */
export const METRIC_NAMES = {
  senebiDuration: 'qsen_senebi_request_duration_seconds',
  senebiRequests: 'qsen_senebi_requests_total',
  orders: 'qsen_orders_total',
  /** cancelOrder answers, labelled result (CANCEL_RESULTS: a closed set). */
  cancels: 'qsen_cancels_total',
  /** 0/1 gauges carry no unit. */
  halted: 'qsen_kill_switch_engaged',
  reconciling: 'qsen_reconciling',
  inFlight: 'qsen_orders_in_flight',
  journalFlushes: 'qsen_journal_flushes_total',
  journalRecords: 'qsen_journal_records_total',
  journalBytes: 'qsen_journal_written_bytes_total',
  /** notAfter of each certificate in use, unix seconds, labelled certificate="server"|"client_ca"|"senebi_agent". */
  certificateExpiry: 'qsen_certificate_expiry_timestamp_seconds',
  tradingWindowOpen: 'qsen_trading_window_open',
  /** 1 while a new order would be taken (journal writable, not halted, not reconciling, window open). */
  acceptingOrders: 'qsen_accepting_orders',
  journalWritable: 'qsen_journal_writable',
  contradictions: 'qsen_senebi_contradictions_total',
  /** Orders refused by a risk limit, labelled limit (a limit name in force: a closed set). */
  riskRefusals: 'qsen_risk_refusals_total',
  /** Today's usage of each daily and rate limit over its maximum (0..1, above 1 after an override lowers it). */
  riskUsage: 'qsen_risk_usage_ratio',
} as const;

/** The certificates whose expiry qsen exports (the `certificate` label). */
export const CERTIFICATE_NAMES = ['server', 'client_ca', 'senebi_agent'] as const;

/** One value of the `certificate` label. */
export type CertificateName = (typeof CERTIFICATE_NAMES)[number];

/** The notAfter of one certificate in use, unix seconds. */
export interface CertificateExpiry {
  readonly certificate: CertificateName;
  readonly notAfterSeconds: number;
}

/** The metric objects qsen updates. */
export interface QsenMetrics {
  readonly senebiDuration: Histogram<'operation' | 'outcome'>;
  readonly senebiRequests: Counter<'operation' | 'outcome'>;
  readonly orders: Counter<'status' | 'reason'>;
  readonly cancels: Counter<'result'>;
  readonly riskRefusals: Counter<'limit'>;
}

/** Sources read at scrape time. */
export interface MetricSources {
  isHalted(): boolean;
  isReconciling(): boolean;
  journalFigures(): { records: number; flushes: number; bytes: number };
  inFlight(): number;
  /** The certificates in use; one that cannot be read is left out (its series disappears). */
  certificateExpiries(): readonly CertificateExpiry[];
  /** The trading window at the node's clock. */
  isTradingWindowOpen(): boolean;
  /** Whether a new order would be taken now. */
  isAcceptingOrders(): boolean;
  isJournalWritable(): boolean;
  /** Contradictions between SENEBI answers since start, by kind (the same figures status shows). */
  contradictions(): Readonly<Record<string, number>>;
  /** Usage ratio of every daily and rate limit in force. */
  riskUsageRatios(): ReadonlyArray<{ readonly limit: string; readonly ratio: number }>;
  /** Every limit name a refusal can carry now (their counters are shown from 0). */
  riskRefusalLimits(): readonly string[];
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
  const cancels = new Counter({
    name: METRIC_NAMES.cancels,
    help: 'cancelOrder answers by result: cancelled, not_cancellable, not_found, replayed, refused, failed',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of CANCEL_RESULTS) cancels.inc({ result }, 0);
  const riskRefusals = new Counter({
    name: METRIC_NAMES.riskRefusals,
    help: 'Orders refused by a pre-trade risk limit, by limit name (order_notional.ARS, daily_orders, price_band.AL30, instrument_denied, ...)',
    labelNames: ['limit'] as const,
    registers: [registry],
    collect() {
      for (const limit of sources.riskRefusalLimits()) this.inc({ limit }, 0);
    },
  });
  new Gauge({
    name: METRIC_NAMES.riskUsage,
    help: "Usage of each daily and rate risk limit in force: today's (or the window's) consumption over the maximum",
    labelNames: ['limit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { limit, ratio } of sources.riskUsageRatios()) this.set({ limit }, ratio);
    },
  });
  new Gauge({ name: METRIC_NAMES.halted, help: '1 while the kill switch is on', registers: [registry], collect() { this.set(sources.isHalted() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.reconciling, help: '1 while in-flight orders are being reconciled with SENEBI', registers: [registry], collect() { this.set(sources.isReconciling() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.inFlight, help: 'Orders whose SENEBI call is running', registers: [registry], collect() { this.set(sources.inFlight()); } });
  new Gauge({
    name: METRIC_NAMES.certificateExpiry,
    help: 'notAfter of the certificates in use (server, client_ca, senebi_agent), unix seconds; read at every scrape',
    labelNames: ['certificate'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { certificate, notAfterSeconds } of sources.certificateExpiries()) this.set({ certificate }, notAfterSeconds);
    },
  });
  new Gauge({ name: METRIC_NAMES.acceptingOrders, help: '1 while qsen would take a new order; 0 while the journal cannot be written, halted, reconciling, stopping or outside the window (status.notAccepting says why)', registers: [registry], collect() { this.set(sources.isAcceptingOrders() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.journalWritable, help: '1 while the order journal can be written; 0 after a write failure until a retry succeeds', registers: [registry], collect() { this.set(sources.isJournalWritable() ? 1 : 0); } });
  new Counter({
    name: METRIC_NAMES.contradictions,
    help: 'Contradictions between SENEBI answers about one order (record_differs, duplicate_without_record); the order stays unknown',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(sources.contradictions())) this.inc({ kind }, n);
    },
  });
  new Gauge({ name: METRIC_NAMES.tradingWindowOpen, help: '1 inside the trading window of [schedule] (days, hours, holidays, time zone), 0 outside', registers: [registry], collect() { this.set(sources.isTradingWindowOpen() ? 1 : 0); } });
  const journalCounter = (name: string, help: string, read: (f: { records: number; flushes: number; bytes: number }) => number): void => {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read(sources.journalFigures())); } });
  };
  journalCounter(METRIC_NAMES.journalFlushes, 'Journal group commits (one write + one fdatasync each) since start', (f) => f.flushes);
  journalCounter(METRIC_NAMES.journalRecords, 'Journal records made durable since start', (f) => f.records);
  journalCounter(METRIC_NAMES.journalBytes, 'Journal bytes made durable since start', (f) => f.bytes);
  return { senebiDuration, senebiRequests, orders, cancels, riskRefusals };
}
