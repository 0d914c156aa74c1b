/**
 * Verifying the audit trail: every chain of a log folder, file by file in date order, line by
 * line in bounded memory. Reports, per chain, the first broken or missing link (file, line,
 * expected vs found), the torn lines a crash left (recorded by the next line), and the chain's
 * head (the hash of its last line: keep it, a later verify proves nothing before it changed).
 */
import { join } from 'node:path';
import { AUDIT_GENESIS, auditFileName, hashLine, parseAuditFileName, parseAuditLine, type TornFragment } from './audit-chain.js';
import { readFileLines } from './audit-lines.js';
import { listAuditChains, retentionCutoff } from './audit.js';

/** What is wrong at the first broken link. */
export type AuditBreakKind =
  /** The line's `prev` is not the hash of the line before (an edit, a deletion or a reorder). */
  | 'prev_mismatch'
  /** The first line of the oldest kept file does not start from the genesis and its predecessor is not yet expired. */
  | 'missing_file'
  /** The first line of a day file names another predecessor than the file before it. */
  | 'prev_file_mismatch'
  /** A line that is not an audit line, not recorded by the next line as a crash leftover. */
  | 'not_an_audit_line'
  /** The torn lines recorded by a line are not the ones before it. */
  | 'torn_mismatch';

/** The first broken link of a chain. */
export interface AuditBreak {
  readonly kind: AuditBreakKind;
  readonly file: string;
  /** 1-based line number in `file`. */
  readonly line: number;
  readonly expected: string | null;
  readonly found: string | null;
}

/** One chain's verdict. */
export interface ChainReport {
  readonly chain: string;
  readonly ok: boolean;
  readonly files: readonly string[];
  /** Audit lines checked (up to the break). */
  readonly lines: number;
  readonly firstBreak: AuditBreak | null;
  /** Crash leftovers, each recorded by the line after it. */
  readonly torn: ReadonlyArray<{ readonly file: string; readonly line: number; readonly bytes: number }>;
  /** A last line with no newline (a crash, or a line being written right now). */
  readonly incomplete: { readonly file: string; readonly line: number; readonly bytes: number } | null;
  /** Where the chain starts: the genesis, or the last hash of a day file already expired by retention. */
  readonly anchor: { readonly file: string; readonly genesis: boolean; readonly prev: string; readonly prevFile: string | null } | null;
  /** The chain's head: the hash of its last line. */
  readonly head: { readonly file: string; readonly line: number; readonly hash: string } | null;
}

/** The verdict on a log folder. */
export interface AuditVerifyReport {
  readonly ok: boolean;
  readonly chains: readonly ChainReport[];
}

/** Options of verifyAuditTrail. */
export interface VerifyOptions {
  /** [logging] audit_retention_days: a missing predecessor older than this was expired, not removed. */
  readonly retentionDays: number;
  readonly nowMs: number;
  /** Only this chain. */
  readonly chain?: string;
}

function sameTorn(expected: readonly TornFragment[], found: unknown): boolean {
  const list = found === undefined ? [] : found;
  if (!Array.isArray(list) || list.length !== expected.length) return false;
  return expected.every((e, i) => {
    const f = list[i] as Record<string, unknown> | undefined;
    return f !== undefined && f['bytes'] === e.bytes && f['sha256'] === e.sha256;
  });
}

/** Verifies one chain. */
export async function verifyChain(dir: string, chain: string, dates: readonly string[], opts: VerifyOptions): Promise<ChainReport> {
  const files = dates.map((d) => auditFileName(chain, d));
  const cutoff = retentionCutoff(opts.nowMs, opts.retentionDays);
  const torn: Array<{ file: string; line: number; bytes: number }> = [];
  let incomplete: ChainReport['incomplete'] = null;
  let anchor: ChainReport['anchor'] = null;
  let head: ChainReport['head'] = null;
  let expected: string | undefined;
  let lines = 0;
  const done = (firstBreak: AuditBreak | null): ChainReport => ({ chain, ok: firstBreak === null, files, lines, firstBreak, torn, incomplete, anchor, head });

  // Lines that are not audit lines, waiting for the next audit line to record them (across files).
  let pending: Array<{ file: string; line: number; fragment: TornFragment }> = [];
  for (const [index, file] of files.entries()) {
    let firstInFile = true;
    for await (const line of readFileLines(join(dir, file))) {
      const text = line.bytes.toString('utf8');
      const record = line.tooLong ? undefined : parseAuditLine(text);
      if (!line.terminated) {
        incomplete = { file, line: line.number, bytes: line.bytes.length };
        if (record === undefined) continue;
      }
      if (record === undefined) {
        pending.push({ file, line: line.number, fragment: { bytes: line.bytes.length, sha256: hashLine(line.bytes) } });
        continue;
      }
      const at = (kind: AuditBreakKind, exp: string | null, found: string | null): AuditBreak => ({ kind, file, line: line.number, expected: exp, found });
      if (!sameTorn(pending.map((p) => p.fragment), record['torn'])) {
        const first = pending[0];
        if (first !== undefined && record['torn'] === undefined) {
          return done({ kind: 'not_an_audit_line', file: first.file, line: first.line, expected: 'an audit line', found: 'not an audit line' });
        }
        return done(at('torn_mismatch', JSON.stringify(pending.map((p) => p.fragment)), JSON.stringify(record['torn'] ?? [])));
      }
      for (const p of pending) torn.push({ file: p.file, line: p.line, bytes: p.fragment.bytes });
      pending = [];
      const prev = String(record['prev']);
      const prevFile = record['prevFile'];
      if (expected === undefined) {
        // The chain's oldest kept line: it starts from the genesis, or from a day file retention has expired.
        if (prevFile === null || prevFile === undefined) {
          if (prev !== AUDIT_GENESIS) return done(at('prev_mismatch', AUDIT_GENESIS, prev));
          anchor = { file, genesis: true, prev, prevFile: null };
        } else {
          const parsed = typeof prevFile === 'string' ? parseAuditFileName(prevFile) : undefined;
          if (parsed === undefined || parsed.chain !== chain || parsed.date >= cutoff) {
            return done(at('missing_file', String(prevFile), null));
          }
          anchor = { file, genesis: false, prev, prevFile: String(prevFile) };
        }
      } else {
        if (prev !== expected) return done(at('prev_mismatch', expected, prev));
        if (firstInFile) {
          const before = files[index - 1] ?? null;
          if (prevFile !== before) return done(at('prev_file_mismatch', before, prevFile === undefined ? null : String(prevFile)));
        }
      }
      firstInFile = false;
      expected = hashLine(line.bytes);
      head = { file, line: line.number, hash: expected };
      lines += 1;
    }
  }
  // Leftovers after the last audit line are recorded by the writer's next line; until then they are reported as torn.
  for (const p of pending) torn.push({ file: p.file, line: p.line, bytes: p.fragment.bytes });
  return done(null);
}

/** Verifies every chain of a log folder (or one). */
export async function verifyAuditTrail(dir: string, opts: VerifyOptions): Promise<AuditVerifyReport> {
  const chains: ChainReport[] = [];
  for (const [chain, dates] of listAuditChains(dir)) {
    if (opts.chain !== undefined && chain !== opts.chain) continue;
    chains.push(await verifyChain(dir, chain, dates, opts));
  }
  return { ok: chains.every((c) => c.ok), chains };
}
