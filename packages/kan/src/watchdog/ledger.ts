/**
 * The restart ledger: the one owner of the restart history and the back-off shared by the three
 * kans. One JSON file per target in the run folder, read-modified-written only under that
 * target's lock (coordinator.ts), replaced atomically (core's writeFileAtomic), so readers never see half
 * a file. The back-off settings are built here, once, from conf.toml's [watchdog].
 */
import { readFile, mkdir } from 'node:fs/promises';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { WatchdogConfig } from '@qsen/core/config';
import { writeFileAtomic } from '@qsen/core/storage';
import { PROCESS_NAMES, type ProcessName } from '../process/control.js';
import { assessBackoff, effectiveStreak, type BackoffPolicy, type BackoffRecord, type BackoffStanding } from './policy.js';

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

/** A restart cycle begun: written under the target's lock before the owner is asked to start or restart it. */
export interface RestartCycle {
  /** The invocation the start or restart replaces. */
  readonly replacing: string;
  /** When it began (epoch ms, the kans' clock). */
  readonly at: number;
}

/** The back-off state, recent events and last restart cycle of one target. */
export interface TargetHistory extends BackoffRecord {
  readonly events: readonly RestartEvent[];
  readonly cycle?: RestartCycle;
}

/** Events kept per target. */
export const HISTORY_EVENTS_KEPT = 50;

/** The back-off settings of a [watchdog] section: the one place they are built. */
export function backoffPolicyOf(settings: Pick<WatchdogConfig, 'backoff_initial_ms' | 'backoff_max_ms' | 'stable_after_ms'>): BackoffPolicy {
  return { backoffInitialMs: settings.backoff_initial_ms, backoffMaxMs: settings.backoff_max_ms, stableAfterMs: settings.stable_after_ms };
}

/** The history file of one target. */
export function historyFile(runDir: string, target: ProcessName): string {
  return join(runDir, `kan-history-${target}.json`);
}

/** Where archiveHistories keeps the previous run's history of a target. */
export function previousHistoryFile(runDir: string, target: ProcessName): string {
  return `${historyFile(runDir, target)}.previous`;
}

/**
 * A clean start of the whole system (the launcher's `npm start`, before any kan runs): each
 * target's history moves to `kan-history-<target>.json.previous` (one generation kept for the
 * post-mortem), so the back-off streak, the crash-loop flag and the restart count start from zero
 * instead of carrying an earlier run's. Synchronous: it runs before any process is started.
 * Returns the targets whose history was archived.
 */
export function archiveHistories(runDir: string): ProcessName[] {
  const archived: ProcessName[] = [];
  for (const target of PROCESS_NAMES) {
    const file = historyFile(runDir, target);
    if (!existsSync(file)) continue;
    renameSync(file, previousHistoryFile(runDir, target));
    archived.push(target);
  }
  return archived;
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

/** Appends an event and updates the back-off record (pure). `streak` is the streak this restart continues. */
export function recordEvent(prior: TargetHistory | undefined, event: RestartEvent, streak: number, countsForBackoff: boolean, now: number): TargetHistory {
  const events = [...(prior?.events ?? []), event].slice(-HISTORY_EVENTS_KEPT);
  const cycle = prior?.cycle !== undefined ? { cycle: prior.cycle } : {};
  return countsForBackoff
    ? { streak: streak + 1, lastRestartAt: now, events, ...cycle }
    : { streak: prior?.streak ?? 0, lastRestartAt: prior?.lastRestartAt ?? 0, events, ...cycle };
}

/** Writes one target's history atomically (only under that target's lock). */
async function writeHistory(runDir: string, target: ProcessName, history: TargetHistory): Promise<void> {
  await mkdir(runDir, { recursive: true });
  const file = historyFile(runDir, target);
  await writeFileAtomic(file, JSON.stringify(history, null, 2));
}

/** The restart ledger of one run folder. */
export interface RestartLedger {
  readonly runDir: string;
  readonly policy: BackoffPolicy;
  /** One target's history. */
  read(target: ProcessName): Promise<TargetHistory | undefined>;
  /** Every target's history. */
  readAll(): Promise<Partial<Record<ProcessName, TargetHistory>>>;
  /** The back-off standing of a target with history `history` (pure, with this ledger's policy). */
  standing(history: BackoffRecord | undefined, now: number, lastHealthyAt: number | null): BackoffStanding;
  /** Records that a restart cycle begins (only under the target's lock, before the owner acts). */
  beginCycle(target: ProcessName, cycle: RestartCycle): Promise<void>;
  /**
   * Appends an event (only under the target's lock): a restart that counts for the back-off
   * continues the streak this kan sees (`lastHealthyAt` resets it once the target ran stably).
   */
  record(target: ProcessName, event: RestartEvent, opts: { countsForBackoff: boolean; lastHealthyAt: number | null; now: number }): Promise<void>;
}

/** Makes the restart ledger of the run folder `runDir`. */
export function createRestartLedger(runDir: string, policy: BackoffPolicy): RestartLedger {
  const read = (target: ProcessName): Promise<TargetHistory | undefined> => readHistory(runDir, target);
  return {
    runDir,
    policy,
    read,
    async readAll() {
      const out: Partial<Record<ProcessName, TargetHistory>> = {};
      for (const name of PROCESS_NAMES) {
        const h = await read(name);
        if (h !== undefined) out[name] = h;
      }
      return out;
    },
    standing: (history, now, lastHealthyAt) => assessBackoff(history, now, lastHealthyAt, policy),
    async beginCycle(target, cycle) {
      const prior = await read(target);
      await writeHistory(runDir, target, { streak: prior?.streak ?? 0, lastRestartAt: prior?.lastRestartAt ?? 0, events: prior?.events ?? [], cycle });
    },
    async record(target, event, opts) {
      const prior = await read(target);
      const streak = effectiveStreak(prior, opts.lastHealthyAt, policy.stableAfterMs);
      await writeHistory(runDir, target, recordEvent(prior, event, streak, opts.countsForBackoff, opts.now));
    },
  };
}
