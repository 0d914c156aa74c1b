/**
 * A winston transport writing JSON lines to `<dir>/<name>-YYYY-MM-DD.log` through
 * winston-daily-rotate-file, that never crashes the process: stream errors and synchronous
 * throws are counted and reported, lines are dropped while the file is broken, and the file
 * is reopened on the next line after REOPEN_AFTER_MS.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import TransportStream from 'winston-transport';
import DailyRotateFile from 'winston-daily-rotate-file';
import type { Clock } from '../schedule/clock.js';
import { recordLoggingFailure } from './failures.js';

/** Folder (inside the log folder) holding the rotation bookkeeping files, hidden from listings. */
export const ROTATION_DIR = '.rotation';

/** A broken log file is reopened on the first line logged at least this long after the failure. */
export const REOPEN_AFTER_MS = 5_000;

/** Where and how one rotating log file is written. */
export interface RotatingFileOptions {
  readonly dir: string;
  readonly name: string;
  readonly maxSizeMb: number;
  readonly maxFiles: number;
  readonly clock: Clock;
}

/** The rotator's stream, as far as this transport uses it. */
interface RotatorStream {
  on(event: 'error', listener: (err: unknown) => void): unknown;
  on(event: 'rotate' | 'finish', listener: () => void): unknown;
  end(callback?: () => void): unknown;
}

/** Longest wait of closeFile() for the files a rotation left behind to flush. */
export const CLOSE_FLUSH_BOUND_MS = 5_000;

/**
 * Counts the file streams behind one rotator: on a rotation file-stream-rotator ends the old
 * file's stream without waiting for it, and every stream's 'finish' is re-emitted on the
 * rotator's stream. All lines are on disk once as many streams finished as were opened.
 */
interface StreamLedger {
  /** Resolves once every opened file stream finished, or after `boundMs`. */
  allFinished(boundMs: number): Promise<void>;
}

/** Starts counting the file streams of a rotator's stream. */
function watchStreams(stream: RotatorStream): StreamLedger {
  let opened = 1;
  let finished = 0;
  const waiters: Array<() => void> = [];
  stream.on('rotate', () => {
    opened += 1;
  });
  stream.on('finish', () => {
    finished += 1;
    if (finished >= opened) for (const w of waiters.splice(0)) w();
  });
  return {
    allFinished(boundMs) {
      if (finished >= opened) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, boundMs);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

/** The rotating-file transport (one per process log and one for the audit log). */
export class RotatingFileTransport extends TransportStream {
  private readonly opts: RotatingFileOptions;
  private inner: DailyRotateFile | undefined;
  private ledger: StreamLedger | undefined;
  private brokenAt: number | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: RotatingFileOptions) {
    super({});
    this.opts = opts;
    this.open();
  }

  private describe(): string {
    return `the ${this.opts.name} log in ${this.opts.dir}`;
  }

  private fail(err: unknown): void {
    if (this.brokenAt === undefined) this.brokenAt = this.opts.clock.now();
    const broken = this.inner;
    this.inner = undefined;
    if (broken) {
      try {
        (broken.logStream as unknown as RotatorStream).end();
      } catch {
        // already unusable
      }
    }
    recordLoggingFailure(this.describe(), err, this.opts.clock);
  }

  private open(): void {
    try {
      mkdirSync(join(this.opts.dir, ROTATION_DIR), { recursive: true });
      const inner = new DailyRotateFile({
        dirname: this.opts.dir,
        filename: `${this.opts.name}-%DATE%`,
        extension: '.log',
        datePattern: 'YYYY-MM-DD',
        maxSize: `${this.opts.maxSizeMb}m`,
        maxFiles: this.opts.maxFiles,
        auditFile: join(this.opts.dir, ROTATION_DIR, `${this.opts.name}.json`),
        eol: '\n',
      });
      (inner.logStream as unknown as RotatorStream).on('error', (err) => {
        if (this.inner === inner) this.fail(err);
      });
      this.ledger = watchStreams(inner.logStream as unknown as RotatorStream);
      this.inner = inner;
      this.brokenAt = undefined;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Writes one formatted line (winston calls this). */
  override log(info: unknown, next: () => void): void {
    if (this.closing) return next();
    if (!this.inner && this.brokenAt !== undefined && this.opts.clock.now() - this.brokenAt >= REOPEN_AFTER_MS) this.open();
    const inner = this.inner;
    if (inner) {
      try {
        inner.log?.(info, () => undefined);
      } catch (err) {
        this.fail(err);
      }
    }
    next();
  }

  /**
   * Ends the file stream; resolves once every written line is flushed to its file, the files
   * rotated away from included (bounded by CLOSE_FLUSH_BOUND_MS; idempotent).
   */
  closeFile(): Promise<void> {
    if (!this.closing) {
      const inner = this.inner;
      const ledger = this.ledger;
      this.inner = undefined;
      this.closing = new Promise<void>((resolve) => {
        if (!inner) return resolve();
        try {
          (inner.logStream as unknown as RotatorStream).end(() => undefined);
        } catch {
          return resolve();
        }
        void (ledger ? ledger.allFinished(CLOSE_FLUSH_BOUND_MS) : Promise.resolve()).then(resolve);
      });
    }
    return this.closing;
  }

  /** Called by winston when the transport is removed or the logger closes. */
  override close(): void {
    void this.closeFile();
  }
}
