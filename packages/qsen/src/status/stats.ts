/**
 * qsen's one stats object: the SENEBI adapter reports each call into it, the order desk each
 * sendOrder outcome and each contradiction between SENEBI's answers, the mass cancel each run and
 * each order it finished with, the dead man's switch each trip; GET /qsen/v1/status and the
 * Prometheus collectors (metrics/metrics.ts) both read it, so a fact is counted once and shown
 * twice. Latency percentiles are over the most recent calls; the histogram of the same calls is
 * observed here too (a histogram cannot be rebuilt from a window at scrape time).
 */
import type { Histogram } from 'prom-client';
import type { ContradictionKind } from '../orders/desk.js';
import type { CancelContradiction } from '../orders/cancel.js';
import { CANCEL_RESULTS, type CancelResult } from '../orders/cancel-rules.js';
import type { CallOutcome } from '../orders/order.js';
import { rejectionLabel } from '../senebi/reasons.js';

/** One operation's figures (latencies in milliseconds, over the last `window` calls). */
export interface OperationFigures {
  count: number;
  errors: number;
  timeouts: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/** sendOrder outcomes: accepted, and rejected by reason (SENEBI's code or qsen's error code). */
export interface OrderOutcomeFigures {
  accepted: number;
  rejected: { total: number; byReason: Record<string, number> };
}

/** The stats object: the reporting side (desk, adapter) and the reading side (/status, collectors). */
export interface QsenStats {
  /** One SENEBI call: its operation, duration (ms) and outcome. */
  recordSenebiCall(operation: string, ms: number, outcome: CallOutcome): void;
  /** One sendOrder outcome; returns the closed-set label a rejection is counted under ('' when accepted). */
  recordOrderOutcome(status: 'accepted' | 'rejected', reason: string): string;
  /** One contradiction between SENEBI's answers about an order (or its cancel). */
  recordContradiction(kind: ContradictionKind | CancelContradiction): void;
  /** One cancelOrder answer, by its closed-set result. */
  recordCancelResult(result: CancelResult): void;
  /** A mass cancel run started by a halt from `channel` (resumed: continued after a restart). */
  recordMassCancelRun(channel: string, resumed: boolean): void;
  /** One order a mass cancel finished with, by its outcome label (a closed set). */
  recordMassCancelOutcome(outcome: string): void;
  /** One trip of the dead man's switch. */
  recordDeadmanTrip(): void;
  /** The figures of every SENEBI operation called so far, by operation name. */
  senebiOperations(): Record<string, OperationFigures>;
  /** sendOrder outcomes since start. */
  orders(): OrderOutcomeFigures;
  /** Contradictions since start, by kind. */
  contradictions(): Record<string, number>;
  /** cancelOrder answers since start, by result (every result, from 0). */
  cancels(): Record<CancelResult, number>;
  /** Mass cancel runs since start, by channel and whether resumed. */
  massCancelRuns(): ReadonlyArray<{ readonly channel: string; readonly resumed: boolean; readonly count: number }>;
  /** Orders mass cancels finished with since start, by outcome label. */
  massCancelOrders(): Record<string, number>;
  /** Trips of the dead man's switch since start. */
  deadmanTrips(): number;
}

/** What the stats object needs. */
export interface QsenStatsDeps {
  /** The codes a rejection may be counted under besides SENEBI's (a closed set: metric labels). */
  readonly outcomeCodes: ReadonlySet<string>;
  /** The SENEBI call histogram (labels operation, outcome; seconds). */
  readonly senebiHistogram?: Histogram<'operation' | 'outcome'>;
}

const WINDOW = 4096;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** Sorted by key, so that the figures read the same at every call. */
const sortedRecord = <T>(entries: Iterable<[string, T]>): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b)));

/** One SENEBI operation's counts and its window of recent latencies. */
function createOperationFigures(): { record(ms: number, outcome: CallOutcome): void; snapshot(): OperationFigures } {
  const samples = new Float64Array(WINDOW);
  let count = 0, errors = 0, timeouts = 0, maxMs = 0, filled = 0, next = 0;
  return {
    record(ms, outcome) {
      count += 1;
      if (outcome === 'error') errors += 1;
      if (outcome === 'timeout') timeouts += 1;
      if (ms > maxMs) maxMs = ms;
      samples[next] = ms;
      next = (next + 1) % WINDOW;
      filled = Math.min(filled + 1, WINDOW);
    },
    snapshot() {
      const sorted = Array.from(samples.subarray(0, filled)).sort((a, b) => a - b);
      const at = (q: number): number | null => (sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0));
      return { count, errors, timeouts, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), maxMs: count === 0 ? null : round(maxMs) };
    },
  };
}

/** Creates the stats object (all counts start at zero). */
export function createQsenStats(deps: QsenStatsDeps): QsenStats {
  const operations = new Map<string, ReturnType<typeof createOperationFigures>>();
  const rejected = new Map<string, number>();
  const contradictions = new Map<string, number>();
  let accepted = 0;
  const massCancelRuns = new Map<string, { channel: string; resumed: boolean; count: number }>();
  const massCancelOrders = new Map<string, number>();
  let deadmanTrips = 0;
  const cancels = Object.fromEntries(CANCEL_RESULTS.map((r) => [r, 0])) as Record<CancelResult, number>;
  return {
    recordSenebiCall(operation, ms, outcome) {
      let figures = operations.get(operation);
      if (!figures) {
        figures = createOperationFigures();
        operations.set(operation, figures);
      }
      figures.record(ms, outcome);
      deps.senebiHistogram?.observe({ operation, outcome }, ms / 1000);
    },
    recordOrderOutcome(status, reason) {
      // Labels and status keys come from closed sets; SENEBI's free text stays in the log.
      if (status === 'accepted') {
        accepted += 1;
        return '';
      }
      const label = rejectionLabel(reason, deps.outcomeCodes);
      rejected.set(label, (rejected.get(label) ?? 0) + 1);
      return label;
    },
    recordContradiction(kind) {
      contradictions.set(kind, (contradictions.get(kind) ?? 0) + 1);
    },
    senebiOperations: () => sortedRecord([...operations].map(([name, figures]) => [name, figures.snapshot()])),
    orders() {
      const byReason = sortedRecord(rejected);
      const total = Object.values(byReason).reduce((sum, n) => sum + n, 0);
      return { accepted, rejected: { total, byReason } };
    },
    contradictions: () => Object.fromEntries(contradictions),
    recordCancelResult(result) {
      cancels[result] += 1;
    },
    cancels: () => ({ ...cancels }),
    recordMassCancelRun(channel, resumed) {
      const key = `${channel} ${String(resumed)}`;
      const run = massCancelRuns.get(key) ?? { channel, resumed, count: 0 };
      run.count += 1;
      massCancelRuns.set(key, run);
    },
    recordMassCancelOutcome(outcome) {
      massCancelOrders.set(outcome, (massCancelOrders.get(outcome) ?? 0) + 1);
    },
    recordDeadmanTrip() {
      deadmanTrips += 1;
    },
    massCancelRuns: () => [...massCancelRuns.values()].map((run) => ({ ...run })),
    massCancelOrders: () => Object.fromEntries(massCancelOrders),
    deadmanTrips: () => deadmanTrips,
  };
}
