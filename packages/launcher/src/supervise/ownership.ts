/**
 * One launcher per state folder, and no orphans left by a launcher that died.
 *
 * - The lock is a Linux abstract Unix socket named after the run folder: the kernel releases it
 *   when its holder dies, even by SIGKILL, so a stale lock cannot exist. `run/launcher.pid`
 *   only tells a second launcher which pid holds it. The socket is per network namespace, so
 *   a flock on `run/launcher.lock` (folder-lock.ts) is taken first, beside it: one launcher per
 *   state folder across namespaces too.
 * - `run/children.json` records every running child (name, pid and the kernel's start time of
 *   that pid, so a reused pid is never taken for ours). A new launcher stops whatever a dead one
 *   left behind before it starts anything.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ApiError } from '@qsen/core/errors';
import { launcherErrors } from '../errors.js';
import { parseProcStat, type OwnedProcessName } from '@qsen/kan';
import { acquireFolderLock, type FolderLock } from './folder-lock.js';
import type { LogSink } from '@qsen/core/logging';

/** The held lock of a state folder. */
export interface OwnershipLock {
  readonly pidFile: string;
  /** Releases the lock and removes the pid file. */
  release(): Promise<void>;
}

/** One recorded child of a launcher. */
export interface RecordedChild {
  readonly name: OwnedProcessName;
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot). */
  readonly startTicks: string;
}

/** What became of one recorded orphan. */
export interface OrphanOutcome {
  readonly name: OwnedProcessName;
  readonly pid: number;
  readonly outcome: 'gone' | 'terminated' | 'killed';
}

const PID_FILE = 'launcher.pid';
const CHILDREN_FILE = 'children.json';

function lockName(runDir: string): string {
  const digest = createHash('sha256').update(realpathSync(runDir)).digest('hex').slice(0, 32);
  return `\0qsen-launcher-${digest}`;
}

function alreadyRunning(runDir: string): ApiError {
  let holder: string;
  try {
    holder = readFileSync(join(runDir, PID_FILE), 'utf8').trim();
  } catch {
    holder = 'unknown';
  }
  return launcherErrors.create('ALREADY_RUNNING', `another launcher (pid ${holder}) already runs this state folder (${runDir})`, { pid: holder, run: runDir });
}

/** Takes the state folder's launcher lock; ALREADY_RUNNING when another live launcher holds it. */
export async function acquireOwnership(runDir: string): Promise<OwnershipLock> {
  let folderLock: FolderLock;
  try {
    folderLock = await acquireFolderLock(runDir);
  } catch (err) {
    throw err instanceof ApiError && err.code === 'ALREADY_RUNNING' ? alreadyRunning(runDir) : err;
  }
  const server: Server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: lockName(runDir) }, () => resolve());
    });
  } catch (err) {
    await folderLock.release();
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE') throw launcherErrors.create('INTERNAL_ERROR', `cannot take the launcher lock: ${String(err)}`, undefined, err);
    throw alreadyRunning(runDir);
  }
  server.unref();
  const pidFile = join(runDir, PID_FILE);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o644 });
  return {
    pidFile,
    release: async () => {
      rmSync(pidFile, { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await folderLock.release();
    },
  };
}

/** Reads field 22 of /proc/PID/stat; null when the process does not exist (or is a zombie). */
export function readProcessStartTicks(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const facts = parseProcStat(stat);
  return facts === null || facts.state === 'zombie' ? null : facts.startTicks;
}

/** Rewrites `run/children.json` with the given children (atomically). */
export function recordChildren(runDir: string, children: readonly { name: OwnedProcessName; pid: number }[]): void {
  const entries: RecordedChild[] = [];
  for (const child of children) {
    const startTicks = readProcessStartTicks(child.pid);
    if (startTicks !== null) entries.push({ name: child.name, pid: child.pid, startTicks });
  }
  const file = join(runDir, CHILDREN_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Reads `run/children.json`; empty when absent or unreadable. */
export function readRecordedChildren(runDir: string): RecordedChild[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(runDir, CHILDREN_FILE), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((e): e is RecordedChild => typeof e === 'object' && e !== null
    && typeof (e as RecordedChild).name === 'string' && Number.isInteger((e as RecordedChild).pid) && (e as RecordedChild).pid > 1
    && typeof (e as RecordedChild).startTicks === 'string');
}

function isSameProcess(child: RecordedChild): boolean {
  return readProcessStartTicks(child.pid) === child.startTicks;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

async function waitUntilGone(child: RecordedChild, deadlineMs: number): Promise<boolean> {
  while (Date.now() < deadlineMs) {
    if (!isSameProcess(child)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isSameProcess(child);
}

/**
 * Stops the children a dead launcher recorded (only those whose pid still names the same
 * process): SIGTERM + SIGCONT to the process group, SIGKILL after `graceMs`. The caller must hold
 * the ownership lock. Clears the record.
 */
export async function stopOrphans(runDir: string, { graceMs, logger }: { graceMs: number; logger: LogSink }): Promise<OrphanOutcome[]> {
  const recorded = readRecordedChildren(runDir);
  const outcomes = await Promise.all(recorded.map(async (child): Promise<OrphanOutcome> => {
    if (!isSameProcess(child)) return { name: child.name, pid: child.pid, outcome: 'gone' };
    logger.warn(`stopping ${child.name} (pid ${child.pid}) left behind by a launcher that died`, { process: child.name, pid: child.pid });
    signalGroup(child.pid, 'SIGTERM');
    signalGroup(child.pid, 'SIGCONT');
    if (await waitUntilGone(child, Date.now() + graceMs)) return { name: child.name, pid: child.pid, outcome: 'terminated' };
    signalGroup(child.pid, 'SIGKILL');
    await waitUntilGone(child, Date.now() + 5000);
    return { name: child.name, pid: child.pid, outcome: 'killed' };
  }));
  rmSync(join(runDir, CHILDREN_FILE), { force: true });
  return outcomes;
}
