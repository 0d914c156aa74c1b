/**
 * The launcher's restart policy for processes that exit on their own (kans, simulator,
 * node_exporter; never qsen): pure functions, tested with literal inputs.
 * Like systemd's `Restart=always` with `RestartSec=1`, plus a back-off that doubles for each exit
 * in a row that came before the process had run `stableAfterMs`, capped at `maxDelayMs`: the
 * watchdog's formula (@qsen/kan's backoffDelayMs), written once.
 */
import { backoffDelayMs } from '@qsen/kan';

/** Tunables of the restart policy. */
export interface RestartPolicySettings {
  /** Delay before the first automatic restart (and after any stable run). */
  readonly initialDelayMs: number;
  /** Upper bound of the delay. */
  readonly maxDelayMs: number;
  /** A run at least this long counts as stable: the next exit starts the back-off over. */
  readonly stableAfterMs: number;
}

/** The defaults: 1 s, doubling up to 60 s, reset after a minute of stable running. */
export const DEFAULT_RESTART_POLICY: RestartPolicySettings = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  stableAfterMs: 60_000,
});

/** Counts exits in a row: a run shorter than the stable period adds one, a stable run starts again at one. */
export function countConsecutiveCrashes(previousCrashes: number, ranForMs: number, settings: RestartPolicySettings): number {
  return ranForMs >= settings.stableAfterMs ? 1 : previousCrashes + 1;
}

/** Delay before the automatic restart that follows the `consecutiveCrashes`-th exit in a row (1-based). */
export function computeRestartDelayMs(consecutiveCrashes: number, settings: RestartPolicySettings): number {
  // The first exit waits the initial delay (the watchdog's streak 0, no restart yet, waits none).
  return backoffDelayMs(Math.max(1, consecutiveCrashes), settings.initialDelayMs, settings.maxDelayMs);
}
