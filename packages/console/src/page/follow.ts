/**
 * Following a log in the browser (pure): each poll reads the last bytes of the file
 * (GET /kan/v1/logs/tail?bytes=N answers the range [X-Tail-Start, X-File-Size)); this decides
 * which part of that range is new since the previous poll, and says when lines were skipped
 * (the file grew by more than N between two polls) or the file shrank (truncated or rotated).
 */

/** One tail answer: the byte range it covers. */
export interface TailRange {
  readonly start: number;
  readonly end: number;
}

/** What to do with one tail answer. */
export interface FollowStep {
  /** Replace what is shown (first read, or the file shrank) instead of appending. */
  readonly reset: boolean;
  /** Offset into the answer's bytes from which to show. */
  readonly from: number;
  /** Bytes the poll could not show (0 unless the file grew faster than the window). */
  readonly skipped: number;
  /** The end to remember for the next poll. */
  readonly end: number;
}

/** Decides what part of `range` is new after `previousEnd` (null: nothing read yet). */
export function planFollowStep(previousEnd: number | null, range: TailRange): FollowStep {
  if (previousEnd === null || range.end < previousEnd) return { reset: true, from: 0, skipped: 0, end: range.end };
  if (range.start <= previousEnd) return { reset: false, from: Math.min(previousEnd, range.end) - range.start, skipped: 0, end: range.end };
  return { reset: false, from: 0, skipped: range.start - previousEnd, end: range.end };
}

/** Keeps at most `maxLines` lines of `text` (the newest). */
export function keepLastLines(text: string, maxLines: number): string {
  const trailing = text.endsWith('\n');
  const lines = (trailing ? text.slice(0, -1) : text).split('\n');
  if (lines.length <= maxLines) return text;
  return `${lines.slice(-maxLines).join('\n')}${trailing ? '\n' : ''}`;
}
