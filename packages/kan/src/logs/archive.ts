/**
 * Every log of the folder as one gzip-compressed tar stream, with memory flat whatever the sizes
 * (bench/RESULTS.md, "logs?file=all"): one file read at a time (`jobs: 1`: tar's default of 4
 * reads four files ahead into memory) in reads of ARCHIVE_READ_BYTES (tar's default is 16 MiB per
 * read), each read waiting until the client has taken the previous ones (backpressure through
 * the gzip and response streams).
 */
import type { Readable } from 'node:stream';

/** Bytes per read of a log file into the archive. */
export const ARCHIVE_READ_BYTES = 256 * 1024;

/** Streams a .tar.gz of the given files of the log folder (names from its listing). */
export async function streamLogArchive(dir: string, files: readonly string[]): Promise<Readable> {
  const { create } = await import('tar'); // loaded on first use: an idle kan does not carry it
  return create({ gzip: true, cwd: dir, portable: true, follow: false, noDirRecurse: true, jobs: 1, maxReadSize: ARCHIVE_READ_BYTES }, [...files]) as unknown as Readable;
}
