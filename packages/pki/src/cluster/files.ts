import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, copyFileSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PkiError } from '../errors.js';

/** File modes of the cluster layout. */
export const MODES = { privateFile: 0o600, publicFile: 0o644, privateDir: 0o700, homeDir: 0o750 } as const;

/** Writes every byte (writeSync may write fewer on a filling disk; the next call then throws ENOSPC). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Makes a rename or link in `dir` durable: without it a power cut may bring back the old name. */
function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeTemp(path: string, content: string | Buffer, mode: number): string {
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    try {
      writeAll(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temp, mode); // the umask may have narrowed it; set it exactly
  } catch (err) {
    rmSync(temp, { force: true }); // a full disk must not leave temporary files behind
    throw err;
  }
  return temp;
}

/** Writes a file that must not exist yet, atomically (temp file + hard link); ALREADY_EXISTS if it does. */
export function writeNewFile(path: string, content: string | Buffer, mode: number): void {
  const temp = writeTemp(path, content, mode);
  try {
    try {
      linkSync(temp, path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Filesystems without hard links: an exclusive copy still never replaces anything.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') copyFileSync(temp, path, constants.COPYFILE_EXCL);
      else throw err;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PkiError('ALREADY_EXISTS', `${path} already exists and is never replaced`, { cause: err });
    throw err;
  } finally {
    unlinkSync(temp);
  }
  syncFolder(dirname(path));
}

/** Replaces a file atomically and durably (temp file + fsync + rename + fsync of the folder); for records that change (CRL, revocation list). */
export function replaceFile(path: string, content: string | Buffer, mode: number): void {
  const temp = writeTemp(path, content, mode);
  try {
    renameSync(temp, path);
  } catch (err) {
    unlinkSync(temp);
    throw err;
  }
  syncFolder(dirname(path));
}

/** Creates a folder (and its parents) with `mode` when it is missing; an existing folder is left as it is. */
export function ensureDir(path: string, mode: number): void {
  if (existsSync(path)) return;
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
}

/** Reads a UTF-8 file, or undefined when it does not exist. */
export function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads a UTF-8 file that must exist; NOT_FOUND otherwise. */
export function readRequired(path: string, what: string): string {
  const text = readOptional(path);
  if (text === undefined) throw new PkiError('NOT_FOUND', `${what} not found at ${path}`);
  return text;
}
