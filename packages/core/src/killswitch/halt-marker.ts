/**
 * The halt marker: the file `halt.json` in the data folder whose presence halts qsen (docs/qsen.md,
 * "Kill switch"). Its one format, reader and writer, for every process that turns the switch:
 * qsen (the API and the dead man's switch, through qsen's killswitch.ts), `qsen-admin` on the
 * server shell and the kans' browser console. It is written atomically and durably
 * (storage/atomic-file.ts), so qsen, which checks it on every sendOrder, sees a whole marker or
 * none. A marker that cannot be read still halts: failing safe.
 * Tested in packages/core/test/halt-marker.test.ts.
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { syncPath, writeFileAtomicSync } from '../storage/atomic-file.js';

/** File name of the halt marker inside the data folder. */
export const HALT_FILE = 'halt.json';

/** A mass cancel asked for with a halt, kept in the halt marker so that neither a crash nor the shell command can lose it. */
export interface CancelOpenRequest {
  readonly run: string;
  readonly requestedAt: string;
  readonly channel: 'api' | 'local' | 'deadman';
  /** Who asked for the run and why, when that differs from the standing halt's by and reason (a cancelOpen asked for while already halted). */
  readonly by?: string;
  readonly reason?: string;
}

/** What the marker says: halted or not, and when present since when, by whom, why, and the mass cancel it asks for. */
export interface HaltMarker {
  readonly halted: boolean;
  /** When the halt was set (ISO). */
  readonly since?: string;
  /** Who set it (certificate subject, or `local:<user>` from the server shell). */
  readonly by?: string;
  readonly reason?: string;
  /** The halt also asked to cancel every resting order (docs/qsen.md, "Pulling resting orders"). */
  readonly cancelOpen?: CancelOpenRequest;
}

function readCancelOpen(value: unknown): CancelOpenRequest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { run, requestedAt, channel, by, reason } = value as Record<string, unknown>;
  if (typeof run !== 'string' || typeof requestedAt !== 'string' || (channel !== 'api' && channel !== 'local' && channel !== 'deadman')) return undefined;
  return { run, requestedAt, channel, ...(typeof by === 'string' ? { by } : {}), ...(typeof reason === 'string' ? { reason } : {}) };
}

/** The marker's text for a halt (pure): one JSON line, optional fields only when set. */
export function formatHaltMarker(marker: Omit<HaltMarker, 'halted'>): string {
  const { since, by, reason, cancelOpen } = marker;
  return `${JSON.stringify({ halted: true, since, by, ...(reason ? { reason } : {}), ...(cancelOpen ? { cancelOpen } : {}) })}\n`;
}

/** What a present marker's text means (pure): its fields, or a bare halt when it is damaged. */
export function parseHaltMarker(text: string): HaltMarker {
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
}

/** Path of the marker of a data folder. */
export function haltMarkerPath(dataDir: string): string {
  return join(dataDir, HALT_FILE);
}

/** Tells whether the marker exists (one stat, no exception when it does not: this runs on every sendOrder). */
export function isHaltMarked(dataDir: string): boolean {
  return statSync(haltMarkerPath(dataDir), { throwIfNoEntry: false }) !== undefined;
}

/** Reads the marker: `{halted: false}` when absent. */
export function readHaltMarker(dataDir: string): HaltMarker {
  let text: string;
  try {
    text = readFileSync(haltMarkerPath(dataDir), 'utf8');
  } catch {
    return { halted: false };
  }
  return parseHaltMarker(text);
}

/** Writes the marker durably (creating the data folder); throws the file system's error (ENOSPC, EROFS, ...) when it cannot. */
export function writeHaltMarker(dataDir: string, marker: Omit<HaltMarker, 'halted'>): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileAtomicSync(haltMarkerPath(dataDir), formatHaltMarker(marker));
}

/** Removes the marker durably (removing needs no free space); nothing to do when it is absent. */
export function removeHaltMarker(dataDir: string): void {
  rmSync(haltMarkerPath(dataDir), { force: true });
  try {
    syncPath(dataDir);
  } catch {
    // the folder may not exist when it was never halted
  }
}
