/** The logging surface kan's modules use (a winston Logger from @qsen/core satisfies it). */
export interface LogSink {
  error(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  debug(message: string, meta?: Record<string, unknown>): unknown;
}

/** A LogSink that drops everything (tests that do not look at logs). */
export const silentLog: LogSink = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
