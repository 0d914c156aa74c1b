/**
 * The restart history and back-off state shared by the three kans: one JSON file per target in
 * the run folder, read-modified-written only under that target's lock, replaced atomically
 * (write + rename), so readers never see half a file.
 */
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PROCESS_NAMES, type ProcessName } from '../process/control.js';
import type { BackoffRecord } from './policy.js';

/** One start, restart or stop made by a kan. */
export interface RestartEvent {
  readonly at: string;
  readonly target: ProcessName;
  readonly action: 'start' | 'restart' | 'stop';
  readonly reason: string;
  /** Index of the kan that acted. */
  readonly by: number;
  readonly invocationBefore: string;
  readonly invocationAfter: string | null;
  readonly ok: boolean;
  /** The caller's certificate subject, for restarts asked over the API. */
  readonly subject?: string;
}

/** The back-off state and recent events of one target. */
export interface TargetHistory extends BackoffRecord {
  readonly events: readonly RestartEvent[];
}

/** Events kept per target. */
export const HISTORY_EVENTS_KEPT = 50;

/** The history file of one target. */
export function historyFile(runDir: string, target: ProcessName): string {
  return join(runDir, `kan-history-${target}.json`);
}

/** Reads one target's shared history (undefined when absent or unreadable). */
export async function readHistory(runDir: string, target: ProcessName): Promise<TargetHistory | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(historyFile(runDir, target), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as TargetHistory) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads every target's history. */
export async function readAllHistory(runDir: string): Promise<Partial<Record<ProcessName, TargetHistory>>> {
  const out: Partial<Record<ProcessName, TargetHistory>> = {};
  for (const name of PROCESS_NAMES) {
    const h = await readHistory(runDir, name);
    if (h !== undefined) out[name] = h;
  }
  return out;
}

/** Appends an event and updates the back-off record (pure). `streak` is the streak this restart continues. */
export function recordEvent(prior: TargetHistory | undefined, event: RestartEvent, streak: number, countsForBackoff: boolean, now: number): TargetHistory {
  const events = [...(prior?.events ?? []), event].slice(-HISTORY_EVENTS_KEPT);
  return countsForBackoff
    ? { streak: streak + 1, lastRestartAt: now, events }
    : { streak: prior?.streak ?? 0, lastRestartAt: prior?.lastRestartAt ?? 0, events };
}

/** Writes one target's history atomically (only under that target's lock). */
export async function writeHistory(runDir: string, target: ProcessName, history: TargetHistory): Promise<void> {
  await mkdir(runDir, { recursive: true });
  const file = historyFile(runDir, target);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(history, null, 2));
  await rename(tmp, file);
}
