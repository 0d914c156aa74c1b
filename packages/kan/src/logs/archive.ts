/** Every log of the folder as one gzip-compressed tar stream (memory flat whatever the sizes). */
import type { Readable } from 'node:stream';

/** Streams a .tar.gz of the given files of the log folder (names from its listing). */
export async function streamLogArchive(dir: string, files: readonly string[]): Promise<Readable> {
  const { create } = await import('tar'); // loaded on first use: an idle kan does not carry it
  return create({ gzip: true, cwd: dir, portable: true, follow: false, noDirRecurse: true }, [...files]) as unknown as Readable;
}
