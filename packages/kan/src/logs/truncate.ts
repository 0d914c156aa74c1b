/**
 * Log truncation that never loses a line appended meanwhile (docs/kan.md, "Truncation").
 *
 * 1. cut = the start of the line holding offset size-keep (so at least `keep` bytes stay, whole lines);
 * 2. collapse = cut rounded down to the file system block size; `fallocate --collapse-range`
 *    removes [0, collapse) in place: writers appending with O_APPEND keep writing at the new end;
 * 3. the head now holds the tail of a dropped line (cut - collapse bytes, < one block, ending in
 *    its own newline). It is overwritten in place with spaces, keeping that newline: a blank padding
 *    line, no NUL byte, and not one byte of a kept line touched.
 * File systems without collapse-range: rotated files of the same log are removed instead and the
 * live file is left alone. The answer says which happened.
 */
import { unlink, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { kanErrors } from '../errors.js';
import { collapseFileHead } from '../process/commands.js';
import { listLogs, openLogFile, type LogEntry } from './names.js';

/** Default bytes kept by a truncation. */
export const DEFAULT_KEEP_BYTES = 1024 * 1024;

/** The plan of a collapse (pure): what to remove and how long the padding fragment is. */
export interface CollapsePlan {
  /** Start of the first kept line. */
  readonly cut: number;
  /** Bytes removed from the head (a multiple of the block size, <= cut). */
  readonly collapse: number;
  /** Bytes of the dropped line left at the head after the collapse (cut - collapse). */
  readonly fragment: number;
}

/** Plans a collapse (pure): `cut` must be a line start; null when nothing whole-block can go. */
export function planCollapse(cut: number, blockSize: number): CollapsePlan | null {
  const collapse = Math.floor(cut / blockSize) * blockSize;
  if (collapse <= 0) return null;
  return { cut, collapse, fragment: cut - collapse };
}

/**
 * The start of the line that holds `offset` (pure), given bytes [chunkStart, chunkStart+chunk.length)
 * that end at or after offset. Returns null when the chunk does not reach back to the line start.
 */
export function lineStartOf(chunk: Uint8Array, chunkStart: number, offset: number): number | null {
  for (let i = offset - 1 - chunkStart; i >= 0; i--) {
    if (chunk[i] === 0x0a) return chunkStart + i + 1;
  }
  return chunkStart === 0 ? 0 : null;
}

/** The bytes that overwrite a fragment of `length` bytes: spaces then the fragment's own newline (pure). */
export function paddingFor(length: number): Buffer {
  const pad = Buffer.alloc(length, 0x20);
  if (length > 0) pad[length - 1] = 0x0a;
  return pad;
}

/** What a truncation did to one file. */
export interface TruncateResult {
  readonly file: string;
  /** collapse-range: head removed in place; removed-rotated: fallback; none: already within keep. */
  readonly method: 'collapse-range' | 'removed-rotated' | 'none';
  readonly sizeBefore: number;
  readonly sizeAfter: number;
  /** Rotated files removed by the fallback (names). */
  readonly removed?: readonly string[];
  /** Bytes of padding written at the new head (collapse-range only). */
  readonly padding?: number;
  readonly reason?: string;
}

/** Finds the start of the line holding `offset` by reading backwards from it. */
async function findLineStart(path: string, offset: number): Promise<number> {
  const handle = await openLogFile(path);
  try {
    let size = 64 * 1024;
    for (;;) {
      const chunkStart = Math.max(0, offset - size);
      const buffer = Buffer.allocUnsafe(offset - chunkStart);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, chunkStart);
      const start = lineStartOf(buffer.subarray(0, bytesRead), chunkStart, offset);
      if (start !== null) return start;
      size *= 4;
    }
  } finally {
    await handle.close();
  }
}

/** Truncates one log file (already resolved to a path in the log folder) keeping at least `keep` newest bytes. */
export async function truncateLog(path: string, keep: number): Promise<TruncateResult> {
  const file = basename(path);
  const before = await stat(path);
  const sizeBefore = before.size;
  if (sizeBefore <= keep) return { file, method: 'none', sizeBefore, sizeAfter: sizeBefore, reason: 'already within keep' };
  const cut = await findLineStart(path, sizeBefore - keep);
  const blockSize = before.blksize > 0 ? before.blksize : 4096;
  let plan = planCollapse(cut, blockSize);
  // Linux refuses a collapse that reaches the end of the file (EINVAL): keep the last block as padding.
  if (plan !== null && plan.collapse >= sizeBefore) plan = plan.collapse - blockSize > 0 ? { cut, collapse: plan.collapse - blockSize, fragment: plan.fragment + blockSize } : null;
  if (plan === null) return { file, method: 'none', sizeBefore, sizeAfter: sizeBefore, reason: 'less than one block to drop' };
  const collapsed = await collapseFileHead(path, plan.collapse);
  if (!collapsed.ok) {
    if (!collapsed.unsupported) throw kanErrors.create('TRUNCATE_FAILED', undefined, { file, reason: collapsed.message });
    return removeRotatedSiblings(path, sizeBefore, collapsed.message);
  }
  if (plan.fragment > 0) {
    // In place at offset 0: appenders (O_APPEND) only ever write at the end.
    const handle = await openLogFile(path, constants.O_WRONLY);
    try {
      await handle.write(paddingFor(plan.fragment), 0, plan.fragment, 0);
    } finally {
      await handle.close();
    }
  }
  const after = await stat(path);
  return { file, method: 'collapse-range', sizeBefore, sizeAfter: after.size, padding: plan.fragment };
}

/** The log a file name belongs to (pure): `qsen-2026-01-02.log.3` -> `qsen`; other names are their own group. */
export function logGroupOf(name: string): string {
  const m = /^(.+?)-\d{4}-\d{2}-\d{2}(?:\.\d+)?(?:\.log)?(?:\.\d+)?(?:\.gz)?$/.exec(name);
  return m?.[1] ?? name;
}

/** The rotated files of a group (pure): every member but the newest by modification time. */
export function rotatedOf(entries: readonly LogEntry[], group: string): LogEntry[] {
  const members = entries.filter((e) => logGroupOf(e.name) === group);
  if (members.length <= 1) return [];
  const newest = members.reduce((a, b) => (b.modified > a.modified || (b.modified === a.modified && b.name > a.name) ? b : a));
  return members.filter((e) => e !== newest);
}

/** Fallback without collapse-range: removes the rotated files of the file's log, never the live one. */
async function removeRotatedSiblings(path: string, sizeBefore: number, reason: string): Promise<TruncateResult> {
  const dir = dirname(path);
  const file = basename(path);
  const rotated = rotatedOf(await listLogs(dir), logGroupOf(file));
  const removed: string[] = [];
  for (const entry of rotated) {
    await unlink(join(dir, entry.name)).catch(() => undefined);
    removed.push(entry.name);
  }
  const sizeAfter = removed.includes(file) ? 0 : (await stat(path)).size;
  return { file, method: 'removed-rotated', sizeBefore, sizeAfter, removed, reason: `collapse-range unsupported here: ${reason}` };
}
