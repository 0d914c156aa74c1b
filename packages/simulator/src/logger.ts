/**
 * The logging interface the simulator writes to (a winston Logger satisfies it).
 */

/** What the simulator logs through. */
export interface SimulatorLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

/** A logger that drops everything (tests that do not look at logs). */
export const SILENT_LOGGER: SimulatorLogger = Object.freeze({ info: () => undefined, warn: () => undefined, error: () => undefined });
