/**
 * The agent's kill switch. Halted means a halt is held in memory or the file `halt.json` exists
 * in the data folder. The file is written atomically (temp file, fsync, rename, fsync of the
 * folder) and checked on every sendOrder, so a halt takes effect at once and survives restarts,
 * whether it came from the API or from the `qsen-admin` command on the server (no network needed).
 *
 * Halting never depends on free space (docs/qsen.md, "Storage faults"): the halt is held in
 * memory first, so every order is refused at once, then persisted. When the file cannot be
 * written (full disk), the temporary file is removed, the halt stays in force in memory and is
 * persisted again every `retryMs` until it succeeds or `resume` lifts it.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { syncPath, writeFileAtomicSync } from '../storage/files.js';

/** The switch's state as shown in status. */
export interface KillSwitchState {
  readonly halted: boolean;
  /** When the halt was set (ISO). */
  readonly since?: string;
  /** Who set it (certificate subject, or `local:<user>` from the server shell). */
  readonly by?: string;
  readonly reason?: string;
  /** Present (false) while the halt is held in memory only: its file could not be written yet. */
  readonly persisted?: false;
  /** Why it could not be written (ENOSPC, EROFS, ...). */
  readonly persistError?: string;
  /** The halt also asked to cancel every resting order: the mass cancel run it asked for (docs/qsen.md, "Pulling resting orders"). */
  readonly cancelOpen?: CancelOpenRequest;
}

/** A mass cancel asked for with a halt, kept in the halt marker so that neither a crash nor the shell command can lose it. */
export interface CancelOpenRequest {
  readonly run: string;
  readonly requestedAt: string;
  readonly channel: 'api' | 'local' | 'deadman';
}

function readCancelOpen(value: unknown): CancelOpenRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const { run, requestedAt, channel } = fields;
  if (typeof run !== 'string' || typeof requestedAt !== 'string' || (channel !== 'api' && channel !== 'local' && channel !== 'deadman')) return undefined;
  return { run, requestedAt, channel };
}

/** File name of the halt marker inside the data folder. */
export const HALT_FILE = 'halt.json';

/** The kill switch of one data folder. */
export interface KillSwitch {
  /** True while halted (one stat per call). */
  isHalted(): boolean;
  /** The full state (memory first, then the file). */
  read(): KillSwitchState;
  /** Turns the switch on: at once in memory, then durably (retried while it fails: `persisted: false`); `cancelOpen` records a mass cancel request in the marker. */
  halt(by: string, reason: string | undefined, now: Date, cancelOpen?: CancelOpenRequest): KillSwitchState;
  /** Turns the switch off (removing a file needs no free space); returns the new state. */
  resume(): KillSwitchState;
  /** Stops the persist retries. */
  close(): void;
}

/** How the switch retries. */
export interface KillSwitchOptions {
  /** Interval of the persist retries of a halt held in memory (default 1000 ms; 0: no retries). */
  readonly retryMs?: number;
}

function codeOf(err: unknown): string {
  return typeof (err as NodeJS.ErrnoException).code === 'string' ? String((err as NodeJS.ErrnoException).code) : 'EIO';
}

/** Opens the kill switch kept in `dataDir`. */
export function openKillSwitch(dataDir: string, options: KillSwitchOptions = {}): KillSwitch {
  const file = join(dataDir, HALT_FILE);
  const retryMs = options.retryMs ?? 1000;
  /** A halt in force that is not (yet) on disk. */
  let held: KillSwitchState | undefined;
  let retry: NodeJS.Timeout | undefined;

  function persistHeld(): string | undefined {
    if (!held) return undefined;
    const { halted, since, by, reason, cancelOpen } = held;
    try {
      mkdirSync(dataDir, { recursive: true });
      writeFileAtomicSync(file, `${JSON.stringify({ halted, since, by, ...(reason ? { reason } : {}), ...(cancelOpen ? { cancelOpen } : {}) })}\n`);
      held = undefined;
      return undefined;
    } catch (err) {
      return codeOf(err);
    }
  }

  function scheduleRetry(): void {
    if (retry || retryMs <= 0) return;
    retry = setInterval(() => {
      if (persistHeld() === undefined) {
        clearInterval(retry);
        retry = undefined;
      }
    }, retryMs);
    retry.unref();
  }

  return {
    isHalted() {
      // No exception for the usual "not halted" case: this runs on every sendOrder.
      return held !== undefined || statSync(file, { throwIfNoEntry: false }) !== undefined;
    },
    read() {
      if (held) return held;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return { halted: false };
      }
      try {
        const value = JSON.parse(text) as Record<string, unknown>;
        const cancelOpen = readCancelOpen(value['cancelOpen']);
        return {
          halted: true,
          ...(typeof value['since'] === 'string' ? { since: value['since'] } : {}),
          ...(typeof value['by'] === 'string' ? { by: value['by'] } : {}),
          ...(typeof value['reason'] === 'string' ? { reason: value['reason'] } : {}),
          ...(cancelOpen ? { cancelOpen } : {}),
        };
      } catch {
        // A damaged marker still halts: failing safe.
        return { halted: true };
      }
    },
    halt(by, reason, now, cancelOpen) {
      const state: KillSwitchState = { halted: true, since: now.toISOString(), by, ...(reason ? { reason } : {}), ...(cancelOpen ? { cancelOpen } : {}) };
      held = { ...state, persisted: false };
      const failed = persistHeld();
      if (failed === undefined) return state;
      held = { ...state, persisted: false, persistError: failed };
      scheduleRetry();
      return held;
    },
    resume() {
      held = undefined;
      clearInterval(retry);
      retry = undefined;
      rmSync(file, { force: true });
      try {
        syncPath(dataDir);
      } catch {
        // the folder may not exist when it was never halted
      }
      return { halted: false };
    },
    close() {
      clearInterval(retry);
      retry = undefined;
    },
  };
}
