/**
 * Querying the audit trail: the entries of every chain matching a time range, an action, a
 * subject and an id, in time order (a k-way merge of the day's chain files), streamed: memory
 * holds one line per chain, whatever the size of the trail.
 */
import { join } from 'node:path';
import { parseAuditLine } from './audit-chain.js';
import { readFileLines } from './audit-lines.js';
import { listAuditChains } from './audit.js';

/** What to match (every field optional; all given fields must match). */
export interface AuditQuery {
  /** Inclusive, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive, epoch ms. */
  readonly toMs?: number;
  /** One of these actions. */
  readonly actions?: readonly string[];
  /** Contained in the subject (case-sensitive). */
  readonly subject?: string;
  /** Equal to the request id or to `details.orderId`. */
  readonly id?: string;
}

/** One match: the line as written, plus where it is. */
export interface AuditMatch {
  readonly file: string;
  readonly line: number;
  readonly entry: Record<string, unknown>;
}

/** Tells whether an entry matches a query (pure). */
export function matchesAuditQuery(entry: Record<string, unknown>, query: AuditQuery): boolean {
  const time = Date.parse(String(entry['timestamp']));
  if (query.fromMs !== undefined && !(time >= query.fromMs)) return false;
  if (query.toMs !== undefined && !(time < query.toMs)) return false;
  if (query.actions !== undefined && !query.actions.includes(String(entry['action']))) return false;
  if (query.subject !== undefined && !String(entry['subject'] ?? '').includes(query.subject)) return false;
  if (query.id !== undefined) {
    const details = entry['details'];
    const orderId = typeof details === 'object' && details !== null ? (details as Record<string, unknown>)['orderId'] : undefined;
    if (entry['requestId'] !== query.id && orderId !== query.id) return false;
  }
  return true;
}

interface Cursor {
  readonly file: string;
  readonly lines: AsyncGenerator<{ number: number; bytes: Buffer; terminated: boolean; tooLong: boolean }>;
  current?: AuditMatch;
  time: number;
}

async function advance(cursor: Cursor, query: AuditQuery): Promise<boolean> {
  for (;;) {
    const next = await cursor.lines.next();
    if (next.done === true) return false;
    if (next.value.tooLong || !next.value.terminated) continue;
    const entry = parseAuditLine(next.value.bytes.toString('utf8'));
    if (!entry || !matchesAuditQuery(entry, query)) continue;
    cursor.current = { file: cursor.file, line: next.value.number, entry };
    cursor.time = Date.parse(String(entry['timestamp']));
    return true;
  }
}

/** Yields the matching entries of a log folder, oldest first. */
export async function* queryAuditTrail(dir: string, query: AuditQuery): AsyncGenerator<AuditMatch> {
  const byDate = new Map<string, string[]>();
  for (const [chain, dates] of listAuditChains(dir)) {
    for (const date of dates) byDate.set(date, [...(byDate.get(date) ?? []), `audit-${chain}-${date}.log`]);
  }
  const fromDay = query.fromMs !== undefined ? new Date(query.fromMs).toISOString().slice(0, 10) : undefined;
  const toDay = query.toMs !== undefined ? new Date(query.toMs).toISOString().slice(0, 10) : undefined;
  for (const date of [...byDate.keys()].sort()) {
    if (fromDay !== undefined && date < fromDay) continue;
    if (toDay !== undefined && date > toDay) continue;
    const cursors: Cursor[] = [];
    for (const file of byDate.get(date) ?? []) {
      const cursor: Cursor = { file, lines: readFileLines(join(dir, file)), time: 0 };
      if (await advance(cursor, query)) cursors.push(cursor);
    }
    try {
      while (cursors.length > 0) {
        let best = 0;
        for (let i = 1; i < cursors.length; i++) if ((cursors[i]?.time ?? 0) < (cursors[best]?.time ?? 0)) best = i;
        const cursor = cursors[best];
        if (!cursor?.current) break;
        yield cursor.current;
        if (!(await advance(cursor, query))) cursors.splice(best, 1);
      }
    } finally {
      for (const c of cursors) await c.lines.return(undefined);
    }
  }
}
