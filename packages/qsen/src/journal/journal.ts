/**
 * The durable, append-only order journal. `appendDurable` resolves only once the record is on
 * disk (fdatasync); concurrent appends share one write and one fdatasync (group commit): while a
 * flush runs, new records queue up and go out together in the next one. `append` queues a record
 * that is written in order but not fsynced on its own (it becomes durable with the next durable
 * batch or at flush/close); it is for records whose loss reconciliation repairs.
 *
 * A failed write or fdatasync is not sticky (docs/qsen.md, "Storage faults"): the file is cut back
 * to its last good length (ftruncate needs no free space), the durable appenders of that batch are
 * refused, its lazy records go back to the head of the queue, and the journal reports itself not
 * writable. The next append tries again, and so does a timer every `retryMs`; the first write that
 * succeeds makes it writable again.
 *
 * Beside the journal, `<file>.durable` holds the length qsen last made durable (rewritten in
 * place after every fdatasync, never fsynced itself, so it can only lag behind). A journal shorter
 * than that length lost records that were once on disk: that is damage, not a torn write, and
 * opening refuses (JournalTruncatedError).
 */
import { writeSync } from 'node:fs';
import { open, mkdir, readFile, statfs, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Uint64 } from '@qsen/core/ids';
import { systemClock, type Clock } from '@qsen/core/schedule';
import { encodeRecord, scanJournal, type DamagedLine, type JournalRecord, type JournalScan } from './records.js';

/** File name of the journal inside `[paths] data`. */
export const JOURNAL_FILE = 'journal.log';

/** Raised at open when a damaged record before the last one does not show its order id: the journal cannot be trusted. */
export class JournalCorruptError extends Error {
  constructor(readonly file: string, readonly lines: readonly number[]) {
    super(`journal ${file} is corrupt at line(s) ${lines.join(', ')}: no order id can be read there; refusing to start (run "qsen-admin journal check", docs/qsen.md "Repairing the journal")`);
    this.name = 'JournalCorruptError';
  }
}

/** Raised at open when the journal is shorter than the length qsen last made durable: records were lost. */
export class JournalTruncatedError extends Error {
  constructor(readonly file: string, readonly bytes: number, readonly durableBytes: number) {
    super(`journal ${file} has ${bytes} bytes but ${durableBytes} were once durable: records were cut off; refusing to start (run "qsen-admin journal check", docs/qsen.md "Repairing the journal")`);
    this.name = 'JournalTruncatedError';
  }
}

/** File that holds the journal's last durable length, beside the journal. */
export function durableLengthFile(file: string): string {
  return `${file}.durable`;
}

/** Reads the last durable length written beside a journal (0 when absent or unreadable). */
export async function readDurableLength(file: string): Promise<number> {
  try {
    const text = (await readFile(durableLengthFile(file), 'utf8')).trim();
    return /^[0-9]{1,20}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : 0;
  } catch {
    return 0;
  }
}

/** Bytes of the durable-length file's text (20 digits and a newline). */
const DURABLE_LENGTH_BYTES = 21;

/** The fixed-width text of a durable length (rewritten in place: no new block, no temporary file). */
export function encodeDurableLength(bytes: number): Buffer {
  return Buffer.from(`${String(bytes).padStart(20, '0')}\n`, 'utf8');
}

/** Raised to appenders while the journal cannot be written (or after close). */
export class JournalFailedError extends Error {
  constructor(cause: unknown) {
    super('the journal could not be written', { cause });
    this.name = 'JournalFailedError';
  }
}

/** Flush counters, for status and the benchmark (records per fsync shows group commit at work). */
export interface JournalFigures {
  records: number;
  /** fdatasync calls (group commits). */
  flushes: number;
  bytes: number;
}

/** Whether the journal can be written now. */
export interface JournalHealth {
  readonly writable: boolean;
  /** Since when it cannot be written (ISO), and the error code of the last failure (ENOSPC, EIO, ...). */
  readonly since?: string;
  readonly code?: string;
  /** Write failures since open. */
  readonly failures: number;
}

/** An open journal. */
export interface Journal {
  /** Appends and resolves once the record is durable. */
  appendDurable(record: JournalRecord): Promise<void>;
  /** Appends without waiting for durability (kept queued and retried while the disk refuses it). */
  append(record: JournalRecord): void;
  /** Waits for everything queued to be durable (rejects while the journal cannot be written). */
  flush(): Promise<void>;
  /** Flushes (best effort) and closes the file. */
  close(): Promise<void>;
  /** Counters since open. */
  figures(): JournalFigures;
  /** Writable now, or since when not and why. */
  health(): JournalHealth;
}

/** What opening found on disk. */
export interface OpenedJournal {
  readonly journal: Journal;
  /** Every intact record, oldest first (empty when `onRecord` received them). */
  readonly records: JournalRecord[];
  /** Bytes of a torn last record that were cut off (0 when the tail was clean). */
  readonly tornBytes: number;
  /** Order ids read in the torn tail; a `damaged` record was journaled for each. */
  readonly tornIds: Uint64[];
  /** Damaged lines before the last one whose order id could be read (the order is possibly forwarded). */
  readonly damaged: DamagedLine[];
}

/** How the journal behaves on write failures. */
export interface JournalOptions {
  /** Interval of the retries while the journal cannot be written (default 1000 ms). */
  readonly retryMs?: number;
  /** The clock of `health().since` and of the damaged records' times (default: the system clock). */
  readonly clock?: Clock;
  /**
   * Receives each intact record as it is read, oldest first; `OpenedJournal.records` is then
   * empty. qsen builds its order book this way, so a start never holds every record at once.
   * A journal that open refuses may already have passed records to it.
   */
  readonly onRecord?: (record: JournalRecord) => void;
}

interface Pending {
  buffer: Buffer;
  /** The appender waits for fdatasync (lazy records are only written). */
  durable: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What the bytes of a journal and its durable length come to (pure; shared by open and `qsen-admin journal check`). */
export interface JournalAssessment {
  readonly scan: JournalScan;
  readonly durableBytes: number;
  /** Shorter than its durable length: records once on disk were cut off (refuse to start). */
  readonly truncated: boolean;
  /** Damaged lines whose order id cannot be read, the last line too when it lies inside the durable length (refuse to start). */
  readonly corruptLines: number[];
}

/** Assesses journal bytes against the durable length last recorded beside them (records to `onRecord` when given, as scanJournal). */
export function assessJournal(bytes: Buffer, durableBytes: number, onRecord?: (record: JournalRecord) => void): JournalAssessment {
  const scan = scanJournal(bytes, onRecord);
  // A bad last line inside the durable length is damage, not a torn write: without an id, refuse.
  const tailIsDamage = scan.tornBytes > 0 && scan.validBytes < durableBytes && scan.tornIds.length === 0;
  return { scan, durableBytes, truncated: bytes.length < durableBytes, corruptLines: [...scan.corruptLines, ...(tailIsDamage ? [scan.tornLine] : [])] };
}

/** Opens (creating when absent) the journal file, reads it, cuts a torn tail, and returns it ready to append. */
export async function openJournal(file: string, options: JournalOptions = {}): Promise<OpenedJournal> {
  await mkdir(dirname(file), { recursive: true });
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    bytes = Buffer.alloc(0);
  }
  const durableBytes = await readDurableLength(file);
  const { scan, corruptLines, truncated } = assessJournal(bytes, durableBytes, options.onRecord);
  if (truncated) throw new JournalTruncatedError(file, bytes.length, durableBytes);
  if (corruptLines.length > 0) throw new JournalCorruptError(file, corruptLines);
  if (scan.tornBytes > 0) await truncate(file, scan.validBytes);
  const handle = await open(file, 'a', 0o640);
  await handle.datasync();
  const sidecar = await openSidecar(durableLengthFile(file));
  await sidecar?.write(encodeDurableLength(scan.validBytes), 0, undefined, 0).catch(() => undefined);
  const journal = createJournal(handle, sidecar, dirname(file), scan.validBytes, options);
  // The torn tail is cut off, so what it showed is written down again before anything else.
  const at = new Date((options.clock ?? systemClock).now()).toISOString();
  await Promise.all(scan.tornIds.map((id) => journal.appendDurable({ type: 'damaged', id, at })));
  return { journal, records: scan.records, tornBytes: scan.tornBytes, tornIds: scan.tornIds, damaged: scan.damaged.filter((d) => d.id !== undefined) };
}

/** Opens the durable-length file for rewriting in place (no truncation: a full disk must not stop it); undefined when it cannot be created. */
async function openSidecar(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  try {
    return await open(path, 'w', 0o640);
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string {
  const cause = err instanceof JournalFailedError ? err.cause : err;
  return typeof (cause as NodeJS.ErrnoException | undefined)?.code === 'string' ? String((cause as NodeJS.ErrnoException).code) : 'EIO';
}

/** What a lazy record's appender is told: nothing, nobody waits for it. */
const ignore = (): void => undefined;

/** Free space the retry timer wants to see before it calls an idle journal writable again. */
const PROBE_FREE_BYTES = 64 * 1024;

function createJournal(handle: FileHandle, sidecar: FileHandle | undefined, dir: string, initialSize: number, options: JournalOptions): Journal {
  const retryMs = options.retryMs ?? 1000;
  const clock = options.clock ?? systemClock;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;
  /** Length of the file up to the last record known written. */
  let size = initialSize;
  let unwritable: { since: string; code: string } | undefined;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const figures: JournalFigures = { records: 0, flushes: 0, bytes: 0 };

  /** Records the length just made durable (best effort: a stale value only weakens the truncation check). */
  // The two writes are synchronous: a write(2) of a batch into the page cache takes microseconds,
  // while a trip through the libuv pool costs a thread wake-up each (on a busy 2-core machine about
  // 5 % of qsen's CPU per order, bench/RESULTS.md issue 17). The fdatasync stays asynchronous.
  function noteDurable(length: number): void {
    if (sidecar === undefined) return;
    try {
      writeSync(sidecar.fd, encodeDurableLength(length), 0, DURABLE_LENGTH_BYTES, 0);
    } catch {
      // the next fdatasync rewrites it
    }
  }

  function writeAll(buffer: Buffer): void {
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(handle.fd, buffer, offset, buffer.length - offset);
  }

  function scheduleRetry(): void {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (closed || !unwritable) return;
      // Queued lazy records are rewritten; with nothing queued, the probe is the free space
      // (a write needs at least a few blocks) and an fdatasync.
      void kick().then(async () => {
        if (!unwritable || closed) return;
        if (queue.length === 0) {
          try {
            const fs = await statfs(dir);
            if (fs.bavail * fs.bsize < PROBE_FREE_BYTES) throw new Error('ENOSPC');
            await alone(() => handle.datasync());
            unwritable = undefined;
            return;
          } catch {
            // still not writable
          }
        }
        scheduleRetry();
      });
    }, retryMs);
    retryTimer.unref();
  }

  async function fail(batch: Pending[], err: unknown): Promise<void> {
    failures += 1;
    unwritable ??= { since: new Date(clock.now()).toISOString(), code: errorCode(err) };
    // Cut back whatever part of the batch reached the file: the next write starts on a clean line.
    try {
      await handle.truncate(size);
    } catch {
      // the next successful write is preceded by another truncate attempt
    }
    const failure = new JournalFailedError(err);
    const lazy = batch.filter((p) => !p.durable);
    for (const p of batch) if (p.durable) p.reject(failure);
    queue = [...lazy, ...queue];
    scheduleRetry();
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const batch = queue;
      queue = [];
      try {
        const buffer = batch.length === 1 ? batch[0]!.buffer : Buffer.concat(batch.map((p) => p.buffer));
        if (unwritable) await handle.truncate(size);
        writeAll(buffer);
        const sync = batch.some((p) => p.durable) || unwritable !== undefined;
        if (sync) {
          await handle.datasync();
          figures.flushes += 1;
        }
        size += buffer.length;
        unwritable = undefined;
        figures.records += batch.length;
        figures.bytes += buffer.length;
        // Durable now: answer first, then note the length (best effort, it may only lag behind).
        for (const p of batch) p.resolve();
        if (sync) noteDurable(size);
      } catch (err) {
        await fail(batch, err);
        // Lazy records stay queued for the retry timer; stop this drain.
        return;
      }
    }
  }

  function kick(): Promise<void> {
    if (!flushing) {
      flushing = (async () => {
        // Let the current tick's appends join this batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await drain();
      })().finally(() => {
        flushing = undefined;
        if (queue.some((p) => p.durable)) void kick();
      });
    }
    return flushing;
  }

  /**
   * Runs an fdatasync outside a drain (flush's, the retry probe's) as the one operation in flight
   * on the file: with two fdatasyncs at once, a writeback error reaches only one of them, and the
   * other could call a batch durable that was not (docs/qsen.md "Durability").
   */
  async function alone(sync: () => Promise<void>): Promise<void> {
    while (flushing) await flushing;
    const run = sync();
    flushing = run.then(ignore, ignore).finally(() => {
      flushing = undefined;
      // What was appended meanwhile waited for this call: drain it now.
      if (queue.some((p) => p.durable) || (queue.length > 0 && !unwritable)) void kick();
    });
    return run;
  }

  return {
    appendDurable(record) {
      if (closed) return Promise.reject(new JournalFailedError('journal closed'));
      const promise = new Promise<void>((resolve, reject) => queue.push({ buffer: encodeRecord(record), durable: true, resolve, reject }));
      void kick();
      return promise;
    },
    append(record) {
      // Lazy: nobody waits, so no promise (two of the three records of an order are lazy); it is
      // kept queued while the disk refuses it, and dropped only by close().
      if (closed) return;
      queue.push({ buffer: encodeRecord(record), durable: false, resolve: ignore, reject: ignore });
      void kick();
    },
    async flush() {
      while (!closed && (flushing || queue.length > 0)) {
        await (flushing ?? kick());
        if (unwritable) throw new JournalFailedError(unwritable.code);
      }
      if (!closed) {
        await alone(async () => {
          // A drain that ran while this call waited may have failed: that is this flush's failure too.
          if (unwritable) throw new JournalFailedError(unwritable.code);
          // Only what was written before this fdatasync is known durable by it.
          const written = size;
          await handle.datasync();
          noteDurable(written);
        });
      }
    },
    async close() {
      if (closed) return;
      try {
        await this.flush();
      } catch {
        // best effort: what could not be written is repaired by reconciliation at the next start
      }
      closed = true;
      clearTimeout(retryTimer);
      for (const p of queue) p.reject(new JournalFailedError('journal closed'));
      queue = [];
      await handle.close();
      await sidecar?.close();
    },
    figures: () => ({ ...figures }),
    health: () => (closed
      ? { writable: false, code: 'CLOSED', failures, ...(unwritable ? { since: unwritable.since } : {}) }
      : unwritable ? { writable: false, since: unwritable.since, code: unwritable.code, failures } : { writable: true, failures }),
  };
}
