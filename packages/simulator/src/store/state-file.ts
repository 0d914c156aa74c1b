/**
 * Durable state: a snapshot (state.json, replaced atomically: temporary file, fsync, rename,
 * fsync of the folder) plus a journal (state.journal, one JSON line per change, appended and
 * fdatasync'ed before the answer that depends on it). Appends are group-committed: callers
 * that arrive while a write runs share the next one. Compaction writes a new snapshot and
 * empties the journal; lines carry a sequence number so a journal left behind by a crash
 * between the two steps is not applied twice.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The snapshot and journal of one simulator. */
export interface StateStorage {
  readonly statePath: string;
  readonly journalPath: string;
  /** Journal lines written since the last compaction. */
  readonly journalLines: number;
  /** Lines buffered and not yet written. */
  readonly pendingLines: number;
  /** Reads the snapshot text (undefined when absent) and the journal's complete lines (a torn last line is dropped). */
  load(): Promise<{ snapshot: string | undefined; lines: string[] }>;
  /** Buffers one journal line (a JSON text without newline). */
  append(line: string): void;
  /** Resolves once every line buffered so far is on disk. */
  commit(): Promise<void>;
  /** Writes the snapshot `render()` gives (at write time) and empties the journal. */
  compact(render: () => string): Promise<void>;
  /** Waits for everything scheduled, then releases the journal file. */
  close(): Promise<void>;
}

/** Writes a file atomically: tmp + fsync + rename + fsync of the folder. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }); // a full disk must not leave temporary files behind
    throw err;
  }
  await syncFolder(dirname(path));
}

async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Opens the storage of a snapshot path; the journal is `<path without .json>.journal`. */
export function createStateStorage(statePath: string): StateStorage {
  mkdirSync(dirname(statePath), { recursive: true, mode: 0o700 });
  const journalPath = `${statePath.replace(/\.json$/, '')}.journal`;
  let handle: FileHandle | undefined;
  let buffer: string[] = [];
  let scheduled: Promise<void> | undefined;
  let tail: Promise<void> = Promise.resolve();
  let journalLines = 0;

  const schedule = (task: () => Promise<void>): Promise<void> => {
    const run = tail.then(task);
    tail = run.catch(() => undefined);
    return run;
  };
  const journal = async (): Promise<FileHandle> => {
    handle ??= await open(journalPath, 'a', 0o600);
    return handle;
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
      const text = (await readOptional(journalPath)) ?? '';
      const end = text.lastIndexOf('\n');
      const lines = end < 0 ? [] : text.slice(0, end).split('\n').filter((line) => line.length > 0);
      return { snapshot, lines };
    },
    append(line) {
      buffer.push(`${line}\n`);
    },
    commit() {
      if (scheduled) return scheduled;
      if (buffer.length === 0) return tail;
      const flush = schedule(async () => {
        scheduled = undefined;
        const lines = buffer;
        buffer = [];
        if (lines.length === 0) return;
        const file = await journal();
        await file.write(lines.join(''));
        await file.datasync();
        journalLines += lines.length;
      });
      scheduled = flush;
      return flush;
    },
    compact(render) {
      return schedule(async () => {
        // Everything buffered is in memory, hence in the snapshot rendered right now.
        buffer = [];
        const text = render();
        await writeFileAtomic(statePath, text);
        await handle?.close();
        handle = undefined;
        const emptied = await open(journalPath, 'w', 0o600);
        try {
          await emptied.sync();
        } finally {
          await emptied.close();
        }
        journalLines = 0;
      });
    },
    async close() {
      await tail;
      await handle?.close();
      handle = undefined;
    },
  };
}
