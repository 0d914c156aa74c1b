/**
 * Log truncation that never loses a line appended meanwhile (docs/kan.md, "Truncation").
 *
 * At the call, each file is opened and measured (its size and the ledger's total removed), before
 * any waiting. Then, under the folder's truncation lock (locks.ts), with the file's readers
 * excluded:
 * 1. limit = the size at the call, in today's offsets (minus what truncations in between removed);
 *    cut = the start of the line holding offset limit-keep: only bytes that existed at the call go,
 *    at least `keep` of them stay, whole lines;
 * 2. collapse = cut rounded down to the file system block size; `fallocate --collapse-range`
 *    removes [0, collapse) in place: writers appending with O_APPEND keep writing at the new end;
 * 3. the head now holds the tail of a dropped line (cut - collapse bytes, < one block, ending in
 *    its own newline). It is overwritten in place with spaces, keeping that newline: a blank padding
 *    line, no NUL byte, and not one byte of a kept line touched.
 * File systems without collapse-range: rotated files of the same log are removed instead and the
 * live file is left alone. The answer says which happened. Audit files are never touched.
 */
import { constants } from 'node:fs';
import { lstat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { kanErrors } from '../errors.js';
import { readBackwards } from './chunks.js';
import { collapseFileHead } from './collapse.js';
import { pruneLedger, readRemoved, recordRemoved, type FileIdentity } from './ledger.js';
import { acquireTruncationLock, excludeReaders, LOG_LOCK_DEFAULTS, TRUNCATION_LOCK, type LogLockSettings } from './locks.js';
import { tryLock } from '../watchdog/lock.js';
import { isProtectedLogName, listLogs, openLogFile, resolveLogName, type LogEntry } from './names.js';
import type { LogSink } from '@qsen/core/logging';

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
 * Linux refuses a collapse that reaches the end of the file (EINVAL): the plan for a file of
 * `size` bytes keeps the last block as padding then (pure).
 */
export function fitCollapse(plan: CollapsePlan | null, size: number, blockSize: number): CollapsePlan | null {
  if (plan === null || plan.collapse < size) return plan;
  return plan.collapse - blockSize > 0 ? { cut: plan.cut, collapse: plan.collapse - blockSize, fragment: plan.fragment + blockSize } : null;
}

/**
 * Where the content a call saw ends today (pure): the size at the call minus what other
 * truncations removed since, never beyond today's size.
 */
export function contentLimit(sizeAtCall: number, removedAtCall: number, removedNow: number, sizeNow: number): number {
  return Math.max(0, Math.min(sizeNow, sizeAtCall - Math.max(0, removedNow - removedAtCall)));
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
  /** collapse-range: head removed in place; removed-rotated: fallback; none: nothing to drop. */
  readonly method: 'collapse-range' | 'removed-rotated' | 'none';
  readonly sizeBefore: number;
  readonly sizeAfter: number;
  /** Rotated files removed by the fallback (names). */
  readonly removed?: readonly string[];
  /** Bytes of padding written at the new head (collapse-range only). */
  readonly padding?: number;
  readonly reason?: string;
}

/** A file a truncation left alone, and why (a stable error code). */
export interface TruncateSkip {
  readonly file: string;
  readonly code: 'AUDIT_LOG_PROTECTED' | 'TRUNCATE_BUSY' | 'LOG_NOT_FOUND';
  readonly reason: string;
}

/** What a truncation call did. */
export interface TruncateOutcome {
  readonly results: TruncateResult[];
  readonly skipped: TruncateSkip[];
}

/** A file as a truncation call found it, before any waiting. */
interface Snapshot {
  readonly name: string;
  readonly path: string;
  readonly handle: FileHandle;
  readonly sizeAtCall: number;
  readonly removedAtCall: number;
}

/** Finds the start of the line holding `offset` by reading backwards from it. */
async function findLineStart(handle: FileHandle, offset: number): Promise<number> {
  for await (const { bytes, start } of readBackwards(handle, offset)) {
    const lineStart = lineStartOf(bytes, start, offset);
    if (lineStart !== null) return lineStart;
  }
  return 0;
}

async function takeSnapshot(dir: string, name: string): Promise<Snapshot> {
  const path = join(dir, name);
  const handle = await openLogFile(path, constants.O_RDWR);
  try {
    const id = await handle.stat();
    const removedAtCall = await readRemoved(dir, id); // the ledger first, then the size (ledger.ts)
    const sizeAtCall = (await handle.stat()).size;
    return { name, path, handle, sizeAtCall, removedAtCall };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Truncates one measured file; the caller holds the folder lock and has excluded the file's readers. */
async function truncateSnapshot(dir: string, snap: Snapshot, keep: number): Promise<TruncateResult | TruncateSkip> {
  const file = snap.name;
  const st = await snap.handle.stat();
  if (st.nlink === 0) return { file, code: 'LOG_NOT_FOUND', reason: 'removed (rotation) before its turn came' };
  const sizeBefore = st.size;
  const removedNow = await readRemoved(dir, st);
  const limit = contentLimit(snap.sizeAtCall, snap.removedAtCall, removedNow, sizeBefore);
  if (limit <= keep) return { file, method: 'none', sizeBefore, sizeAfter: sizeBefore, reason: 'already within keep' };
  const cut = await findLineStart(snap.handle, limit - keep);
  const blockSize = st.blksize > 0 ? st.blksize : 4096;
  const plan = fitCollapse(planCollapse(cut, blockSize), sizeBefore, blockSize);
  if (plan === null) return { file, method: 'none', sizeBefore, sizeAfter: sizeBefore, reason: 'less than one block to drop' };
  const collapsed = await collapseFileHead(snap.handle, plan.collapse);
  if (!collapsed.ok) {
    if (!collapsed.unsupported) throw kanErrors.create('TRUNCATE_FAILED', undefined, { file, reason: collapsed.message });
    return removeRotatedSiblings(dir, file, sizeBefore, collapsed.message);
  }
  await recordRemoved(dir, st, removedNow + plan.collapse);
  // In place at offset 0: appenders (O_APPEND) only ever write at the end.
  if (plan.fragment > 0) await snap.handle.write(paddingFor(plan.fragment), 0, plan.fragment, 0);
  const after = await snap.handle.stat();
  return { file, method: 'collapse-range', sizeBefore, sizeAfter: after.size, padding: plan.fragment };
}

/**
 * Truncates `names` of the log folder `dir` (each a name of its listing), keeping at least `keep`
 * of the newest bytes each had at the call. Serialized with every other truncation of the folder,
 * in any process; waits for the reads of each file in flight. Audit files are skipped
 * (AUDIT_LOG_PROTECTED). Throws TRUNCATE_BUSY when the folder lock is not had in time.
 */
export async function truncateLogs(
  dir: string, names: readonly string[], keep: number, opts: { settings?: LogLockSettings; logger?: LogSink } = {},
): Promise<TruncateOutcome> {
  const settings = opts.settings ?? LOG_LOCK_DEFAULTS;
  const results: TruncateResult[] = [];
  const skipped: TruncateSkip[] = [];
  const snaps: Snapshot[] = [];
  try {
    for (const name of names) {
      if (isProtectedLogName(name)) {
        skipped.push({ file: name, code: 'AUDIT_LOG_PROTECTED', reason: 'audit files are never truncated through the API' });
        continue;
      }
      try {
        await resolveLogName(dir, name);
        snaps.push(await takeSnapshot(dir, name));
      } catch {
        skipped.push({ file: name, code: 'LOG_NOT_FOUND', reason: 'removed before the truncation began' });
      }
    }
    if (snaps.length === 0) return { results, skipped };
    let lock = await tryLock(dir, TRUNCATION_LOCK);
    if (lock === null) {
      // Measured already: only what the files held by now can go, however long the wait.
      opts.logger?.info('logs/truncate waits for another truncation of the log folder', { files: snaps.map((s) => s.name), sizes: snaps.map((s) => s.sizeAtCall) });
      lock = await acquireTruncationLock(dir, settings);
    }
    if (lock === null) throw kanErrors.create('TRUNCATE_BUSY', 'another truncation of the log folder is still running', { waitedMs: settings.truncateWaitMs });
    try {
      for (const snap of snaps) {
        const readers = await excludeReaders(dir, snap.name, settings);
        if (readers === null) {
          skipped.push({ file: snap.name, code: 'TRUNCATE_BUSY', reason: `downloads or tails of it still running after ${settings.readersWaitMs} ms` });
          continue;
        }
        try {
          const r = await truncateSnapshot(dir, snap, keep);
          if ('code' in r) skipped.push(r);
          else results.push(r);
        } finally {
          await readers.release();
        }
      }
      await pruneLedger(dir, await liveIdentities(dir));
    } finally {
      await lock.release();
    }
    return { results, skipped };
  } finally {
    await Promise.all(snaps.map((s) => s.handle.close().catch(() => undefined)));
  }
}

async function liveIdentities(dir: string): Promise<FileIdentity[]> {
  const out: FileIdentity[] = [];
  for (const entry of await listLogs(dir)) {
    const st = await lstat(join(dir, entry.name)).catch(() => null);
    if (st) out.push(st);
  }
  return out;
}

/** The log a file name belongs to (pure): `qsen-2026-01-02.log.3` -> `qsen`; other names are their own group. */
export function logGroupOf(name: string): string {
  const m = /^(.+?)-\d{4}-\d{2}-\d{2}(?:\.\d+)?(?:\.log)?(?:\.\d+)?(?:\.gz)?$/.exec(name);
  return m?.[1] ?? name;
}

/** The rotated files of a group (pure): every member but the newest by modification time; never an audit file. */
export function rotatedOf(entries: readonly LogEntry[], group: string): LogEntry[] {
  const members = entries.filter((e) => logGroupOf(e.name) === group);
  if (members.length <= 1) return [];
  const newest = members.reduce((a, b) => (b.modified > a.modified || (b.modified === a.modified && b.name > a.name) ? b : a));
  return members.filter((e) => e !== newest && !isProtectedLogName(e.name));
}

/** Fallback without collapse-range: removes the rotated files of the file's log, never the live one. */
async function removeRotatedSiblings(dir: string, file: string, sizeBefore: number, reason: string): Promise<TruncateResult> {
  const rotated = rotatedOf(await listLogs(dir), logGroupOf(file));
  const removed: string[] = [];
  for (const entry of rotated) {
    await unlink(join(dir, entry.name)).catch(() => undefined);
    removed.push(entry.name);
  }
  return { file, method: 'removed-rotated', sizeBefore, sizeAfter: removed.includes(file) ? 0 : sizeBefore, removed, reason: `collapse-range unsupported here: ${reason}` };
}
