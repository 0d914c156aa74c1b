/**
 * Watches a few small files for content changes in every setting QSen runs in. fs.watch on their
 * folders reacts within milliseconds; a poll that hashes the contents every `intervalMs` catches
 * what inotify misses (a watch that could not be set up, read-only or bind-mounted paths under
 * systemd's ProtectSystem/ReadOnlyPaths, files replaced by rename, symlink swaps, copies that keep
 * size and mtime). `onChange` runs once per change of the combined contents, never for a touch.
 */
import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/** Options of `watchFileContents`. */
export interface FileWatchOptions {
  /** Poll period (the upper bound on how late a change is seen). */
  readonly intervalMs: number;
  /** Delay after a file-system event before the contents are compared (lets a writer finish). */
  readonly settleMs: number;
  /** Told once when fs.watch cannot watch a folder (the poll still runs). */
  readonly onWatchError?: (folder: string, error: Error) => void;
}

/** A running watch. */
export interface FileWatch {
  /** Compares the contents now (what the poll does); true when they changed and onChange ran. */
  check(): boolean;
  /** Stops the poll and the folder watches. */
  close(): void;
}

/** Read errors that say nothing about the file (the process is out of descriptors): the comparison waits for the next poll. */
const TRANSIENT_READ_ERRORS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EINTR']);

/** True for an error of a read that may well succeed on the next try (out of file descriptors). */
export function isTransientReadError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_READ_ERRORS.has(code);
}

/**
 * The SHA-256 of the files' contents in order; a file that cannot be read counts by its error code
 * (a missing file is a change). Undefined when a read failed for a transient reason.
 */
export function fingerprintFiles(paths: readonly string[]): string | undefined {
  const hash = createHash('sha256');
  for (const path of paths) {
    try {
      const content = readFileSync(path);
      hash.update(`${content.length}:`).update(content);
    } catch (err) {
      if (isTransientReadError(err)) return undefined;
      hash.update(`unreadable:${(err as NodeJS.ErrnoException).code ?? 'ERROR'}`);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Starts watching `paths`; `onChange` runs when their contents differ from the last ones seen.
 * When it returns false (it could not act on the change for a transient reason) the same
 * contents count as new again at the next poll.
 */
export function watchFileContents(paths: readonly string[], onChange: () => boolean | void, opts: FileWatchOptions): FileWatch {
  let seen = fingerprintFiles(paths);
  let settle: NodeJS.Timeout | undefined;
  const check = (): boolean => {
    const now = fingerprintFiles(paths);
    if (now === undefined || now === seen) return false;
    const previous = seen;
    seen = now;
    if (onChange() === false) seen = previous;
    return true;
  };
  const poll = setInterval(check, opts.intervalMs);
  poll.unref();
  const onEvent = (): void => {
    if (settle) return;
    settle = setTimeout(() => {
      settle = undefined;
      check();
    }, opts.settleMs);
    settle.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const folder of new Set(paths.map((path) => dirname(path)))) {
    try {
      const watcher = watch(folder, { persistent: false }, onEvent);
      watcher.on('error', (err) => {
        opts.onWatchError?.(folder, err);
        watcher.close();
      });
      watchers.push(watcher);
    } catch (err) {
      opts.onWatchError?.(folder, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return {
    check,
    close() {
      clearInterval(poll);
      if (settle) clearTimeout(settle);
      for (const watcher of watchers.splice(0)) watcher.close();
    },
  };
}
