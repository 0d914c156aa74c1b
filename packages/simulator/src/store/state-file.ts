/**
 * Durable state: a snapshot (state.json, replaced by core's writeFileAtomic: temporary file, fsync, rename,
 * fsync of the folder) plus a journal (state.journal, one JSON line per change, appended and
 * fdatasync'ed before the answer that depends on it). Lines carry a sequence number; at load the
 * ones the snapshot already holds are skipped.
 *
 * Commits are pipelined group commits: the lines buffered so far are written in one write
 * (writes are serialised, so the file holds them in order), and that write's fdatasync starts at
 * once, even while an earlier fdatasync is still running (up to MAX_SYNCS_IN_FLIGHT; beyond that
 * the next batch gathers lines until one ends). An fdatasync issued after a write completed
 * makes that write durable, so a caller waits for its own batch's fdatasync (and, to keep answers
 * in order and errors visible, the earlier ones), never for a queue of later ones: one slow
 * fdatasync no longer holds every answer for the length of two.
 *
 * Compaction is off the commit path: on the write chain (between two writes, no await) the
 * journal is renamed to state.journal.old and the next write starts a fresh state.journal;
 * then the snapshot is rendered, written atomically and, once durable, state.journal.old is
 * removed. Commits keep going into the new journal meanwhile. A crash at any step leaves the
 * old snapshot + state.journal.old + state.journal, or the new snapshot + state.journal, both
 * complete: load() reads state.journal.old (when present) before state.journal.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncPathAsync, writeFileAtomic } from '@qsen/core';

/** The snapshot and journal of one simulator. */
export interface StateStorage {
  readonly statePath: string;
  readonly journalPath: string;
  /** Journal lines written since the last compaction started. */
  readonly journalLines: number;
  /** Lines buffered and not yet written. */
  readonly pendingLines: number;
  /** Reads the snapshot text (undefined when absent) and the journal's complete lines (a torn last line is dropped). */
  load(): Promise<{ snapshot: string | undefined; lines: string[] }>;
  /** Buffers one journal line (a JSON text without newline). */
  append(line: string): void;
  /** Resolves once every line buffered so far is on disk. */
  commit(): Promise<void>;
  /** Starts a new journal, writes the snapshot `render()` gives (at write time) and removes the previous journal; commits go on meanwhile. */
  compact(render: () => string): Promise<void>;
  /** Waits for everything scheduled, then releases the journal file. */
  close(): Promise<void>;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** fdatasyncs of the journal that may run at the same time (the libuv pool has 4 threads). */
export const MAX_SYNCS_IN_FLIGHT = 3;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The complete lines of a journal text (a torn last line is dropped). */
function completeLines(text: string): string[] {
  const end = text.lastIndexOf('\n');
  return end < 0 ? [] : text.slice(0, end).split('\n').filter((line) => line.length > 0);
}

/** Opens the storage of a snapshot path; the journal is `<path without .json>.journal`. */
export function createStateStorage(statePath: string): StateStorage {
  const folder = dirname(statePath);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const journalPath = `${statePath.replace(/\.json$/, '')}.journal`;
  const retiredPath = `${journalPath}.old`;
  let handle: FileHandle | undefined;
  let buffer: string[] = [];
  /** A batch not started yet: later commits join it. */
  let waiting: Promise<void> | undefined;
  /** The last write (its fdatasync not included): the next write starts after it. */
  let writes: Promise<void> = Promise.resolve();
  /** Resolves once every batch started so far is durable (rejects when one failed). */
  let durable: Promise<void> = Promise.resolve();
  let syncsInFlight = 0;
  const syncFreed: (() => void)[] = [];
  /** The compaction running (one at a time). */
  let compaction: Promise<void> | undefined;
  let journalLines = 0;

  const journal = async (): Promise<FileHandle> => {
    if (handle) return handle;
    const opened = await open(journalPath, 'a', 0o600);
    // A new journal file's name must be durable before its lines are counted as durable.
    await syncPathAsync(folder);
    handle = opened;
    return opened;
  };
  const syncSlot = async (): Promise<void> => {
    while (syncsInFlight >= MAX_SYNCS_IN_FLIGHT) await new Promise<void>((resolve) => syncFreed.push(resolve));
    syncsInFlight += 1;
  };
  const releaseSyncSlot = (): void => {
    syncsInFlight -= 1;
    syncFreed.shift()?.();
  };

  const startBatch = (): Promise<void> => {
    const previous = durable;
    const written = writes.then(async () => {
      await syncSlot();
      waiting = undefined;
      const lines = buffer;
      buffer = [];
      if (lines.length === 0) {
        releaseSyncSlot();
        return undefined;
      }
      try {
        const file = await journal();
        await file.write(lines.join(''));
        journalLines += lines.length;
        return { file, lines: lines.length };
      } catch (err) {
        releaseSyncSlot();
        throw err;
      }
    });
    writes = written.then(() => undefined, () => undefined);
    const synced = written.then(async (batch) => {
      if (batch === undefined) return;
      try {
        await batch.file.datasync();
      } finally {
        releaseSyncSlot();
      }
    });
    // Durable in order: a batch resolves after its own fdatasync and every earlier batch's.
    const done = Promise.all([previous, synced]).then(() => undefined);
    durable = done.catch(() => undefined);
    return done;
  };

  /** Renames the journal away (between two writes) so the next write starts a new one; false when a retired journal is still there. */
  const retireJournal = (): Promise<boolean> => {
    const run = writes.then(async () => {
      if (await exists(retiredPath)) return false; // an earlier compaction failed: its lines stay in the old file
      const old = handle;
      handle = undefined;
      if (await exists(journalPath)) await rename(journalPath, retiredPath);
      journalLines = 0;
      // Its fdatasyncs may still run: close it once every batch so far is durable.
      if (old) void durable.finally(() => old.close().catch(() => undefined));
      return true;
    });
    writes = run.then(() => undefined, () => undefined);
    return run;
  };

  return {
    statePath,
    journalPath,
    get journalLines() {
      return journalLines;
    },
    get pendingLines() {
      return buffer.length;
    },
    async load() {
      const snapshot = await readOptional(statePath);
      const retired = completeLines((await readOptional(retiredPath)) ?? '');
      const current = completeLines((await readOptional(journalPath)) ?? '');
      return { snapshot, lines: [...retired, ...current] };
    },
    append(line) {
      buffer.push(`${line}\n`);
    },
    commit() {
      if (waiting) return waiting;
      if (buffer.length === 0) return durable;
      const batch = startBatch();
      waiting = batch;
      return batch;
    },
    compact(render) {
      compaction ??= (async () => {
        try {
          await retireJournal();
          // Everything appended so far is in memory, hence in the snapshot rendered now; lines
          // still buffered go to the new journal and are skipped at load (their seq is not above lastSeq).
          await writeFileAtomic(statePath, render(), 0o600);
          await rm(retiredPath, { force: true });
          await syncPathAsync(folder);
        } finally {
          compaction = undefined;
        }
      })();
      return compaction;
    },
    async close() {
      await compaction?.catch(() => undefined);
      await writes;
      await durable;
      await handle?.close();
      handle = undefined;
    },
  };
}
