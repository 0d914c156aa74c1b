/**
 * The nemesis: carries out the plan's fault schedule at its instants against the running system.
 * SENEBI windows go to the simulator's admin API; process faults hit qsen's current pid (kill -9,
 * SIGSTOP then SIGCONT) or its data disk (filled to ENOSPC, then freed). A fault whose target is
 * not there at its instant (qsen restarting, no data disk mounted) is counted as skipped. heal()
 * ends every fault at once.
 */
import type { CampaignPlan, ProcessEvent } from './plan.js';
import type { DataDisk } from './disk.js';

/** What the nemesis acts through. */
export interface NemesisTargets {
  /** Replaces the simulator's fault settings. */
  putFaults(settings: Readonly<Record<string, unknown>>): Promise<void>;
  /** qsen's current pid, or undefined while it is not running. */
  qsenPid(): Promise<number | undefined>;
  /** The data disk, when it could be mounted. */
  readonly disk: DataDisk | undefined;
  /** Fault kinds not to carry out (counted as skipped; the plan and its digest stay the same). */
  readonly skip: ReadonlySet<string>;
  readonly log: (line: string) => void;
}

/** What the nemesis did, by fault kind. */
export interface NemesisCounts {
  readonly done: Record<string, number>;
  readonly skipped: Record<string, number>;
  /** SIGSTOPs after which qsen was gone (the kans judged it hung and restarted it). */
  pausesEndedByRestart: number;
  /** Bytes written by the disk fills. */
  filledBytes: number;
}

const pauseUntil = (at: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

/** Sends a signal; false when the process is already gone. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Runs the plan's faults from `startedAt` (performance.now() origin); heal() stops them. */
export function createNemesis(plan: CampaignPlan, targets: NemesisTargets, startedAt: number): { run(): Promise<void>; heal(): Promise<void>; counts: NemesisCounts } {
  const counts: NemesisCounts = { done: {}, skipped: {}, pausesEndedByRestart: 0, filledBytes: 0 };
  const stopped = new Set<number>();
  const bump = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };

  const senebiTrack = async (): Promise<void> => {
    for (const window of plan.senebi) {
      if (targets.skip.has(window.fault)) {
        bump(counts.skipped, `senebi:${window.fault}`);
        continue;
      }
      await pauseUntil(startedAt + window.atMs);
      await targets.putFaults(window.settings);
      bump(counts.done, `senebi:${window.fault}`);
      await pauseUntil(startedAt + window.atMs + window.durationMs);
      await targets.putFaults({});
    }
  };

  const now = (): number => Math.round(performance.now() - startedAt);
  const processFault = async (event: ProcessEvent): Promise<void> => {
    if (targets.skip.has(event.fault)) {
      bump(counts.skipped, event.fault);
      return;
    }
    if (event.fault === 'disk_full') {
      if (!targets.disk) {
        bump(counts.skipped, event.fault);
        return;
      }
      const bytes = targets.disk.fill();
      counts.filledBytes += bytes;
      bump(counts.done, event.fault);
      targets.log(`  nemesis t=${now()}ms data disk full (${(bytes / 2 ** 20).toFixed(1)} MiB written)`);
      await pauseUntil(startedAt + event.atMs + event.durationMs);
      targets.disk.free();
      targets.log(`  nemesis t=${now()}ms data disk freed`);
      return;
    }
    const pid = await targets.qsenPid();
    if (pid === undefined) {
      bump(counts.skipped, event.fault);
      return;
    }
    if (!signal(pid, event.fault === 'kill' ? 'SIGKILL' : 'SIGSTOP')) {
      bump(counts.skipped, event.fault);
      return;
    }
    if (event.fault === 'kill') {
      bump(counts.done, event.fault);
      return;
    }
    stopped.add(pid);
    bump(counts.done, event.fault);
    await pauseUntil(startedAt + event.atMs + event.durationMs);
    stopped.delete(pid);
    if (!signal(pid, 'SIGCONT')) {
      counts.pausesEndedByRestart += 1;
      targets.log(`  nemesis t=${now()}ms pid ${pid} is gone (the kans judged it hung and restarted qsen)`);
    } else {
      targets.log(`  nemesis t=${now()}ms SIGCONT to pid ${pid}`);
    }
  };

  const processTrack = async (): Promise<void> => {
    for (const event of plan.process) {
      await pauseUntil(startedAt + event.atMs);
      targets.log(`  nemesis t=${now()}ms ${event.fault}${event.durationMs > 0 ? ` for ${event.durationMs} ms` : ''} (planned t=${event.atMs}ms)`);
      await processFault(event);
    }
  };

  return {
    counts,
    run: async () => {
      await Promise.all([senebiTrack(), processTrack()]);
    },
    heal: async () => {
      for (const pid of stopped) signal(pid, 'SIGCONT');
      stopped.clear();
      targets.disk?.free();
      await targets.putFaults({});
    },
  };
}
