/**
 * The start's progress on the terminal: one line per step. On a terminal the running step is a
 * spinner line redrawn in place ("⠙ launcher: waiting for qsen, kan2 to answer (3.1 s)") and
 * becomes a plain line when it ends; in a pipe only plain lines are written, no carriage returns
 * and no escape codes, so logs and `grep` see one line per step. Frame and line builders are
 * pure; the timer and the clock are injected.
 */
import { systemClock, type Clock } from '@qsen/core/schedule';

/** Spinner frames (braille dots). */
export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

/** How often the spinner redraws (ms). */
export const SPINNER_INTERVAL_MS = 100;

/** The spinner line of a running step (pure). */
export function renderSpinnerLine(frame: number, text: string, elapsedMs: number): string {
  const symbol = SPINNER_FRAMES[((frame % SPINNER_FRAMES.length) + SPINNER_FRAMES.length) % SPINNER_FRAMES.length] ?? '-';
  return `${symbol} ${text} (${(elapsedMs / 1000).toFixed(1)} s)`;
}

/** Where progress goes. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** What the progress needs besides the stream. */
export interface ProgressOptions {
  readonly clock?: Clock;
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/** One start's progress. */
export interface Progress {
  /** Starts a step: a spinner on a terminal, one plain line (`text...`) in a pipe. Ends the step before it. */
  step(text: string): void;
  /** Changes the running step's text (terminal only; nothing in a pipe). */
  update(text: string): void;
  /** Ends the running step with a final line (e.g. "launcher: built in 24.1 s"). */
  done(line: string): void;
  /** Prints a line of its own, above the spinner on a terminal. */
  line(text: string): void;
  /** Clears a spinner left running, without a final line. */
  stop(): void;
}

/** Creates the progress for `stream` (a terminal when `stream.isTTY`). */
export function createProgress(stream: ProgressStream, options: ProgressOptions = {}): Progress {
  const clock = options.clock ?? systemClock;
  const setTimer = options.setTimer ?? ((fn, ms) => setInterval(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearInterval(t as NodeJS.Timeout));
  const tty = stream.isTTY === true;
  let running: { text: string; startedAt: number; frame: number; timer: unknown } | null = null;

  const draw = (): void => {
    if (!running) return;
    // \r and "erase line": the spinner line is redrawn in place.
    stream.write(`\r\u001b[2K${renderSpinnerLine(running.frame, running.text, clock.now() - running.startedAt)}`);
  };
  const clear = (): void => {
    if (!running) return;
    clearTimer(running.timer);
    if (tty) stream.write('\r\u001b[2K');
    running = null;
  };
  return {
    step(text) {
      clear();
      if (!tty) {
        stream.write(`${text}...\n`);
        running = { text, startedAt: clock.now(), frame: 0, timer: null };
        return;
      }
      const step = { text, startedAt: clock.now(), frame: 0, timer: null as unknown };
      running = step;
      step.timer = setTimer(() => { step.frame += 1; draw(); }, SPINNER_INTERVAL_MS);
      (step.timer as { unref?: () => void } | null)?.unref?.();
      draw();
    },
    update(text) {
      if (!running) return;
      running.text = text;
      if (tty) draw();
    },
    done(line) {
      clear();
      stream.write(`${line}\n`);
    },
    line(text) {
      if (tty && running) {
        stream.write(`\r\u001b[2K${text}\n`);
        draw();
        return;
      }
      stream.write(`${text}\n`);
    },
    stop: clear,
  };
}
