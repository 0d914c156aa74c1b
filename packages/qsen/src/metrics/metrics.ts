/**
 * qsen's own Prometheus metrics (CONVENTIONS #10): names are constants ending in their unit.
 * Registered on the process registry that also holds the default process metrics. Every
 * collector reads the node's facts (status/report.ts) at scrape time, the same object /status
 * reads; only the SENEBI histogram is observed as calls happen (by the stats object).
 */
import { Counter, Gauge, Histogram, type Registry } from '@qsen/core/metrics';
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
  /** 1 while a mass cancel runs. */
  massCancelRunning: 'qsen_mass_cancel_running',
  /** Mass cancel runs started (resumed="true" after a restart), by channel api|local|deadman. */
  massCancelRuns: 'qsen_mass_cancel_runs_total',
  /** Orders a mass cancel finished with, by outcome cancelled|already_matched|not_open|failed. */
  massCancelOrders: 'qsen_mass_cancel_orders_total',
  /** 1 while the dead man's switch is armed. */
  deadmanArmed: 'qsen_deadman_armed',
  /** The armed switch's deadline, unix seconds (absent while not armed). */
  deadmanDeadline: 'qsen_deadman_deadline_timestamp_seconds',
  /** Trips of the dead man's switch (each one halted qsen). */
  deadmanTrips: 'qsen_deadman_trips_total',
} as const;

/** The outcome label of a mass cancel's order. */
export const MASS_CANCEL_OUTCOMES = { cancelled: 'cancelled', alreadyMatched: 'already_matched', notOpen: 'not_open', failed: 'failed' } as const;

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

/** Gauges and counters whose value is read at every scrape, on one registry. */
function createCollectors(registry: Registry) {
  return {
    /** A 0/1 gauge. */
    flag(name: string, help: string, read: () => boolean): void {
      new Gauge({ name, help, registers: [registry], collect() { this.set(read() ? 1 : 0); } });
    },
    /** A gauge with one label, set anew from the pairs read at every scrape. */
    labelledGauge(name: string, help: string, label: string, read: () => Iterable<readonly [string, number]>): void {
      new Gauge({
        name, help, labelNames: [label], registers: [registry],
        collect() {
          this.reset();
          for (const [value, n] of read()) this.set({ [label]: value }, n);
        },
      });
    },
    /** A counter with one label, read from a count per label value (`zero`: label values shown from 0). */
    counts(name: string, help: string, label: string, read: () => Readonly<Record<string, number>>, zero: () => readonly string[] = () => []): void {
      new Counter({
        name, help, labelNames: [label], registers: [registry],
        collect() {
          this.reset();
          for (const value of zero()) this.inc({ [label]: value }, 0);
          for (const [value, n] of Object.entries(read())) this.inc({ [label]: value }, n);
        },
      });
    },
    /** A counter without labels, read whole. */
    total(name: string, help: string, read: () => number): void {
      new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
    },
  };
}

/** Registers qsen's collectors on `registry`: each reads the node's facts at scrape time. */
export function registerQsenMetrics(registry: Registry, facts: QsenFacts): void {
  const { stats } = facts;
  const { flag, labelledGauge, counts, total } = createCollectors(registry);
  // The kill switch's mass cancel and the dead man's switch (docs/qsen.md, "Metrics").
  new Counter({
    name: METRIC_NAMES.massCancelRuns,
    help: 'Mass cancels started by a halt with cancelOpen, by channel (api, local, deadman); resumed="true": continued after a restart',
    labelNames: ['channel', 'resumed'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { channel, resumed, count } of stats.massCancelRuns()) this.inc({ channel, resumed: String(resumed) }, count);
    },
  });
  counts(METRIC_NAMES.massCancelOrders, 'Orders a mass cancel finished with, by outcome (cancelled, already_matched, not_open, failed)', 'outcome', () => stats.massCancelOrders(), () => Object.values(MASS_CANCEL_OUTCOMES));
  total(METRIC_NAMES.deadmanTrips, "Trips of the dead man's switch: no heartbeat within [deadman] interval_seconds, qsen halted", () => stats.deadmanTrips());
  flag(METRIC_NAMES.massCancelRunning, '1 while a mass cancel runs', () => facts.isMassCancelRunning());
  flag(METRIC_NAMES.deadmanArmed, "1 while the dead man's switch is armed", () => facts.deadmanDeadlineMs() !== undefined);
  new Gauge({
    name: METRIC_NAMES.deadmanDeadline,
    help: "Deadline of the armed dead man's switch (the last heartbeat plus the interval), unix seconds",
    registers: [registry],
    collect() {
      this.reset();
      const deadline = facts.deadmanDeadlineMs();
      if (deadline !== undefined) this.set(deadline / 1000);
    },
  });
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
  counts(METRIC_NAMES.cancels, 'cancelOrder answers by result: cancelled, not_cancellable, not_found, replayed, refused, failed', 'result', () => stats.cancels());
  // Every limit that can refuse now is shown from 0; one refused under settings since reloaded keeps its count.
  counts(METRIC_NAMES.riskRefusals, 'Orders refused by a pre-trade risk limit, by limit name (order_notional.ARS, daily_orders, price_band.AL30, instrument_denied, ...)', 'limit', () => facts.risk.summary().refusals, () => facts.risk.refusalLimits());
  labelledGauge(METRIC_NAMES.riskUsage, "Usage of each daily and rate risk limit in force: today's (or the window's) consumption over the maximum", 'limit', () => facts.risk.usageRatios().map(({ limit, ratio }) => [limit, ratio] as const));
  flag(METRIC_NAMES.halted, '1 while the kill switch is on', () => facts.isHalted());
  flag(METRIC_NAMES.reconciling, '1 while in-flight orders are being reconciled with SENEBI', () => facts.isReconciling());
  new Gauge({ name: METRIC_NAMES.inFlight, help: 'Orders whose SENEBI call is running', registers: [registry], collect() { this.set(facts.inFlight()); } });
  labelledGauge(METRIC_NAMES.certificateExpiry, 'notAfter of the certificates in use (server, client_ca, senebi_agent), unix seconds; read at every scrape', 'certificate', () => facts.certificateExpiries().map(({ certificate, notAfterSeconds }) => [certificate, notAfterSeconds] as const));
  flag(METRIC_NAMES.acceptingOrders, '1 while qsen would take a new order; 0 while the journal cannot be written, halted, reconciling, stopping or outside the window (status.notAccepting says why)', () => facts.acceptance().acceptingOrders);
  flag(METRIC_NAMES.journalWritable, '1 while the order journal can be written; 0 after a write failure until a retry succeeds', () => facts.journalHealth().writable);
  counts(METRIC_NAMES.contradictions, 'Contradictions between SENEBI answers about one order (record_differs, duplicate_without_record); the order stays unknown', 'kind', () => stats.contradictions());
  flag(METRIC_NAMES.tradingWindowOpen, '1 inside the trading window of [schedule] (days, hours, holidays, time zone), 0 outside', () => facts.isMarketOpen());
  total(METRIC_NAMES.journalFlushes, 'Journal group commits (one write + one fdatasync each) since start', () => facts.journal().flushes);
  total(METRIC_NAMES.journalRecords, 'Journal records made durable since start', () => facts.journal().records);
  total(METRIC_NAMES.journalBytes, 'Journal bytes made durable since start', () => facts.journal().bytes);
}
