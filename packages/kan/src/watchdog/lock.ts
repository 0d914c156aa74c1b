/**
 * A lock that dies with its holder: a Linux abstract Unix socket bound to a name derived from
 * the run folder and the target. The kernel frees the name when the holder exits, even after
 * SIGKILL; there is no file to clean up and no native addon.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { systemClock, type Clock } from '@qsen/core/schedule';

/** A held lock; `release()` frees it. */
export interface HeldLock {
  release(): Promise<void>;
}

/** The abstract socket name of a lock (pure). */
export function lockAddress(runDir: string, name: string): string {
  const hash = createHash('sha256').update(runDir).digest('hex').slice(0, 16);
  return `\0qsen-${hash}-${name}`;
}

/** Tries to take the lock once: resolves with it, or null when another process (or this one) holds it. */
export function tryLock(runDir: string, name: string): Promise<HeldLock | null> {
  const server: Server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(null);
      else reject(err);
    });
    server.listen({ path: lockAddress(runDir, name) }, () => {
      server.unref();
      let released = false;
      resolve({
        release: () => new Promise<void>((done) => {
          if (released) { done(); return; }
          released = true;
          server.close(() => done());
        }),
      });
    });
  });
}

/** Takes the lock, retrying every `retryMs` until `timeoutMs`; null on timeout. */
export async function acquireLock(runDir: string, name: string, opts: { timeoutMs: number; retryMs?: number; clock?: Clock }): Promise<HeldLock | null> {
  const clock = opts.clock ?? systemClock;
  const deadline = clock.now() + opts.timeoutMs;
  for (;;) {
    const lock = await tryLock(runDir, name);
    if (lock !== null) return lock;
    if (clock.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, opts.retryMs ?? 50));
  }
}
