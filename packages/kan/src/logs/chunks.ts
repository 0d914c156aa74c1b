/**
 * The one chunked reader of the log modules (tail, truncation): reads an open file forwards or
 * backwards in fixed-size chunks through one reused buffer, so the memory of a scan is one chunk
 * whatever the span scanned.
 */
import type { FileHandle } from 'node:fs/promises';

/** Size of one read of a scan. */
export const SCAN_CHUNK_BYTES = 64 * 1024;

/** One chunk of a scan: bytes [start, start + bytes.length). Valid only until the next chunk is read. */
export interface Chunk {
  readonly bytes: Buffer;
  readonly start: number;
}

/** Reads `length` bytes at `position` into `buffer` (short at end of file). */
async function readInto(handle: FileHandle, buffer: Buffer, position: number, length: number): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The chunks of [start, end) from the first to the last; stops early at end of file. */
export async function* readForwards(handle: FileHandle, start: number, end: number, chunkBytes = SCAN_CHUNK_BYTES): AsyncGenerator<Chunk> {
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(chunkBytes, end - start)));
  for (let pos = start; pos < end;) {
    const bytes = await readInto(handle, buffer, pos, Math.min(buffer.length, end - pos));
    if (bytes.length === 0) return;
    yield { bytes, start: pos };
    pos += bytes.length;
  }
}

/** The chunks of [max(0, end - limit), end) from the last to the first. */
export async function* readBackwards(handle: FileHandle, end: number, opts: { limit?: number; chunkBytes?: number } = {}): AsyncGenerator<Chunk> {
  const floor = Math.max(0, end - (opts.limit ?? end));
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(opts.chunkBytes ?? SCAN_CHUNK_BYTES, end - floor)));
  for (let top = end; top > floor;) {
    const start = Math.max(floor, top - buffer.length);
    const bytes = await readInto(handle, buffer, start, top - start);
    yield { bytes, start };
    top = start;
  }
}
