/**
 * Log names: a NAME is accepted only when it is, byte for byte, a regular file of the log
 * folder's own listing. Syntax first (no separators, no dot-files, no encoded characters), then
 * the listing (symlinks, folders and anything else are not in it).
 */
import { constants, type Dirent } from 'node:fs';
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIT_FILE_PREFIX } from '@qsen/core/logging';
import { kanErrors } from '../errors.js';

/** One entry of the log list. */
export interface LogEntry {
  readonly name: string;
  readonly size: number;
  /** ISO time of the last modification. */
  readonly modified: string;
}

/**
 * Tells whether a log file may never be truncated or removed through the API (pure): the audit
 * files, which core's audit writer names `audit-<chain>-YYYY-MM-DD.log` (AUDIT_FILE_PREFIX, the
 * one declaration of the prefix). A test writes a real audit trail and checks its file is protected.
 */
export function isProtectedLogName(name: string): boolean {
  return name.startsWith(AUDIT_FILE_PREFIX);
}

/** Checks the syntax of a log name (pure): a plain, visible file name. */
export function isPlainLogName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name.startsWith('.')) return false;
  // Separators, NUL, control characters, and '%' (an encoded separator decoded once more is still refused).
  if (/[/\\%]/.test(name)) return false;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/** Lists the log folder: regular files only, no dot-files, sorted by name. */
export async function listLogs(dir: string): Promise<LogEntry[]> {
  const entries = await readLogDirents(dir);
  const out: LogEntry[] = [];
  for (const entry of entries) {
    try {
      const st = await lstat(join(dir, entry.name));
      if (st.isFile()) out.push({ name: entry.name, size: st.size, modified: st.mtime.toISOString() });
    } catch {
      // removed between listing and stat (rotation): not listed
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The regular, visible files of the log folder as directory entries. */
async function readLogDirents(dir: string): Promise<Dirent[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && isPlainLogName(e.name));
}

/** Resolves a requested log name to its path: 400 INVALID_LOG_NAME or 404 LOG_NOT_FOUND otherwise. */
export async function resolveLogName(dir: string, name: string): Promise<string> {
  if (!isPlainLogName(name)) throw kanErrors.create('INVALID_LOG_NAME', undefined, { file: name.slice(0, 100) });
  const entries = await readLogDirents(dir);
  if (!entries.some((e) => e.name === name)) throw kanErrors.create('LOG_NOT_FOUND', undefined, { file: name });
  return join(dir, name);
}

/** Opens a resolved log file for reading without following a link (O_NOFOLLOW) and checks it is a regular file. */
export async function openLogFile(path: string, flags: number = constants.O_RDONLY): Promise<FileHandle> {
  const handle = await open(path, flags | constants.O_NOFOLLOW);
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    throw kanErrors.create('LOG_NOT_FOUND');
  }
  return handle;
}
