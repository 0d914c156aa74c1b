/** Every log of the folder as one gzip-compressed tar stream (memory flat whatever the sizes). */
import type { Readable } from 'node:stream';
import { listLogs } from './names.js';

/** Streams a .tar.gz of the log folder's regular, visible files (names taken from its listing). */
export async function streamLogArchive(dir: string): Promise<{ stream: Readable; files: string[] }> {
  const files = (await listLogs(dir)).map((e) => e.name);
  const { create } = await import('tar'); // loaded on first use: an idle kan does not carry it
  const stream = create({ gzip: true, cwd: dir, portable: true, follow: false, noDirRecurse: true }, files) as unknown as Readable;
  return { stream, files };
}
