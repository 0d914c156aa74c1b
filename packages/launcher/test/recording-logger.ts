/** A logger for tests that keeps every line in memory (the supervisor's logger interface). */
import type { LogSink } from '@qsen/core';

/** One recorded log line. */
export interface RecordedLine {
  level: 'info' | 'warn' | 'error' | 'debug';
  message: string;
  meta: Record<string, unknown>;
}

/** Creates a logger whose lines are kept in `lines`. */
export function createRecordingLogger(): LogSink & { lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const record = (level: RecordedLine['level']) => (message: string, meta: Record<string, unknown> = {}) => {
    lines.push({ level, message, meta });
  };
  return { lines, info: record('info'), warn: record('warn'), error: record('error'), debug: record('debug') };
}

/** Path of a fixture program (tests run from dist/test). */
export function fixturePath(name: string): string {
  return new URL(`../../test/fixtures/${name}`, import.meta.url).pathname;
}

/** Tells whether a process exists and is not a zombie (the testkit's check, under this package's old name). */
export { isProcessAlive as isAlive } from '@qsen/testkit';
