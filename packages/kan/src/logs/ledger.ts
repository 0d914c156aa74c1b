/**
 * The truncation ledger: per log file (by device and inode), the total bytes collapse-range has
 * removed from its head, in `<logs>/.truncate/<dev>-<ino>` (a hidden folder: never listed or
 * served). A truncation notes the total at its call and again under the lock; the difference is
 * what truncations that ran in between removed, so it can map "the file as it was at my call"
 * onto today's offsets and drop only bytes that existed then (docs/kan.md, "Truncation").
 * Written after each collapse (never before: a reader of the old total with the new size would
 * over-count what is left and could drop newer lines), atomically (core's writeFileAtomic), under the lock.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@qsen/core/storage';

/** Folder of the ledger, inside the log folder. */
export const LEDGER_DIR = '.truncate';

/** The identity of a file. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** The ledger entry's name for a file (pure). */
export function ledgerName(id: FileIdentity): string {
  return `${id.dev}-${id.ino}`;
}

/** Total bytes removed from the head of the file so far (0 when never truncated). */
export async function readRemoved(dir: string, id: FileIdentity): Promise<number> {
  try {
    const value = Number((await readFile(join(dir, LEDGER_DIR, ledgerName(id)), 'utf8')).trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** Records the new total for the file (call under the truncation lock). */
export async function recordRemoved(dir: string, id: FileIdentity, total: number): Promise<void> {
  const folder = join(dir, LEDGER_DIR);
  await mkdir(folder, { recursive: true });
  await writeFileAtomic(join(folder, ledgerName(id)), `${total}\n`);
}

/** Removes the entries of files that are gone (call under the truncation lock). */
export async function pruneLedger(dir: string, live: readonly FileIdentity[]): Promise<void> {
  const keep = new Set(live.map(ledgerName));
  let names: string[];
  try {
    names = await readdir(join(dir, LEDGER_DIR));
  } catch {
    return;
  }
  for (const name of names) if (!keep.has(name) && !name.startsWith('.')) await unlink(join(dir, LEDGER_DIR, name)).catch(() => undefined);
}
