/**
 * `qsen-admin journal check` and `journal repair` (docs/qsen.md, "Repairing the journal"), with
 * qsen stopped. check reports what qsen would do with the journal at start. repair rewrites a
 * journal qsen refuses to open: every intact record is kept, every order id that damage touched
 * (readable in a damaged line or the torn tail) and every id the operator names gets a `damaged`
 * record, so qsen reconciles those orders with SENEBI by id; the original file is kept beside it.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Uint64 } from '@qsen/core/ids';
import { assessJournal, durableLengthFile, encodeDurableLength, readDurableLength } from './journal.js';
import { syncPath, writeFileAtomicSync } from '../storage/files.js';
import { encodeRecord, type JournalRecord } from './records.js';

/** What `journal check` reports. */
export interface JournalReport {
  readonly file: string;
  readonly bytes: number;
  readonly durableBytes: number;
  readonly records: number;
  readonly orders: number;
  readonly tornBytes: number;
  readonly tornIds: Uint64[];
  /** Damaged lines whose order id is readable (reconciled at start). */
  readonly damaged: Array<{ line: number; id: Uint64 }>;
  /** Damaged lines with no readable order id (qsen refuses to start). */
  readonly corruptLines: number[];
  readonly truncated: boolean;
  /** `clean`: nothing to do; `reconcile`: qsen starts and reconciles the touched orders; `refuse`: qsen refuses to start until repaired. */
  readonly verdict: 'clean' | 'reconcile' | 'refuse';
}

function readBytes(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}

/** Reports what qsen would do with a journal at start. */
export async function checkJournal(file: string): Promise<JournalReport> {
  const bytes = readBytes(file);
  const { scan, durableBytes, truncated, corruptLines } = assessJournal(bytes, await readDurableLength(file));
  const damaged = scan.damaged.flatMap((d) => (d.id === undefined ? [] : [{ line: d.line, id: d.id }]));
  const refuse = truncated || corruptLines.length > 0;
  return {
    file,
    bytes: bytes.length,
    durableBytes,
    records: scan.records.length,
    orders: new Set(scan.records.map((r) => r.id)).size,
    tornBytes: scan.tornBytes,
    tornIds: scan.tornIds,
    damaged,
    corruptLines,
    truncated,
    verdict: refuse ? 'refuse' : damaged.length > 0 || scan.tornIds.length > 0 ? 'reconcile' : 'clean',
  };
}

/** What `journal repair` did. */
export interface RepairResult {
  readonly backup: string;
  readonly kept: number;
  /** Ids given a `damaged` record (reconciled with SENEBI at the next start). */
  readonly reconciled: Uint64[];
  /** Damaged lines left out of the new journal (they stay in the backup). */
  readonly dropped: number[];
}

/** Rewrites the journal from its intact records plus a `damaged` record per touched or named id. */
export async function repairJournal(file: string, namedIds: readonly Uint64[], now: Date): Promise<RepairResult> {
  const bytes = readBytes(file);
  const { scan } = assessJournal(bytes, await readDurableLength(file));
  const at = now.toISOString();
  const touched = [...new Set([...scan.damaged.flatMap((d) => (d.id === undefined ? [] : [d.id])), ...scan.tornIds, ...namedIds])];
  const records: JournalRecord[] = [...scan.records, ...touched.map((id): JournalRecord => ({ type: 'damaged', id, at }))];
  const content = Buffer.concat(records.map(encodeRecord));
  const backup = join(dirname(file), `${basename(file)}.before-repair-${at.replace(/[:.]/g, '-')}`);
  copyFileSync(file, backup);
  syncPath(backup);
  writeFileAtomicSync(file, content);
  writeFileAtomicSync(durableLengthFile(file), encodeDurableLength(content.length));
  return { backup, kept: scan.records.length, reconciled: touched, dropped: [...new Set(scan.damaged.map((d) => d.line))] };
}
