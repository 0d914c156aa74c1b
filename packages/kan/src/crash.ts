/**
 * The fatal path of a kan process: what happens on an uncaught exception (and on an unhandled
 * rejection, which Node turns into one). It runs once: a first fatal error is written to stderr
 * and, if the logger still takes lines, to the log; the logs are flushed within a bound; the
 * process exits with KAN_EXIT_UNCAUGHT. Any error after that (while flushing, or from the same
 * fault firing again) only goes to stderr: the handler never writes to an ended stream and never
 * throws, so the exit code stays the stable one (an exception thrown by the handler itself would
 * make Node exit with 7).
 */

/** Exit code of a kan stopped by an uncaught exception (EX_SOFTWARE). */
export const KAN_EXIT_UNCAUGHT = 70;

/** Exit code of a kan whose API could not be loaded (EX_UNAVAILABLE: a broken install; front-door.ts). */
export const KAN_EXIT_APP_UNAVAILABLE = 69;

/** Longest the fatal path waits for the logs to flush before exiting anyway. */
export const FATAL_FLUSH_TIMEOUT_MS = 3_000;

/** What the fatal path uses. */
export interface FatalPathDeps {
  /** Writes the error to the log; called only while `logWritable()` is true. */
  readonly log: (err: unknown) => void;
  /** Whether the logger still takes lines (false once it is ending or ended). */
  readonly logWritable: () => boolean;
  /** Flushes and closes the logs (idempotent). */
  readonly flush: () => Promise<unknown>;
  /** Writes to stderr synchronously. */
  readonly stderr: (text: string) => void;
  readonly exit: (code: number) => void;
  readonly flushTimeoutMs?: number;
}

/** A one-line description of a thrown value (pure). */
export function describeFatal(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  try {
    return String(err);
  } catch {
    return 'a value that cannot be printed';
  }
}

/**
 * Flushes the logs within a bound, then exits with `code` (once, whether the flush ends, fails
 * or hangs). `say` reports a failed flush (stderr).
 */
export function exitAfterFlush(deps: Pick<FatalPathDeps, 'flush' | 'exit' | 'flushTimeoutMs'>, code: number, say: (text: string) => void): void {
  let exited = false;
  const exit = (): void => {
    if (exited) return;
    exited = true;
    deps.exit(code);
  };
  const guard = setTimeout(exit, deps.flushTimeoutMs ?? FATAL_FLUSH_TIMEOUT_MS);
  guard.unref();
  let flushing: Promise<unknown>;
  try {
    flushing = deps.flush();
  } catch (flushErr) {
    flushing = Promise.reject(flushErr);
  }
  flushing.catch((flushErr: unknown) => say(`kan: could not flush the logs: ${describeFatal(flushErr)}\n`)).finally(exit);
}

/** Builds the uncaughtException handler. */
export function createFatalHandler(deps: FatalPathDeps): (err: unknown) => void {
  let stopping = false;
  const say = (text: string): void => {
    try {
      deps.stderr(text);
    } catch {
      // stderr is gone too: nothing left to tell
    }
  };
  return (err) => {
    if (stopping) {
      say(`kan: another uncaught exception while stopping: ${describeFatal(err)}\n`);
      return;
    }
    stopping = true;
    say(`kan: uncaught exception, stopping with exit code ${KAN_EXIT_UNCAUGHT}: ${err instanceof Error && err.stack ? err.stack : describeFatal(err)}\n`);
    try {
      if (deps.logWritable()) deps.log(err);
    } catch (logErr) {
      say(`kan: could not log the uncaught exception: ${describeFatal(logErr)}\n`);
    }
    exitAfterFlush(deps, KAN_EXIT_UNCAUGHT, say);
  };
}
