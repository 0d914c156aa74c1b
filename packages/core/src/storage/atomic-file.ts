/**
 * Durable file replacement, the one way every package replaces a state file (the halt marker,
 * a repaired journal, the dead man's switch, the mass-cancel journal's start, kan's restart
 * history and truncation ledger, the launcher's children record, the simulator's snapshot):
 * write a temporary file beside the target, fsync it, rename it over the target, fsync the
 * folder. Readers see the old content or the new, never half; after the call returns the new
 * content survives a power cut. A failure at any step removes the temporary file, so a full disk
 * never leaves one behind (docs/qsen.md, "Storage faults"; packages/core/test/atomic-file.test.ts).
 * The pki package, below core, keeps its own writer (it also needs never-replace writes).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let writes = 0;

/**
 * Name of a temporary file for `path`: hidden, beside it, unique per process and per write, so
 * two replacements of one file under way at once (async) never write into the same temporary file.
 */
export function temporaryFileFor(path: string): string {
  writes += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${writes}.tmp`);
}

/** Writes every byte (writeSync may write fewer on a filling disk; the next call then throws ENOSPC). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

const bytesOf = (content: string | Buffer): Buffer => (typeof content === 'string' ? Buffer.from(content, 'utf8') : content);

/** fsyncs a file or a folder by path. */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a file or a folder by path, without blocking the event loop. */
export async function syncPathAsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `content` atomically and durably; throws (leaving no temporary file) when it cannot. */
export function writeFileAtomicSync(path: string, content: string | Buffer, mode = 0o640): void {
  const temp = temporaryFileFor(path);
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      writeAll(fd, bytesOf(content));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
  syncPath(dirname(path));
}

/** writeFileAtomicSync without blocking the event loop (the same steps, the same guarantees). */
export async function writeFileAtomic(path: string, content: string | Buffer, mode = 0o640): Promise<void> {
  const temp = temporaryFileFor(path);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(bytesOf(content));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncPathAsync(dirname(path));
}
