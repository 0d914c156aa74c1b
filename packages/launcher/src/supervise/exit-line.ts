/**
 * The stderr line that explains an exit (shown as `lastExit.line` in the owner's status, the
 * kans' status and `qsenctl status`). Pure: from the last lines the child wrote on stderr, the
 * last one that reads as a failure (error, cannot, invalid, EADDRINUSE, ...), else the last line.
 */

/** Lines of stderr kept per invocation to find the explaining one. */
export const STDERR_LINES_KEPT = 20;

/** Characters of the explaining line kept. */
export const EXIT_LINE_MAX_CHARS = 300;

const FAILURE_WORDS = /error|cannot|can't|invalid|refus|denied|fatal|exception|panic|not found|failed|problem/i;
/** errno-style codes: EADDRINUSE, EACCES, ENOSPC (case matters). */
const ERRNO_CODE = /\bE[A-Z]{4,}\b/;
/** Stack frames say where, not why. */
const STACK_FRAME = /^at\s/;

/** The explaining line of an exit, or null when the child wrote nothing on stderr. */
export function pickExitLine(stderr: readonly string[]): string | null {
  const meaningful = stderr.map((l) => l.trim()).filter((l) => l !== '' && !STACK_FRAME.test(l));
  const at = meaningful.findLastIndex((l) => FAILURE_WORDS.test(l) || ERRNO_CODE.test(l));
  let line = at >= 0 ? meaningful[at] : meaningful[meaningful.length - 1];
  // A header that announces what follows ("invalid configuration FILE (1 problem):") takes its first line along.
  const next = at >= 0 ? meaningful[at + 1] : undefined;
  if (line !== undefined && line.endsWith(':') && next !== undefined) line = `${line} ${next}`;
  if (line === undefined) return null;
  return line.length > EXIT_LINE_MAX_CHARS ? `${line.slice(0, EXIT_LINE_MAX_CHARS - 1)}…` : line;
}

/** Appends a line to a bounded tail (pure). */
export function appendToTail(tail: readonly string[], line: string): string[] {
  return [...tail, line].slice(-STDERR_LINES_KEPT);
}
