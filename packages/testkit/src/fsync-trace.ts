import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';

/** One system call strace saw: its name and the path of the descriptor it was made on. */
export interface TracedSync {
  readonly call: string;
  readonly path: string;
}

/**
 * Runs an ES module `source` in a child Node under `strace -f -y` and returns every fsync and
 * fdatasync it made, each with the path of its descriptor, in order (for durability tests: did the
 * folder get synced after the rename?). `strace` is the tool path from requireTool('strace'); the
 * script imports what it tests by absolute file URL.
 */
export function traceFsyncs(strace: string, source: string): TracedSync[] {
  const tmp = makeTempDir('fsync-trace-');
  try {
    const script = join(tmp.path, 'script.mjs');
    writeFileSync(script, source);
    const log = join(tmp.path, 'strace.txt');
    execFileSync(strace, ['-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync', '-o', log, process.execPath, script], { stdio: ['ignore', 'ignore', 'pipe'] });
    const lines = readFileSync(log, 'utf8').split('\n');
    const out: TracedSync[] = [];
    for (const line of lines) {
      const m = /(fsync|fdatasync)\(\d+<([^>]*)>\)\s*=\s*0/.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) out.push({ call: m[1], path: m[2] });
    }
    return out;
  } finally {
    tmp.remove();
  }
}
