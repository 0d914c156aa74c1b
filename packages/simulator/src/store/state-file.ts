/**
 * Durable state.json: every save writes the whole snapshot to a temporary file, fsyncs it,
 * renames it over the old one and fsyncs the folder, so a crash leaves either the old or the
 * new state. Saves are group-committed: callers that arrive while a write is running share
 * the next write, and each caller's promise resolves only once its changes are on disk.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A state file with group-committed atomic saves. */
export interface StateFile {
  readonly path: string;
  /** Reads the file's text; undefined when it does not exist. */
  read(): Promise<string | undefined>;
  /** Saves the text `render()` gives at write time; resolves when it is durable. */
  save(render: () => string): Promise<void>;
  /** Waits for any write in progress or scheduled. */
  flush(): Promise<void>;
}

/** Writes a file atomically: tmp + fsync + rename + fsync of the folder. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Creates the state file at `path` (its folder is created when missing). */
export function createStateFile(path: string): StateFile {
  mkdirSync(dirname(path), { recursive: true });
  let running: Promise<void> | undefined;
  let pending: { promise: Promise<void>; render: () => string } | undefined;

  const runPending = (): Promise<void> => {
    const next = pending;
    pending = undefined;
    if (!next) return Promise.resolve();
    return writeFileAtomic(path, next.render());
  };

  return {
    path,
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    save(render) {
      if (pending) {
        pending.render = render;
        return pending.promise;
      }
      const slot: { promise: Promise<void>; render: () => string } = { promise: Promise.resolve(), render };
      const previous = running ?? Promise.resolve();
      slot.promise = previous.catch(() => undefined).then(() => {
        const write = runPending();
        running = write;
        return write.finally(() => {
          if (running === write) running = undefined;
        });
      });
      pending = slot;
      return slot.promise;
    },
    async flush() {
      while (running || pending) {
        await (pending?.promise ?? running)?.catch(() => undefined);
      }
    },
  };
}
