/**
 * The mass cancel's own journal, `mass-cancel.log` in the data folder: one line per record,
 * `<crc32 hex> <json>`. A run begins by replacing the file atomically with its `start` record
 * (the set it will pull, fsynced before the first cancel), then appends one `result` per order
 * (fdatasync each), an `extend` when it adds orders that were still in flight at the start, and
 * `end`. The file holds the latest run only; the audit trail keeps every run.
 *
 * Reading stops at the first damaged line (a torn tail after a crash): a lost `result` only
 * means that order is cancelled again, which the idempotent cancel path answers with its first
 * result.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Uint64 } from '@qsen/core/ids';
import { writeFileAtomicSync } from '@qsen/core/storage';

/** File name of the mass cancel's journal inside the data folder. */
export const MASS_CANCEL_FILE = 'mass-cancel.log';

/** Where a mass cancel was asked from. */
export type MassCancelChannel = 'api' | 'local' | 'deadman';

/** How one order of a mass cancel ended. */
export type OrderOutcome =
  | { readonly outcome: 'cancelled' }
  | { readonly outcome: 'alreadyMatched' }
  /** Not resting at SENEBI for another reason (rejected, not found, never sent). */
  | { readonly outcome: 'notOpen'; readonly status: string }
  | { readonly outcome: 'failed'; readonly code: string; readonly delivery?: string };

/** The first record of a run. */
export interface StartRecord {
  readonly type: 'start';
  readonly run: string;
  readonly at: string;
  readonly by: string;
  readonly channel: MassCancelChannel;
  readonly reason: string | null;
  /** `unavailable` when SENEBI's listing could not be read (the journal alone chose the set). */
  readonly listing: 'ok' | 'unavailable';
  readonly targets: readonly Uint64[];
  readonly alreadyMatched: readonly Uint64[];
  /** Resting in-range orders SENEBI listed that qsen's journal does not know (cancelled straight at SENEBI); absent in runs journaled before orphans were pulled. */
  readonly orphans?: readonly Uint64[];
}

/** Orders added to a run (in flight when it began). */
export interface ExtendRecord {
  readonly type: 'extend';
  readonly run: string;
  readonly at: string;
  readonly targets: readonly Uint64[];
}

/** One order's result. */
export type ResultRecord = { readonly type: 'result'; readonly run: string; readonly id: Uint64; readonly at: string } & OrderOutcome;

/** The run is over. */
export interface EndRecord {
  readonly type: 'end';
  readonly run: string;
  readonly at: string;
}

/** Any record of the mass-cancel journal. */
export type MassCancelRecord = StartRecord | ExtendRecord | ResultRecord | EndRecord;

/** The latest run as the file holds it. */
export interface LoggedRun {
  readonly start: StartRecord;
  readonly extended: Uint64[];
  readonly results: Map<Uint64, OrderOutcome & { readonly at: string }>;
  readonly endedAt?: string;
}

function encode(record: MassCancelRecord): string {
  const json = JSON.stringify(record);
  return `${crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0')} ${json}\n`;
}

function decode(line: string): MassCancelRecord | undefined {
  const match = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!match) return undefined;
  const json = match[2] ?? '';
  if (crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0') !== match[1]) return undefined;
  try {
    const value = JSON.parse(json) as MassCancelRecord;
    return typeof value === 'object' && value !== null && typeof value.run === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Folds records (oldest first) into the run they describe; undefined without a start record. */
export function foldRun(records: readonly MassCancelRecord[]): LoggedRun | undefined {
  const first = records[0];
  if (first?.type !== 'start') return undefined;
  const run: { start: StartRecord; extended: Uint64[]; results: LoggedRun['results']; endedAt?: string } = { start: first, extended: [], results: new Map() };
  for (const record of records.slice(1)) {
    if (record.run !== first.run) break;
    if (record.type === 'extend') run.extended.push(...record.targets);
    else if (record.type === 'result') {
      const { type: _type, run: _run, id, ...outcome } = record;
      run.results.set(id, outcome);
    } else if (record.type === 'end') run.endedAt = record.at;
  }
  return run;
}

/** The mass cancel's journal in one data folder. */
export interface MassCancelLog {
  /** The latest run in the file (undefined when there is none). */
  read(): LoggedRun | undefined;
  /** Replaces the file with a new run's start record, durably (throws when it cannot). */
  begin(start: StartRecord): Promise<void>;
  /** Appends a record durably (throws when it cannot; the run goes on in memory). */
  append(record: ExtendRecord | ResultRecord | EndRecord): Promise<void>;
  close(): Promise<void>;
}

/** Opens the mass cancel's journal of `dataDir`. */
export function openMassCancelLog(dataDir: string): MassCancelLog {
  const file = join(dataDir, MASS_CANCEL_FILE);
  let handle: FileHandle | undefined;
  let queue: Promise<void> = Promise.resolve();

  const serialize = (work: () => Promise<void>): Promise<void> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
      const records: MassCancelRecord[] = [];
      const lines = text.split('\n');
      // The last piece is either empty (clean end) or a torn line: both are dropped.
      for (const line of lines.slice(0, -1)) {
        const record = decode(line);
        if (!record) break;
        records.push(record);
      }
      return foldRun(records);
    },
    begin(start) {
      return serialize(async () => {
        await handle?.close();
        handle = undefined;
        writeFileAtomicSync(file, encode(start));
        handle = await open(file, 'a', 0o640);
      });
    },
    append(record) {
      return serialize(async () => {
        handle ??= await open(file, 'a', 0o640);
        await handle.write(encode(record));
        await handle.datasync();
      });
    },
    close() {
      return serialize(async () => {
        await handle?.close();
        handle = undefined;
      });
    },
  };
}
