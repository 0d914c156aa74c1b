/**
 * qsen's metrics of the kill switch's mass cancel and of the dead man's switch (docs/qsen.md,
 * "Metrics"): names ending in their unit, registered on the node's registry beside metrics.ts.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** Metric names, one place. */
export const LIFECYCLE_METRIC_NAMES = {
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

/** Sources read at scrape time. */
export interface LifecycleSources {
  isMassCancelRunning(): boolean;
  /** The deadline of an armed dead man's switch (epoch ms), undefined while not armed. */
  deadmanDeadline(): number | undefined;
}

/** The counters the node updates. */
export interface LifecycleMetrics {
  readonly massCancelRuns: Counter<'channel' | 'resumed'>;
  readonly massCancelOrders: Counter<'outcome'>;
  readonly deadmanTrips: Counter;
}

/** Registers the mass cancel's and the dead man's switch's metrics on `registry`. */
export function registerLifecycleMetrics(registry: Registry, sources: LifecycleSources): LifecycleMetrics {
  const massCancelRuns = new Counter({ name: LIFECYCLE_METRIC_NAMES.massCancelRuns, help: 'Mass cancels started by a halt with cancelOpen, by channel (api, local, deadman); resumed="true": continued after a restart', labelNames: ['channel', 'resumed'] as const, registers: [registry] });
  const massCancelOrders = new Counter({
    name: LIFECYCLE_METRIC_NAMES.massCancelOrders,
    help: 'Orders a mass cancel finished with, by outcome (cancelled, already_matched, not_open, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      for (const outcome of Object.values(MASS_CANCEL_OUTCOMES)) this.inc({ outcome }, 0);
    },
  });
  const deadmanTrips = new Counter({ name: LIFECYCLE_METRIC_NAMES.deadmanTrips, help: "Trips of the dead man's switch: no heartbeat within [deadman] interval_seconds, qsen halted", registers: [registry] });
  new Gauge({ name: LIFECYCLE_METRIC_NAMES.massCancelRunning, help: '1 while a mass cancel runs', registers: [registry], collect() { this.set(sources.isMassCancelRunning() ? 1 : 0); } });
  new Gauge({ name: LIFECYCLE_METRIC_NAMES.deadmanArmed, help: "1 while the dead man's switch is armed", registers: [registry], collect() { this.set(sources.deadmanDeadline() === undefined ? 0 : 1); } });
  new Gauge({
    name: LIFECYCLE_METRIC_NAMES.deadmanDeadline,
    help: "Deadline of the armed dead man's switch (the last heartbeat plus the interval), unix seconds",
    registers: [registry],
    collect() {
      this.reset();
      const deadline = sources.deadmanDeadline();
      if (deadline !== undefined) this.set(deadline / 1000);
    },
  });
  return { massCancelRuns, massCancelOrders, deadmanTrips };
}
