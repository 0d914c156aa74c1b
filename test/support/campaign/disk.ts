/**
 * qsen's data folder on a small size-limited tmpfs (needs root), which the nemesis fills to
 * ENOSPC and frees. tmpfs rather than a loop-mounted ext4 image: no loop device is needed, and
 * qsen's journal only appends and fsyncs, which tmpfs refuses with ENOSPC exactly like ext4.
 */
import { execFile } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A mounted data disk. */
export interface DataDisk {
  readonly path: string;
  /** Writes a filler file until the file system answers ENOSPC; resolves with the bytes written. */
  fill(): number;
  /** Removes the filler (no-op when there is none). */
  free(): void;
  /** Unmounts (lazily, so a process still holding a file does not block it). */
  unmount(): Promise<void>;
}

const FILLER = '.nemesis-filler';

/** Mounts a tmpfs of `sizeMiB` over `path`, keeping what the folder held; a string says why it could not. */
export async function mountDataDisk(path: string, sizeMiB: number): Promise<DataDisk | string> {
  if (process.getuid?.() !== 0) return 'mounting a size-limited tmpfs needs root';
  const saved = mkdtempSync(join(tmpdir(), 'qsen-campaign-data-'));
  cpSync(path, saved, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', path]);
  } catch (err) {
    rmSync(saved, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${String((err as { stderr?: string }).stderr ?? err).trim()}`;
  }
  for (const name of readdirSync(saved)) cpSync(join(saved, name), join(path, name), { recursive: true });
  rmSync(saved, { recursive: true, force: true });
  const filler = join(path, FILLER);
  return {
    path,
    fill() {
      const fd = openSync(filler, 'a');
      let written = 0;
      try {
        for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
          const chunk = Buffer.alloc(size);
          for (;;) {
            try {
              written += writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free() {
      try {
        unlinkSync(filler);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
    async unmount() {
      await run('umount', ['-l', path]);
    },
  };
}
