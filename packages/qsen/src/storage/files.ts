/**
 * Durable file writes qsen's data folder needs (the halt marker, a repaired journal): write a
 * temporary file, fsync it, rename it over the target, fsync the folder. A failure at any step
 * removes the temporary file, so none is ever left behind (docs/qsen.md, "Storage faults").
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes every byte (writeSync may write fewer on a filling disk; the next call then throws ENOSPC). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** fsyncs a file or a folder by path. */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `content` atomically and durably; throws (leaving no temporary file) when it cannot. */
export function writeFileAtomicSync(path: string, content: string | Buffer, mode = 0o640): void {
  const temp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      writeAll(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
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
