/**
 * Reading audit files line by line in bounded memory: lines split on '\n' only (a stray '\r'
 * stays inside its line, so line numbers are the file's own), each as raw bytes, and the
 * last valid line of a file read from its tail.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { parseAuditLine } from './audit-chain.js';

/** Longer lines are reported as such and not kept whole (no audit line comes near it). */
export const MAX_AUDIT_LINE_BYTES = 1024 * 1024;

/** One line of a file. */
export interface FileLine {
  /** 1-based line number. */
  readonly number: number;
  /** The line's bytes without the newline (empty when `tooLong`). */
  readonly bytes: Buffer;
  /** False for a last line with no newline after it (torn, or being written). */
  readonly terminated: boolean;
  /** The line exceeded MAX_AUDIT_LINE_BYTES; its bytes were dropped. */
  readonly tooLong: boolean;
}

/** Yields the lines of a file, streaming. */
export async function* readFileLines(file: string): AsyncGenerator<FileLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let number = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      number += 1;
      const long = tooLong || size + piece.length > MAX_AUDIT_LINE_BYTES;
      yield { number, bytes: long ? Buffer.alloc(0) : Buffer.concat([...parts, piece]), terminated: true, tooLong: long };
      parts = [];
      size = 0;
      tooLong = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0) {
      if (tooLong || size + rest.length > MAX_AUDIT_LINE_BYTES) {
        tooLong = true;
        parts = [];
      } else {
        parts.push(Buffer.from(rest));
      }
      size += rest.length;
    }
  }
  if (size > 0) {
    number += 1;
    yield { number, bytes: tooLong ? Buffer.alloc(0) : Buffer.concat(parts), terminated: false, tooLong };
  }
}

/** What the tail of a file says about its chain. */
export interface FileTail {
  /** The last line that is a chained audit line, if any. */
  readonly last?: { readonly text: string; readonly record: Record<string, unknown> };
  /** Lines after it that are not audit lines (crash leftovers), oldest first. */
  readonly fragments: readonly Buffer[];
  /** False when the file does not end with a newline. */
  readonly endsWithNewline: boolean;
  readonly size: number;
}

/** Reads the last chunk of a file (up to 2 MiB) and finds its last audit line. */
export function readFileTail(file: string): FileTail {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 2 * MAX_AUDIT_LINE_BYTES);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    const text = buffer.subarray(0, read);
    const endsWithNewline = read === 0 || text[read - 1] === 10;
    const pieces: Buffer[] = [];
    let start = 0;
    for (let nl = text.indexOf(10); nl !== -1; nl = text.indexOf(10, start)) {
      pieces.push(text.subarray(start, nl));
      start = nl + 1;
    }
    if (start < read) pieces.push(text.subarray(start));
    // A chunk that does not start at the beginning of the file starts inside a line.
    if (length < size) pieces.shift();
    const fragments: Buffer[] = [];
    for (let i = pieces.length - 1; i >= 0; i--) {
      const piece = pieces[i] ?? Buffer.alloc(0);
      const record = parseAuditLine(piece.toString('utf8'));
      if (record) return { last: { text: piece.toString('utf8'), record }, fragments: fragments.reverse(), endsWithNewline, size };
      fragments.push(Buffer.from(piece));
    }
    return { fragments: fragments.reverse(), endsWithNewline, size };
  } finally {
    closeSync(fd);
  }
}
