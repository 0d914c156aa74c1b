/**
 * Tail by bytes or lines, reading from the end: the cost depends on the size asked for, never
 * on the file's size. The answer always starts at a line boundary. The offset decisions are pure
 * functions over the bytes read.
 */
import type { FileHandle } from 'node:fs/promises';

/** Default size of a byte tail. */
export const DEFAULT_TAIL_BYTES = 65536;
/** Largest byte tail served. */
export const MAX_TAIL_BYTES = 64 * 1024 * 1024;
/** Largest line tail served. */
export const MAX_TAIL_LINES = 100_000;
/** A line tail never reads more than this from the end. */
export const MAX_TAIL_SCAN_BYTES = 64 * 1024 * 1024;

const NL = 0x0a;

/**
 * Where a byte tail starts (pure). `window` holds the bytes [windowStart, fileSize) where
 * windowStart = max(0, fileSize - bytes - 1): one byte more than asked, to know whether the
 * wanted start already is a line start. Returns an absolute offset (fileSize when no whole line fits).
 */
export function byteTailStart(window: Uint8Array, windowStart: number, fileSize: number, bytes: number): number {
  const wanted = Math.max(0, fileSize - bytes);
  if (wanted === 0) return 0;
  // Index in window of the byte just before `wanted`.
  for (let i = wanted - 1 - windowStart; i < window.length; i++) {
    if (window[i] === NL) return windowStart + i + 1;
  }
  return fileSize;
}

/**
 * Where a line tail starts (pure), given the last bytes of the file (`chunk` = [chunkStart, fileSize)).
 * A final line without newline counts as a line. Returns the absolute start offset, or null when
 * the chunk does not reach back far enough (read more), unless chunkStart is 0.
 */
export function lineTailStart(chunk: Uint8Array, chunkStart: number, fileSize: number, lines: number): number | null {
  if (lines <= 0) return fileSize;
  let end = chunk.length;
  if (end > 0 && chunk[end - 1] === NL) end -= 1; // the newline that ends the last line
  let found = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (chunk[i] === NL) {
      found += 1;
      if (found === lines) return chunkStart + i + 1;
    }
  }
  return chunkStart === 0 ? 0 : null;
}

/** Reads `length` bytes at `position` (short at end of file). */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The byte range [start, end) of a byte tail of an open file. */
export async function findByteTail(handle: FileHandle, fileSize: number, bytes: number): Promise<{ start: number; end: number }> {
  const windowStart = Math.max(0, fileSize - bytes - 1);
  const window = await readAt(handle, windowStart, fileSize - windowStart);
  return { start: byteTailStart(window, windowStart, windowStart + window.length, bytes), end: windowStart + window.length };
}

/** The byte range [start, end) of a line tail of an open file, reading backwards in chunks. */
export async function findLineTail(handle: FileHandle, fileSize: number, lines: number): Promise<{ start: number; end: number; capped: boolean }> {
  let size = 64 * 1024;
  for (;;) {
    const chunkStart = Math.max(0, fileSize - size);
    const chunk = await readAt(handle, chunkStart, fileSize - chunkStart);
    const start = lineTailStart(chunk, chunkStart, chunkStart + chunk.length, lines);
    if (start !== null) return { start, end: chunkStart + chunk.length, capped: false };
    if (size >= MAX_TAIL_SCAN_BYTES) {
      // Too far back: answer what the cap allows, from its first line boundary.
      const first = chunk.indexOf(NL);
      return { start: first < 0 ? fileSize : chunkStart + first + 1, end: chunkStart + chunk.length, capped: true };
    }
    size = Math.min(size * 4, MAX_TAIL_SCAN_BYTES);
  }
}
