/**
 * The process logger: winston, JSON lines with an ISO timestamp, secrets redacted on every
 * line, one rotating file per process in the log folder (architecture: `<process>-YYYY-MM-DD.log`).
 */
import winston from 'winston';
import { CONFIG_DEFAULTS } from '../config/defaults.js';
import { systemClock, type Clock } from '../schedule/clock.js';
import { RotatingFileTransport } from './file-transport.js';
import { isSecretFieldName, redactSecrets, REDACTED } from './redact.js';

/** The logger every process uses. */
export type Logger = winston.Logger;

/** Options of createProcessLogger. */
export interface ProcessLoggerOptions {
  /** Log folder (created when missing). */
  dir: string;
  /** File prefix: "qsen", "kan0", ... */
  name: string;
  /** Least severe level written (default "info"). */
  level?: string;
  /** Rotate at this size, MiB (default [logging] max_size_mb). */
  maxSizeMb?: number;
  /** Rotated files kept (default [logging] max_files). */
  maxFiles?: number;
  /** Also write the lines to stdout (e.g. for the journal). Default false. */
  console?: boolean;
  /** Clock of the failure reports and reopen attempts (tests). */
  clock?: Clock;
}

/** A winston format that redacts secrets in every field of a line (symbol keys untouched). */
export const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    info[key] = isSecretFieldName(key) ? REDACTED : redactSecrets(info[key]);
  }
  return info;
});

/** The line format shared by the process and audit logs: redacted JSON with an ISO timestamp. */
export function createLineFormat(): winston.Logform.Format {
  return winston.format.combine(winston.format.errors({ stack: true }), redactFormat(), winston.format.timestamp(), winston.format.json());
}

/** Makes the logger of one process, writing `<dir>/<name>-YYYY-MM-DD.log`. */
export function createProcessLogger(opts: ProcessLoggerOptions): Logger {
  const file = new RotatingFileTransport({
    dir: opts.dir,
    name: opts.name,
    maxSizeMb: opts.maxSizeMb ?? CONFIG_DEFAULTS.logging.max_size_mb,
    maxFiles: opts.maxFiles ?? CONFIG_DEFAULTS.logging.max_files,
    clock: opts.clock ?? systemClock,
  });
  const transports: winston.transport[] = [file];
  if (opts.console) transports.push(new winston.transports.Console());
  return winston.createLogger({
    level: opts.level ?? CONFIG_DEFAULTS.logging.level,
    format: createLineFormat(),
    defaultMeta: { process: opts.name },
    transports,
    exitOnError: false,
  });
}

const closing = new WeakMap<Logger, Promise<void>>();

async function endAndFlush(logger: Logger): Promise<void> {
  const files = logger.transports.filter((t): t is RotatingFileTransport => t instanceof RotatingFileTransport);
  await new Promise<void>((resolve) => {
    logger.once('finish', () => resolve());
    logger.end();
  });
  await Promise.all(files.map((f) => f.closeFile()));
}

/** Ends the logger; resolves when every line logged before the call is flushed to its file (idempotent). */
export function closeLogger(logger: Logger): Promise<void> {
  let done = closing.get(logger);
  if (!done) {
    done = endAndFlush(logger);
    closing.set(logger, done);
  }
  return done;
}
