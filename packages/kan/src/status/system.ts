/** System figures for /kan/v1/status, from systeminformation (loaded on first use): load, memory, disk of the log and data folders, uptime. */
import { realpath, statfs } from 'node:fs/promises';

/** One folder's file system figures. */
export interface DiskFigures {
  readonly path: string;
  readonly mount: string | null;
  readonly sizeBytes: number | null;
  readonly usedBytes: number | null;
  readonly availableBytes: number | null;
  readonly usePercent: number | null;
}

/** What status shows about the machine. */
export interface SystemFigures {
  readonly load: { readonly avg1: number; readonly currentPercent: number | null; readonly cpus: number };
  readonly memory: { readonly totalBytes: number; readonly availableBytes: number; readonly usedBytes: number };
  readonly disks: { readonly logs: DiskFigures; readonly data: DiskFigures };
  readonly uptimeSeconds: number;
}

/** The mount holding `path` (pure): the longest mount point that is a prefix of it. */
export function mountOf<T extends { mount: string }>(mounts: readonly T[], path: string): T | undefined {
  let best: T | undefined;
  for (const m of mounts) {
    const prefix = m.mount.endsWith('/') ? m.mount : `${m.mount}/`;
    if ((path === m.mount || path.startsWith(prefix) || m.mount === '/') && (best === undefined || m.mount.length > best.mount.length)) best = m;
  }
  return best;
}

/** A folder's file-system figures from statfs(2) (pure arithmetic): exact for any mount, tmpfs included. */
export function diskFiguresOf(st: { bsize: number; blocks: number; bfree: number; bavail: number }): Pick<DiskFigures, 'sizeBytes' | 'usedBytes' | 'availableBytes' | 'usePercent'> {
  const used = (st.blocks - st.bfree) * st.bsize;
  const available = st.bavail * st.bsize;
  return {
    sizeBytes: st.blocks * st.bsize, usedBytes: used, availableBytes: available,
    usePercent: used + available === 0 ? null : Math.round((used / (used + available)) * 1000) / 10,
  };
}

/** Gathers the system figures. */
export async function readSystemFigures(folders: { logs: string; data: string }): Promise<SystemFigures> {
  // Loaded on first use: an idle kan does not carry it.
  const si = (await import('systeminformation')).default;
  const [load, mem, fs, time] = await Promise.all([si.currentLoad(), si.mem(), si.fsSize(), Promise.resolve(si.time())]);
  const disk = async (path: string): Promise<DiskFigures> => {
    const real = await realpath(path).catch(() => path);
    // The mount's name is best effort (systeminformation lists only mounts whose source starts
    // with '/'); the figures come from statfs on the folder itself, so they are always its own.
    const m = mountOf(fs, real);
    const figures = await statfs(real).then(diskFiguresOf, () => ({ sizeBytes: null, usedBytes: null, availableBytes: null, usePercent: null }));
    return { path, mount: m?.mount ?? null, ...figures };
  };
  return {
    load: { avg1: load.avgLoad, currentPercent: Number.isFinite(load.currentLoad) ? Math.round(load.currentLoad * 10) / 10 : null, cpus: load.cpus.length },
    memory: { totalBytes: mem.total, availableBytes: mem.available, usedBytes: mem.total - mem.available },
    disks: { logs: await disk(folders.logs), data: await disk(folders.data) },
    uptimeSeconds: Math.round(Number(time.uptime)),
  };
}
