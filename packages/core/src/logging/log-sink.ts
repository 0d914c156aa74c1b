/**
 * The logging surface every package's modules take as a parameter (a winston Logger from
 * createProcessLogger satisfies it): one type for the whole codebase.
 */

/** What a module logs through. */
export interface LogSink {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  debug(message: string, meta?: Record<string, unknown>): unknown;
}

/** A LogSink that drops everything (the default where logging is optional). */
export const SILENT_LOG: LogSink = Object.freeze({ error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined });
