/**
 * The agent's kill switch. Halted means the file `halt.json` exists in the data folder; it is
 * written atomically (temp file, fsync, rename, fsync of the folder) and read on every sendOrder,
 * so a halt takes effect at once and survives restarts, whether it came from the API or from
 * the `qsen-admin` command on the server (no network needed).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The switch's state as shown in status. */
export interface KillSwitchState {
  readonly halted: boolean;
  /** When the halt was set (ISO). */
  readonly since?: string;
  /** Who set it (certificate subject, or `local:<user>` from the server shell). */
  readonly by?: string;
  readonly reason?: string;
}

/** File name of the halt marker inside the data folder. */
export const HALT_FILE = 'halt.json';

/** The kill switch of one data folder. */
export interface KillSwitch {
  /** True while halted (one stat per call). */
  isHalted(): boolean;
  /** The full state, read from disk. */
  read(): KillSwitchState;
  /** Turns the switch on (durably); returns the new state. */
  halt(by: string, reason: string | undefined, now: Date): KillSwitchState;
  /** Turns the switch off (durably); returns the new state. */
  resume(): KillSwitchState;
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens the kill switch kept in `dataDir`. */
export function openKillSwitch(dataDir: string): KillSwitch {
  const file = join(dataDir, HALT_FILE);
  return {
    isHalted() {
      // No exception for the usual "not halted" case: this runs on every sendOrder.
      return statSync(file, { throwIfNoEntry: false }) !== undefined;
    },
    read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return { halted: false };
      }
      try {
        const value = JSON.parse(text) as Record<string, unknown>;
        return {
          halted: true,
          ...(typeof value['since'] === 'string' ? { since: value['since'] } : {}),
          ...(typeof value['by'] === 'string' ? { by: value['by'] } : {}),
          ...(typeof value['reason'] === 'string' ? { reason: value['reason'] } : {}),
        };
      } catch {
        // A damaged marker still halts: failing safe.
        return { halted: true };
      }
    },
    halt(by, reason, now) {
      mkdirSync(dataDir, { recursive: true });
      const state: KillSwitchState = { halted: true, since: now.toISOString(), by, ...(reason ? { reason } : {}) };
      const temp = `${file}.${process.pid}.tmp`;
      const fd = openSync(temp, 'w', 0o640);
      try {
        writeSync(fd, `${JSON.stringify(state)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, file);
      syncFolder(dataDir);
      return state;
    },
    resume() {
      rmSync(file, { force: true });
      try {
        syncFolder(dataDir);
      } catch {
        // the folder may not exist when it was never halted
      }
      return { halted: false };
    },
  };
}
