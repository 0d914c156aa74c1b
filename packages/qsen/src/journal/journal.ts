/**
 * The durable, append-only order journal. `appendDurable` resolves only once the record is on
 * disk (fdatasync); concurrent appends share one write and one fdatasync (group commit): while a
 * flush runs, new records queue up and go out together in the next one. `append` queues a record
 * that is written in order but not fsynced on its own (it becomes durable with the next durable
 * batch or at flush/close); it is for records whose loss reconciliation repairs.
 */
import { open, mkdir, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { encodeRecord, scanJournal, type JournalRecord } from './records.js';

/** Raised at open when a record before the last one is damaged: the journal cannot be trusted. */
export class JournalCorruptError extends Error {
  constructor(readonly file: string, readonly lines: readonly number[]) {
    super(`journal ${file} is corrupt at line(s) ${lines.join(', ')}; refusing to start (inspect or move the file)`);
    this.name = 'JournalCorruptError';
  }
}

/** Raised to appenders after a write or fsync failed: nothing more is accepted. */
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

/** An open journal. */
export interface Journal {
  /** Appends and resolves once the record is durable. */
  appendDurable(record: JournalRecord): Promise<void>;
  /** Appends without waiting for durability (errors surface on later durable appends). */
  append(record: JournalRecord): void;
  /** Waits for everything queued to be durable. */
  flush(): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
  /** Counters since open. */
  figures(): JournalFigures;
}

/** What opening found on disk. */
export interface OpenedJournal {
  readonly journal: Journal;
  /** Every valid record, oldest first. */
  readonly records: JournalRecord[];
  /** Bytes of a torn last record that were cut off (0 when the tail was clean). */
  readonly tornBytes: number;
}

interface Pending {
  buffer: Buffer;
  /** The appender waits for fdatasync (lazy records are only written). */
  durable: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Opens (creating when absent) the journal file, reads it, cuts a torn tail, and returns it ready to append. */
export async function openJournal(file: string): Promise<OpenedJournal> {
  await mkdir(dirname(file), { recursive: true });
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    bytes = Buffer.alloc(0);
  }
  const scan = scanJournal(bytes);
  if (scan.corruptLines.length > 0) throw new JournalCorruptError(file, scan.corruptLines);
  if (scan.tornBytes > 0) await truncate(file, scan.validBytes);
  const handle = await open(file, 'a', 0o640);
  await handle.datasync();
  return { journal: createJournal(handle), records: scan.records, tornBytes: scan.tornBytes };
}

function createJournal(handle: FileHandle): Journal {
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let failure: JournalFailedError | undefined;
  let closed = false;
  const figures: JournalFigures = { records: 0, flushes: 0, bytes: 0 };

  async function writeAll(buffer: Buffer): Promise<void> {
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        if (failure) throw failure;
        const buffer = batch.length === 1 ? batch[0]!.buffer : Buffer.concat(batch.map((p) => p.buffer));
        await writeAll(buffer);
        if (batch.some((p) => p.durable)) {
          await handle.datasync();
          figures.flushes += 1;
        }
        figures.records += batch.length;
        figures.bytes += buffer.length;
        for (const p of batch) p.resolve();
      } catch (err) {
        failure ??= err instanceof JournalFailedError ? err : new JournalFailedError(err);
        for (const p of batch) p.reject(failure);
      }
    }
  }

  function enqueue(record: JournalRecord, durable: boolean): Promise<void> {
    if (closed) return Promise.reject(new JournalFailedError('journal closed'));
    if (failure) return Promise.reject(failure);
    const promise = new Promise<void>((resolve, reject) => queue.push({ buffer: encodeRecord(record), durable, resolve, reject }));
    if (!flushing) {
      flushing = (async () => {
        // Let the current tick's appends join this batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await drain();
      })().finally(() => {
        flushing = undefined;
        if (queue.length > 0) void enqueueFlushOnly();
      });
    }
    return promise;
  }

  function enqueueFlushOnly(): Promise<void> {
    if (!flushing) flushing = drain().finally(() => { flushing = undefined; });
    return flushing;
  }

  return {
    appendDurable: (record) => enqueue(record, true),
    append(record) {
      enqueue(record, false).catch(() => { /* surfaced through later durable appends */ });
    },
    async flush() {
      while (flushing || queue.length > 0) await (flushing ?? enqueueFlushOnly());
      if (!failure && !closed) await handle.datasync();
    },
    async close() {
      if (closed) return;
      await this.flush();
      closed = true;
      await handle.close();
    },
    figures: () => ({ ...figures }),
  };
}
