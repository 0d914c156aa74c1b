/** A download progress bar on a terminal (stderr), redrawn at most every 100 ms. */
import { formatBytes } from './values.js';
import { systemClock, type Clock } from '@qsen/core/schedule';

/** Where the bar is drawn. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A progress bar; a no-op when the output is not a terminal. */
export interface ProgressBar {
  /** Adds downloaded bytes. */
  advance(bytes: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

/** The bar's text for `done` of `total` bytes (total unknown: bytes only). */
export function renderProgress(label: string, done: number, total: number | undefined, width = 30): string {
  if (total === undefined || total <= 0) return `${label} ${formatBytes(done)}`;
  const ratio = Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${formatBytes(done)} / ${formatBytes(total)}`;
}

/** Creates a bar drawing on `out` when it is a terminal. */
export function createProgressBar(out: ProgressOutput, label: string, total: number | undefined, clock: Clock = systemClock): ProgressBar {
  let done = 0;
  let lastDraw = 0;
  const enabled = out.isTTY === true;
  const draw = (): void => {
    out.write(`\r${renderProgress(label, done, total)}\x1b[K`);
  };
  return {
    advance(bytes) {
      done += bytes;
      if (!enabled) return;
      const t = clock.now();
      if (t - lastDraw >= 100) {
        lastDraw = t;
        draw();
      }
    },
    finish() {
      if (!enabled) return;
      draw();
      out.write('\n');
    },
  };
}
