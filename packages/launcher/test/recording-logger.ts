/** A logger for tests that keeps every line in memory (the supervisor's logger interface). */
import { readFileSync } from 'node:fs';
import type { SupervisorLogger } from '../src/supervise/supervisor.js';

/** One recorded log line. */
export interface RecordedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  meta: Record<string, unknown>;
}

/** Creates a logger whose lines are kept in `lines`. */
export function createRecordingLogger(): SupervisorLogger & { lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const record = (level: RecordedLine['level']) => (message: string, meta: Record<string, unknown> = {}) => {
    lines.push({ level, message, meta });
  };
  return { lines, info: record('info'), warn: record('warn'), error: record('error') };
}

/** Path of a fixture program (tests run from dist/test). */
export function fixturePath(name: string): string {
  return new URL(`../../test/fixtures/${name}`, import.meta.url).pathname;
}

/** Tells whether a process exists (signal 0) and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
