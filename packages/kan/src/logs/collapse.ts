/**
 * The collapse-range primitive of log truncation: `fallocate --collapse-range` on an open file
 * (the only child process of the log modules: a fixed argument list, no shell, a timeout). The
 * file is named to fallocate by this process's open descriptor (`/proc/<pid>/fd/<fd>`: same user),
 * so the collapse hits the very inode that was measured, whatever happened to its name meanwhile (rotation, removal).
 */
import type { FileHandle } from 'node:fs/promises';

/** How a collapse-range attempt ended. */
export type CollapseOutcome = { ok: true } | { ok: false; unsupported: boolean; message: string };

/** Longest a collapse may take. */
export const COLLAPSE_TIMEOUT_MS = 30_000;

/**
 * Removes the first `length` bytes of an open file in place (offset 0; length a multiple of the
 * file system block size). Appending writers keep their O_APPEND position at the new end.
 * `unsupported` is true when the file system cannot do it.
 */
export async function collapseFileHead(file: FileHandle, length: number): Promise<CollapseOutcome> {
  const { execa } = await import('execa'); // loaded on first use: an idle kan does not carry it
  const result = await execa('fallocate', ['--collapse-range', '--offset', '0', '--length', String(length), '--', `/proc/${process.pid}/fd/${file.fd}`], {
    reject: false, timeout: COLLAPSE_TIMEOUT_MS, stdin: 'ignore', env: { LC_ALL: 'C' },
  });
  if (result.exitCode === 0) return { ok: true };
  const stderr = String(result.stderr);
  // EOPNOTSUPP (tmpfs, ext3 without extents, many network file systems), as util-linux prints it.
  const unsupported = /not supported/i.test(stderr);
  return { ok: false, unsupported, message: stderr.trim().slice(0, 300) || (result.shortMessage ?? 'fallocate failed') };
}
