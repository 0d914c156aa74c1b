/**
 * The agent's kill switch. Halted means a halt is held in memory or the file `halt.json` exists
 * in the data folder (its format, reader and writer are core's killswitch/halt-marker.ts, shared
 * with qsen-admin and the kans' console). The file is written atomically (temp file, fsync,
 * rename, fsync of the folder) and checked on every sendOrder, so a halt takes effect at once and survives restarts,
 * whether it came from the API or from the `qsen-admin` command on the server (no network needed).
 *
 * Halting never depends on free space (docs/qsen.md, "Storage faults"): the halt is held in
 * memory first, so every order is refused at once, then persisted. When the file cannot be
 * written (full disk), the temporary file is removed, the halt stays in force in memory and is
 * persisted again every `retryMs` until it succeeds or `resume` lifts it.
 */
import { isHaltMarked, readHaltMarker, removeHaltMarker, writeHaltMarker, type CancelOpenRequest, type HaltMarker } from '@qsen/core/killswitch';

/** The switch's state as shown in status: the marker's, plus whether a halt held in memory is on disk yet. */
export interface KillSwitchState extends HaltMarker {
  /** Present (false) while the halt is held in memory only: its file could not be written yet. */
  readonly persisted?: false;
  /** Why it could not be written (ENOSPC, EROFS, ...). */
  readonly persistError?: string;
}

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
  const retryMs = options.retryMs ?? 1000;
  /** A halt in force that is not (yet) on disk. */
  let held: KillSwitchState | undefined;
  let retry: NodeJS.Timeout | undefined;

  function persistHeld(): string | undefined {
    if (!held) return undefined;
    try {
      writeHaltMarker(dataDir, held);
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
      return held !== undefined || isHaltMarked(dataDir);
    },
    read() {
      return held ?? readHaltMarker(dataDir);
    },
    halt(by, reason, now, cancelOpen) {
      // A halt already in force stands: its since, by and reason are when and why the flow
      // stopped, and a later halt (another operator, the dead man's switch) never rewrites them;
      // a later cancelOpen request is still recorded (docs/qsen.md, "A halt while halted").
      const current = held ?? readHaltMarker(dataDir);
      const standing = current.halted && current.since !== undefined && current.by !== undefined ? current : undefined;
      // A new request under a standing halt carries its own by and reason (the run is audited with them).
      const request = cancelOpen && standing ? { ...cancelOpen, by, ...(reason ? { reason } : {}) } : cancelOpen ?? standing?.cancelOpen;
      const state: KillSwitchState = standing
        ? { halted: true, since: standing.since, by: standing.by, ...(standing.reason ? { reason: standing.reason } : {}), ...(request ? { cancelOpen: request } : {}) }
        : { halted: true, since: now.toISOString(), by, ...(reason ? { reason } : {}), ...(cancelOpen ? { cancelOpen } : {}) };
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
      removeHaltMarker(dataDir);
      return { halted: false };
    },
    close() {
      clearInterval(retry);
      retry = undefined;
    },
  };
}
