/**
 * The audit trail's writer (docs/api.md §2: every state-changing call, with the caller's
 * certificate subject, the time and the outcome). One chain per writing process, in
 * `<dir>/audit-<chain>-YYYY-MM-DD.log` (UTC day), hash-chained (audit-chain.ts).
 *
 * Lines are written synchronously, one write(2) each, in the order record() is called, so the
 * chain stays correct under any number of concurrent requests. On open the writer continues
 * the chain from the last complete audit line of its newest file; crash leftovers after it (a
 * torn last line) are closed with a newline and recorded, by size and SHA-256, in the `torn`
 * field of the next line, so the verifier can tell a crash from an edit. Day files older than
 * `retentionDays` are deleted when a day file is opened. A write error never crashes the
 * process: it is counted and reported (failures.ts), and the next line re-reads the file first.
 *
 * winston-daily-rotate-file (the process logs) is not used here: it names files by its own
 * clock and buffers writes, and the chain needs to know exactly which line precedes which.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DEFAULTS } from '../config/defaults.js';
import { systemClock, type Clock } from '../schedule/clock.js';
import {
  AUDIT_GENESIS, auditFileName, formatAuditLine, hashLine, isChainName, parseAuditFileName, utcDate,
  type AuditEntry, type TornFragment,
} from './audit-chain.js';
import { readFileTail } from './audit-lines.js';
import { recordLoggingFailure } from './failures.js';

export * from './audit-chain.js';

/** Where a module's audit entries go (every package takes this; an AuditLog satisfies it). */
export interface AuditSink {
  /** Appends one entry (with a timestamp and its link), before returning. */
  record(entry: AuditEntry): void;
}

/** The audit trail's writer: an AuditSink that can be closed. */
export interface AuditLog extends AuditSink {
  /** Closes the file. */
  close(): Promise<void>;
}

/** Options of createAuditLog. */
export interface AuditLogOptions {
  /** The log folder. */
  readonly dir: string;
  /** This writer's chain: "qsen", "kan0", "qsen-admin", ... */
  readonly chain: string;
  /** Day files kept ([logging] audit_retention_days). */
  readonly retentionDays?: number;
  readonly clock?: Clock;
}

const DAY_MS = 86_400_000;

/** The chains of a folder and their day files' dates, oldest first (throws when the folder cannot be read). */
export function listAuditChains(dir: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const name of readdirSync(dir).sort()) {
    const parsed = parseAuditFileName(name);
    if (!parsed) continue;
    const dates = chains.get(parsed.chain) ?? [];
    dates.push(parsed.date);
    chains.set(parsed.chain, dates);
  }
  return chains;
}

/** The dates of a chain's day files in `dir`, oldest first; none when the folder cannot be read. */
export function listChainDates(dir: string, chain: string): string[] {
  try {
    return listAuditChains(dir).get(chain) ?? [];
  } catch {
    return [];
  }
}

/** The oldest day a chain keeps at `nowMs` (pure): files dated before it are deleted. */
export function retentionCutoff(nowMs: number, retentionDays: number): string {
  return utcDate(nowMs - retentionDays * DAY_MS);
}

/** Where the chain stands: the hash of its last line and the file that line is in. */
interface ChainHead {
  prev: string;
  file: string | null;
  torn: TornFragment[];
}

/** Finds the chain's head from its newest files; closes a torn last line with a newline. */
function recoverHead(dir: string, chain: string): ChainHead {
  const dates = listChainDates(dir, chain).reverse();
  let torn: TornFragment[] = [];
  for (const date of dates) {
    const name = auditFileName(chain, date);
    const path = join(dir, name);
    const tail = readFileTail(path);
    if (!tail.endsWithNewline) {
      const fd = openSync(path, 'a');
      try {
        writeSync(fd, '\n');
      } finally {
        closeSync(fd);
      }
    }
    // Leftovers after the chain's last audit line, in file order, whichever files they are in.
    torn = [...tail.fragments.map((f) => ({ bytes: f.length, sha256: hashLine(f) })), ...torn];
    if (tail.last) return { prev: hashLine(tail.last.text), file: name, torn };
  }
  return { prev: AUDIT_GENESIS, file: null, torn };
}

/** The day file a writer has open. */
interface OpenFile {
  readonly fd: number;
  readonly date: string;
  /** Its size as this writer left it (another size: someone else wrote to it). */
  size: number;
  /** True while it holds no audit line yet: its first line names the file before. */
  fresh: boolean;
  /** The bytes of the last line this writer wrote to it (they end at `size`), once it wrote one. */
  last?: Buffer;
}

/** Tells whether the file still holds `last` where this writer left it, ending at `size` (one pread). */
function stillHolds(fd: number, last: Buffer, size: number): boolean {
  const start = size - last.length;
  if (start < 0) return false;
  const seen = Buffer.alloc(last.length);
  try {
    return readSync(fd, seen, 0, last.length, start) === last.length && seen.equals(last);
  } catch {
    return false;
  }
}

/** Opens the audit trail of one chain. */
export function createAuditLog(opts: AuditLogOptions): AuditLog {
  if (!isChainName(opts.chain)) throw new RangeError(`audit chain name '${opts.chain}' must be lowercase words joined by '-'`);
  const clock = opts.clock ?? systemClock;
  const retentionDays = opts.retentionDays ?? CONFIG_DEFAULTS.logging.audit_retention_days;
  const { dir, chain } = opts;
  let head: ChainHead | undefined;
  let file: OpenFile | undefined;
  let closed = false;

  function closeFile(): void {
    if (file === undefined) return;
    try {
      closeSync(file.fd);
    } catch {
      // already gone
    }
    file = undefined;
  }

  function expire(nowMs: number): void {
    const cutoff = retentionCutoff(nowMs, retentionDays);
    for (const date of listChainDates(dir, chain)) {
      if (date >= cutoff) break;
      try {
        unlinkSync(join(dir, auditFileName(chain, date)));
      } catch (err) {
        recordLoggingFailure(`an expired audit file in ${dir}`, err, clock);
      }
    }
  }

  /** Opens the day file of `date`, finding the chain's head first when it is not known. */
  function open(date: string, nowMs: number): { file: OpenFile; head: ChainHead } {
    mkdirSync(dir, { recursive: true });
    const known = head ?? recoverHead(dir, chain);
    head = known;
    const name = auditFileName(chain, date);
    const path = join(dir, name);
    const existed = existsSync(path);
    const fd = openSync(path, 'a+', 0o640);
    const opened: OpenFile = { fd, date, size: fstatSync(fd).size, fresh: !existed || known.file !== name };
    file = opened;
    expire(nowMs);
    return { file: opened, head: known };
  }

  /** The file to write `date`'s next line to, and the head it links to. */
  function target(date: string, nowMs: number): { file: OpenFile; head: ChainHead } {
    if (file !== undefined && file.date !== date) closeFile();
    if (file !== undefined && head !== undefined) {
      // One fstat per line: the size this writer left tells whether anyone else touched the file.
      const size = fstatSync(file.fd).size;
      if (size === file.size) return { file, head };
      if (file.last !== undefined && !stillHolds(file.fd, file.last, file.size)) {
        // This writer's last line is gone or changed (the file was cut or rewritten): the chain
        // goes on from that line's hash, so the verifier shows the break where lines were removed,
        // instead of linking to whatever the file now ends with.
        recordLoggingFailure(`the audit log ${chain} in ${dir}`, new Error(`the audit file ${auditFileName(chain, file.date)} no longer holds its last line (size ${file.size} -> ${size}): lines were removed or changed; the next line keeps the chain from the removed line, so verification shows the break`), clock);
        file.size = size;
        file.last = undefined;
        return { file, head };
      }
      // Someone else appended to this file (another writer of the chain): re-read the head.
      closeFile();
      head = undefined;
    }
    return open(date, nowMs);
  }

  return {
    record(entry) {
      if (closed) return;
      const nowMs = clock.now();
      const date = utcDate(nowMs);
      try {
        const { file: out, head: current } = target(date, nowMs);
        const line = formatAuditLine({
          entry,
          chain,
          timestamp: new Date(nowMs).toISOString(),
          prev: current.prev,
          ...(out.fresh ? { prevFile: current.file } : {}),
          torn: current.torn,
        });
        const bytes = Buffer.from(`${line}\n`, 'utf8');
        let written = 0;
        while (written < bytes.length) written += writeSync(out.fd, bytes, written, bytes.length - written);
        out.size += bytes.length;
        out.fresh = false;
        out.last = bytes;
        head = { prev: hashLine(line), file: auditFileName(chain, date), torn: [] };
      } catch (err) {
        recordLoggingFailure(`the audit log ${chain} in ${dir}`, err, clock);
        closeFile();
        head = undefined;
      }
    },
    close() {
      closed = true;
      closeFile();
      return Promise.resolve();
    },
  };
}
