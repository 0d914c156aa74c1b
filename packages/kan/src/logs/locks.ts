/**
 * Truncation and reads of one log folder, coordinated across processes (the three kans and
 * anything else that truncates) with the locks that die with their holder (watchdog/lock.ts:
 * Linux abstract sockets, freed by the kernel even on SIGKILL). For a folder `dir`:
 *
 * - `logs-truncate`: one truncation at a time in the folder (waits up to `truncateWaitMs`);
 * - `logs-w-<file>`: held by the truncation of that file while it runs or waits for readers;
 * - `logs-r-<file>-<k>`, k < `readSlots`: one per download or tail of that file in flight.
 *
 * A reader takes a free slot, then checks that no truncation of its file is pending; if one is,
 * it gives the slot back and waits (up to `readWaitMs`). A truncation, holding the folder lock,
 * takes its file's marker and then every slot of the file (waiting up to `readersWaitMs`), so it
 * starts only once the reads that began before it are over, and none begins meanwhile. The kernel
 * orders the binds, so a reader either sees the marker or holds a slot the truncation waits for.
 * A reader that stays in flight `readerYieldMs` after a truncation of its file began waiting is
 * told to stop (a download cuts its connection: the client sees fewer bytes than Content-Length).
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { acquireLock, lockAddress, tryLock, type HeldLock } from '../watchdog/lock.js';

/** Timing and sizes of the log locks. */
export interface LogLockSettings {
  /** A truncation waits this long for the folder's truncation lock, then answers TRUNCATE_BUSY. */
  readonly truncateWaitMs: number;
  /** A truncation waits this long for the reads of its file to end, then answers TRUNCATE_BUSY. */
  readonly readersWaitMs: number;
  /** A read waits this long for a truncation of its file to end, then answers LOGS_BUSY. */
  readonly readWaitMs: number;
  /** A read still in flight this long after a truncation of its file began waiting is stopped. */
  readonly readerYieldMs: number;
  /** Concurrent reads of one file, all processes together. */
  readonly readSlots: number;
  /** How often waiters retry and readers look for a pending truncation. */
  readonly pollMs: number;
}

/** The production values (docs/kan.md, "Truncation"). */
export const LOG_LOCK_DEFAULTS: LogLockSettings = Object.freeze({
  truncateWaitMs: 15_000, readersWaitMs: 10_000, readWaitMs: 15_000, readerYieldMs: 5_000, readSlots: 32, pollMs: 20,
});

/** Why a lock could not be had in time. */
export type LockRefusal = 'truncation-busy' | 'readers-busy' | 'slots-full';

/** The short key of a file name inside lock names (pure). */
export function fileKey(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 16);
}

const markerName = (name: string): string => `logs-w-${fileKey(name)}`;
const slotName = (name: string, k: number): string => `logs-r-${fileKey(name)}-${k}`;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether some process holds a lock (a connection to its socket is accepted). */
export function isLockHeld(dir: string, name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path: lockAddress(dir, name) });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => { socket.destroy(); resolve(false); });
  });
}

/** Releases the slots, then the marker (so a reader never sees neither the marker nor a free slot). */
async function releaseAll(locks: readonly HeldLock[]): Promise<void> {
  const [marker, ...slots] = locks;
  await Promise.all(slots.map((l) => l.release()));
  await marker?.release();
}

/** The name of a log folder's truncation lock. */
export const TRUNCATION_LOCK = 'logs-truncate';

/** The folder's truncation lock; null when another truncation held it for `truncateWaitMs`. */
export function acquireTruncationLock(dir: string, settings: LogLockSettings = LOG_LOCK_DEFAULTS): Promise<HeldLock | null> {
  return acquireLock(dir, TRUNCATION_LOCK, { timeoutMs: settings.truncateWaitMs, retryMs: settings.pollMs });
}

/**
 * Under the folder's truncation lock: marks a truncation of `name` pending and waits until no read
 * of it is in flight. Resolves with the lock to release when done, or null after `readersWaitMs`.
 */
export async function excludeReaders(dir: string, name: string, settings: LogLockSettings = LOG_LOCK_DEFAULTS): Promise<HeldLock | null> {
  const deadline = Date.now() + settings.readersWaitMs;
  const held: HeldLock[] = [];
  const marker = await acquireLock(dir, markerName(name), { timeoutMs: settings.readersWaitMs, retryMs: settings.pollMs });
  if (marker === null) return null;
  held.push(marker);
  for (let k = 0; k < settings.readSlots; k++) {
    const slot = await acquireLock(dir, slotName(name, k), { timeoutMs: Math.max(0, deadline - Date.now()), retryMs: settings.pollMs });
    if (slot === null) {
      await releaseAll(held);
      return null;
    }
    held.push(slot);
  }
  return { release: () => releaseAll(held) };
}

/** A read in flight; `release()` frees its slot (idempotent). */
export interface ReadSlot extends HeldLock {
  /** Calls `stop` once a truncation of the file has waited `readerYieldMs` for this read. */
  yieldTo(stop: () => void): void;
}

/** Takes a read slot of `name`: waits while a truncation of it is pending, up to `readWaitMs`. */
export async function acquireReadSlot(dir: string, name: string, settings: LogLockSettings = LOG_LOCK_DEFAULTS): Promise<ReadSlot | LockRefusal> {
  const deadline = Date.now() + settings.readWaitMs;
  const first = Math.floor(Math.random() * settings.readSlots);
  let fullOnce = false;
  for (;;) {
    let slot: HeldLock | null = null;
    for (let i = 0; i < settings.readSlots && slot === null; i++) slot = await tryLock(dir, slotName(name, (first + i) % settings.readSlots));
    const pending = await isLockHeld(dir, markerName(name));
    if (slot !== null && !pending) return watchedSlot(dir, name, slot, settings);
    await slot?.release();
    if (!pending) {
      // Every slot was taken: other reads', or a truncation's that ended during the scan. Look once more.
      if (fullOnce) return 'slots-full';
      fullOnce = true;
      continue;
    }
    if (Date.now() >= deadline) return 'truncation-busy';
    await pause(settings.pollMs); // a truncation of the file is pending or running (it holds the slots then)
  }
}

function watchedSlot(dir: string, name: string, slot: HeldLock, settings: LogLockSettings): ReadSlot {
  let timer: NodeJS.Timeout | undefined;
  let released = false;
  return {
    release() {
      released = true;
      if (timer) clearInterval(timer);
      return slot.release();
    },
    yieldTo(stop) {
      let pendingSince: number | null = null;
      let checking = false;
      timer = setInterval(() => {
        if (checking || released) return;
        checking = true;
        void isLockHeld(dir, markerName(name)).then((pending) => {
          checking = false;
          if (released) return;
          const now = Date.now();
          pendingSince = pending ? (pendingSince ?? now) : null;
          if (pendingSince !== null && now - pendingSince >= settings.readerYieldMs) {
            clearInterval(timer);
            stop();
          }
        });
      }, Math.max(settings.pollMs, 100));
      timer.unref();
    },
  };
}
