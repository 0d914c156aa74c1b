/**
 * qsen's own Prometheus metrics (CONVENTIONS #10): names are constants ending in their unit.
 * Registered on the process registry that also holds the default process metrics. Every
 * collector reads the node's facts (status/report.ts) at scrape time, the same object /status
 * reads; only the SENEBI histogram is observed as calls happen (by the stats object).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QsenFacts } from '../status/report.js';

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

/** Registers the histogram of SENEBI calls, observed by the stats object (status/stats.ts). */
export function registerSenebiHistogram(registry: Registry): Histogram<'operation' | 'outcome'> {
  return new Histogram({
    name: METRIC_NAMES.senebiDuration,
    help: 'Duration of calls to SENEBI, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
}

/** Registers qsen's collectors on `registry`: each reads the node's facts at scrape time. */
export function registerQsenMetrics(registry: Registry, facts: QsenFacts): void {
  const { stats } = facts;
  new Counter({
    name: METRIC_NAMES.senebiRequests,
    help: 'Calls to SENEBI, by operation and outcome (ok, error, timeout)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [operation, f] of Object.entries(stats.senebiOperations())) {
        const byOutcome = { ok: f.count - f.errors - f.timeouts, error: f.errors, timeout: f.timeouts };
        for (const [outcome, n] of Object.entries(byOutcome)) if (n > 0) this.inc({ operation, outcome }, n);
      }
    },
  });
  new Counter({
    name: METRIC_NAMES.orders,
    help: 'sendOrder outcomes: status accepted or rejected, with the reason for rejections',
    labelNames: ['status', 'reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const orders = stats.orders();
      if (orders.accepted > 0) this.inc({ status: 'accepted', reason: '' }, orders.accepted);
      for (const [reason, n] of Object.entries(orders.rejected.byReason)) this.inc({ status: 'rejected', reason }, n);
    },
  });
  /** A counter with one label, read from a count per label value at every scrape. */
  const countsCounter = (name: string, help: string, label: string, read: () => Readonly<Record<string, number>>): void => {
    new Counter({
      name, help, labelNames: [label], registers: [registry],
      collect() {
        this.reset();
        for (const [value, n] of Object.entries(read())) this.inc({ [label]: value }, n);
      },
    });
  };
  countsCounter(METRIC_NAMES.cancels, 'cancelOrder answers by result: cancelled, not_cancellable, not_found, replayed, refused, failed', 'result', () => stats.cancels());
  new Counter({
    name: METRIC_NAMES.riskRefusals,
    help: 'Orders refused by a pre-trade risk limit, by limit name (order_notional.ARS, daily_orders, price_band.AL30, instrument_denied, ...)',
    labelNames: ['limit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      // Every limit that can refuse now is shown from 0; one refused under settings since reloaded keeps its count.
      for (const limit of facts.risk.refusalLimits()) this.inc({ limit }, 0);
      for (const [limit, n] of Object.entries(facts.risk.summary().refusals)) this.inc({ limit }, n);
    },
  });
  new Gauge({
    name: METRIC_NAMES.riskUsage,
    help: "Usage of each daily and rate risk limit in force: today's (or the window's) consumption over the maximum",
    labelNames: ['limit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { limit, ratio } of facts.risk.usageRatios()) this.set({ limit }, ratio);
    },
  });
  new Gauge({ name: METRIC_NAMES.halted, help: '1 while the kill switch is on', registers: [registry], collect() { this.set(facts.isHalted() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.reconciling, help: '1 while in-flight orders are being reconciled with SENEBI', registers: [registry], collect() { this.set(facts.isReconciling() ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.inFlight, help: 'Orders whose SENEBI call is running', registers: [registry], collect() { this.set(facts.inFlight()); } });
  new Gauge({
    name: METRIC_NAMES.certificateExpiry,
    help: 'notAfter of the certificates in use (server, client_ca, senebi_agent), unix seconds; read at every scrape',
    labelNames: ['certificate'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { certificate, notAfterSeconds } of facts.certificateExpiries()) this.set({ certificate }, notAfterSeconds);
    },
  });
  new Gauge({ name: METRIC_NAMES.acceptingOrders, help: '1 while qsen would take a new order; 0 while the journal cannot be written, halted, reconciling, stopping or outside the window (status.notAccepting says why)', registers: [registry], collect() { this.set(facts.acceptance().acceptingOrders ? 1 : 0); } });
  new Gauge({ name: METRIC_NAMES.journalWritable, help: '1 while the order journal can be written; 0 after a write failure until a retry succeeds', registers: [registry], collect() { this.set(facts.journalHealth().writable ? 1 : 0); } });
  countsCounter(METRIC_NAMES.contradictions, 'Contradictions between SENEBI answers about one order (record_differs, duplicate_without_record); the order stays unknown', 'kind', () => stats.contradictions());
  new Gauge({ name: METRIC_NAMES.tradingWindowOpen, help: '1 inside the trading window of [schedule] (days, hours, holidays, time zone), 0 outside', registers: [registry], collect() { this.set(facts.isMarketOpen() ? 1 : 0); } });
  const journalCounter = (name: string, help: string, read: (f: { records: number; flushes: number; bytes: number }) => number): void => {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read(facts.journal())); } });
  };
  journalCounter(METRIC_NAMES.journalFlushes, 'Journal group commits (one write + one fdatasync each) since start', (f) => f.flushes);
  journalCounter(METRIC_NAMES.journalRecords, 'Journal records made durable since start', (f) => f.records);
  journalCounter(METRIC_NAMES.journalBytes, 'Journal bytes made durable since start', (f) => f.bytes);
}
