/**
 * Checks a log written by the numbered-line writer (kan's test fixture append-writer.mjs:
 * a zero-padded line number, filler, newline) after truncations: every line whole, blank padding lines allowed,
 * numbers contiguous. Used by the truncation tests of kan and the chaos suite.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** What a numbered log holds. */
export interface NumberedLog {
  /** Line numbers in file order (padding lines left out). */
  readonly numbers: number[];
  /** The first line is a blank padding line or a whole numbered line. */
  readonly headIsWhole: boolean;
  /** Problems found: partial or foreign lines, gaps, NUL bytes, a missing final newline. */
  readonly problems: string[];
}

/** Parses and checks a numbered log (pure). `pad` is the writer's pad length. */
export function checkNumberedLog(content: Buffer, pad: number): NumberedLog {
  const problems: string[] = [];
  if (content.includes(0)) problems.push('a NUL byte');
  const text = content.toString('latin1');
  const lines = text.split('\n');
  if (lines.pop() !== '') problems.push('no final newline');
  const whole = new RegExp(`^line (\\d{9}) x{${pad}}$`);
  const numbers: number[] = [];
  let headIsWhole = true;
  lines.forEach((line, i) => {
    if (/^ *$/.test(line)) return;
    const m = whole.exec(line);
    if (!m) {
      if (i === 0) headIsWhole = false;
      if (problems.length < 20) problems.push(`line ${i + 1} is not whole: ${JSON.stringify(line.slice(0, 60))}`);
      return;
    }
    const n = Number(m[1]);
    const prev = numbers.at(-1);
    if (prev !== undefined && n !== prev + 1 && problems.length < 20) problems.push(`gap: ${prev} then ${n}`);
    numbers.push(n);
  });
  return { numbers, headIsWhole, problems };
}

/** The number of the last whole line of a numbered log's end (pure), or 0. */
export function lastNumberIn(tail: Buffer): number {
  const text = tail.toString('latin1');
  const end = text.lastIndexOf('\n');
  const start = text.lastIndexOf('\n', end - 1);
  const m = /^line (\d{9}) /.exec(text.slice(start + 1, end));
  return m ? Number(m[1]) : 0;
}

/** The last `bytes` bytes of a file (fewer when it is shorter). */
export function readFileEnd(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** A deterministic pseudo-random generator in [0, 1) (mulberry32), so a failing seed can be replayed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
