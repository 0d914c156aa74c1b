/**
 * Figures behind GET /qsen/v1/status: per SENEBI operation the count, errors, timeouts and
 * latency percentiles (over the most recent calls), and orders accepted and rejected by reason.
 */

import type { CallOutcome } from '../orders/order.js';

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

const WINDOW = 4096;

class OperationStats {
  count = 0;
  errors = 0;
  timeouts = 0;
  maxMs = 0;
  private readonly samples = new Float64Array(WINDOW);
  private filled = 0;
  private next = 0;

  record(ms: number, outcome: CallOutcome): void {
    this.count += 1;
    if (outcome === 'error') this.errors += 1;
    if (outcome === 'timeout') this.timeouts += 1;
    if (ms > this.maxMs) this.maxMs = ms;
    this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    this.filled = Math.min(this.filled + 1, WINDOW);
  }

  snapshot(): OperationFigures {
    const sorted = Array.from(this.samples.subarray(0, this.filled)).sort((a, b) => a - b);
    const at = (q: number): number | null => (sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0));
    return {
      count: this.count,
      errors: this.errors,
      timeouts: this.timeouts,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      p99Ms: at(0.99),
      maxMs: this.count === 0 ? null : round(this.maxMs),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Per-operation call figures of the SENEBI adapter. */
export class SenebiFigures {
  private readonly operations = new Map<string, OperationStats>();

  /** Records one call's duration (ms) and outcome. */
  record(operation: string, ms: number, outcome: CallOutcome): void {
    let stats = this.operations.get(operation);
    if (!stats) {
      stats = new OperationStats();
      this.operations.set(operation, stats);
    }
    stats.record(ms, outcome);
  }

  /** The figures of every operation called so far. */
  snapshot(): Record<string, OperationFigures> {
    const out: Record<string, OperationFigures> = {};
    for (const [name, stats] of [...this.operations.entries()].sort(([a], [b]) => a.localeCompare(b))) out[name] = stats.snapshot();
    return out;
  }
}

/** sendOrder outcomes: accepted, and rejected by reason (SENEBI's reason or qsen's error code). */
export class OrderFigures {
  accepted = 0;
  private readonly rejected = new Map<string, number>();

  /** Counts one accepted order. */
  recordAccepted(): void {
    this.accepted += 1;
  }

  /** Counts one order not accepted, by reason. */
  recordRejected(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  /** `{accepted, rejected: {total, byReason}}`. */
  snapshot(): { accepted: number; rejected: { total: number; byReason: Record<string, number> } } {
    const byReason: Record<string, number> = {};
    let total = 0;
    for (const [reason, n] of [...this.rejected.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      byReason[reason] = n;
      total += n;
    }
    return { accepted: this.accepted, rejected: { total, byReason } };
  }
}
