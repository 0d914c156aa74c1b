/**
 * The state folder's file lock: an exclusive flock(2) on `run/launcher.lock`, held by a small
 * `flock(1)` child (util-linux, Essential on Debian) for as long as the launcher lives.
 *
 * Why beside the abstract socket (ownership.ts): an abstract Unix socket lives in one network
 * namespace, so a second launcher started in another namespace (`unshare -n`, a container
 * sharing the folder) would not see it. A flock is held on the file itself, whatever the
 * namespace. Node has no flock of its own; `flock(1)` avoids a native addon.
 *
 * How it is held: `flock --nonblock --no-fork FILE sh -c 'echo held; read _'` locks the file,
 * then becomes a shell that prints `held` and waits on its stdin, a pipe from the launcher. When
 * the launcher dies (even by SIGKILL) the pipe closes, `read` returns, the shell exits and the
 * kernel drops the lock: a stale lock cannot exist. The holder runs in its own process group so
 * a Ctrl-C on the terminal does not release the lock before the launcher has stopped its
 * children. No other child inherits the pipe (libuv opens it close-on-exec).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { launcherErrors } from '../errors.js';

/** The lock file inside the run folder. */
export const LOCK_FILE = 'launcher.lock';
/** flock(1)'s exit code when the file is locked by someone else. */
const CONFLICT_EXIT = 75;

/** A held folder lock. */
export interface FolderLock {
  readonly file: string;
  /** Releases the lock (resolves once the holder has exited). */
  release(): Promise<void>;
}

/** Takes the exclusive file lock of `runDir`; ALREADY_RUNNING when another process holds it. */
export function acquireFolderLock(runDir: string, { flockBinary = 'flock' }: { flockBinary?: string } = {}): Promise<FolderLock> {
  const file = join(runDir, LOCK_FILE);
  return new Promise<FolderLock>((resolve, reject) => {
    const holder = spawn(flockBinary, ['--nonblock', '--conflict-exit-code', String(CONFLICT_EXIT), '--no-fork', file, 'sh', '-c', 'echo held; read _'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    let held = false;
    const exited = new Promise<void>((onExit) => holder.once('exit', () => onExit()));
    holder.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    holder.once('error', (err) => {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(launcherErrors.create('INTERNAL_ERROR', missing
        ? `cannot take the launcher lock: ${flockBinary} not found (apt-get install util-linux)`
        : `cannot take the launcher lock: ${String(err)}`, undefined, err));
    });
    holder.once('exit', (code, signal) => {
      if (held) return;
      if (code === CONFLICT_EXIT) {
        reject(launcherErrors.create('ALREADY_RUNNING', `another launcher already runs this state folder (${runDir}): ${file} is locked`, { run: runDir }));
      } else {
        reject(launcherErrors.create('INTERNAL_ERROR', `cannot take the launcher lock ${file}: flock exited (${signal ?? `code ${code}`}) ${stderr.trim()}`));
      }
    });
    holder.stdout.once('data', () => {
      held = true;
      holder.unref();
      holder.stdout.destroy();
      holder.stderr.destroy();
      (holder.stdin as unknown as { unref(): void }).unref();
      resolve({
        file,
        release: async () => {
          holder.ref();
          holder.stdin.end();
          if (holder.exitCode === null && holder.signalCode === null) holder.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
