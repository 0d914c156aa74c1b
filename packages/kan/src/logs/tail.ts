/**
 * Tail by bytes or lines, reading from the end in fixed-size chunks (chunks.ts): the memory of
 * a tail is one chunk whatever `bytes`, `lines` and the file size; the answer is then streamed.
 * The answer starts at a line boundary, except when the window holds no line start: then it is
 * the end of the last line, marked `partial`. The offset decisions are pure functions over the
 * bytes read.
 */
import type { FileHandle } from 'node:fs/promises';
import { readBackwards, readForwards } from './chunks.js';

/** Default size of a byte tail. */
export const DEFAULT_TAIL_BYTES = 65536;
/** Largest byte tail served. */
export const MAX_TAIL_BYTES = 64 * 1024 * 1024;
/** Largest line tail served. */
export const MAX_TAIL_LINES = 100_000;
/** A line tail never reads more than this from the end. */
export const MAX_TAIL_SCAN_BYTES = 64 * 1024 * 1024;

const NL = 0x0a;

/** A tail: the byte range [start, end) to send; `partial` when it does not start at a line start. */
export interface TailRange {
  readonly start: number;
  readonly end: number;
  readonly partial: boolean;
  /** Line tails: the scan cap was reached before `lines` lines were found. */
  readonly capped?: boolean;
}

/**
 * The first line start at or after `offset` (pure), given bytes [chunkStart, chunkStart+chunk.length)
 * with chunkStart <= offset - 1 for offset > 0. Offset 0 is a line start. Null when the chunk holds no
 * newline at or after offset - 1 (read on).
 */
export function lineStartAtOrAfter(chunk: Uint8Array, chunkStart: number, offset: number): number | null {
  if (offset === 0) return 0;
  for (let i = Math.max(0, offset - 1 - chunkStart); i < chunk.length; i++) {
    if (chunk[i] === NL) return chunkStart + i + 1;
  }
  return null;
}

/**
 * Where a line tail starts (pure), given a chunk [chunkStart, chunkStart+chunk.length) of a file of
 * `fileSize` bytes and the `found` line ends already counted in the chunks after it. A final line
 * without newline counts as a line (the newline at fileSize-1 ends the last line and is not counted).
 * Returns the absolute start offset, or null when the chunk does not reach back far enough (read
 * more), unless chunkStart is 0.
 */
export function lineTailStart(chunk: Uint8Array, chunkStart: number, fileSize: number, lines: number, found = 0): number | null {
  if (lines <= 0) return fileSize;
  let seen = found;
  for (let i = chunk.length - 1; i >= 0; i--) {
    if (chunk[i] === NL && chunkStart + i !== fileSize - 1) {
      seen += 1;
      if (seen === lines) return chunkStart + i + 1;
    }
  }
  return chunkStart === 0 ? 0 : null;
}

/** The line ends of a chunk that lineTailStart counts (pure): its newlines but the file's last byte. */
export function countLineEnds(chunk: Uint8Array, chunkStart: number, fileSize: number): number {
  let n = 0;
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === NL && chunkStart + i !== fileSize - 1) n += 1;
  return n;
}

/**
 * The byte tail of an open file of `fileSize` bytes: from the first line start at or after
 * fileSize - bytes; when there is none before the end, the last `bytes` bytes, marked partial.
 */
export async function findByteTail(handle: FileHandle, fileSize: number, bytes: number): Promise<TailRange> {
  const wanted = Math.max(0, fileSize - bytes);
  if (wanted >= fileSize) return { start: fileSize, end: fileSize, partial: false };
  if (wanted === 0) return { start: 0, end: fileSize, partial: false };
  for await (const { bytes: chunk, start } of readForwards(handle, wanted - 1, fileSize)) {
    const lineStart = lineStartAtOrAfter(chunk, start, wanted);
    if (lineStart !== null) {
      if (lineStart < fileSize) return { start: lineStart, end: fileSize, partial: false };
      break; // the only newline ends the file: no line starts in the window
    }
  }
  return { start: wanted, end: fileSize, partial: true };
}

/** The last `lines` lines of an open file, reading backwards in chunks, at most MAX_TAIL_SCAN_BYTES back. */
export async function findLineTail(handle: FileHandle, fileSize: number, lines: number, scanLimit = MAX_TAIL_SCAN_BYTES): Promise<TailRange> {
  if (lines <= 0 || fileSize === 0) return { start: fileSize, end: fileSize, partial: false };
  let found = 0;
  let lowest: number | null = null; // the lowest line start seen so far
  let floor = fileSize;
  for await (const { bytes: chunk, start } of readBackwards(handle, fileSize, { limit: scanLimit })) {
    const lineStart = lineTailStart(chunk, start, fileSize, lines, found);
    if (lineStart !== null) return { start: lineStart, end: fileSize, partial: false };
    found += countLineEnds(chunk, start, fileSize);
    const first = chunk.indexOf(NL);
    if (first >= 0 && start + first + 1 < fileSize) lowest = start + first + 1;
    floor = start;
  }
  // Too far back: what the cap allows, from its first line start, or the window itself when it holds none.
  return lowest !== null ? { start: lowest, end: fileSize, partial: false, capped: true } : { start: floor, end: fileSize, partial: true, capped: true };
}
