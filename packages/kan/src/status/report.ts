/**
 * The body of GET /kan/v1/status (pure): this kan, its view of its peers and qsen, restart
 * history and back-off, schedule, system figures, certificates. routes/status.ts reads the facts
 * (files, the system, the watchdog's view) and hands them here, as qsen's status/report.ts does.
 */
import type { TrustStatus } from '@qsen/core/http';
import { uptimeSeconds, type WindowDescription, type WindowState } from '@qsen/core/schedule';
import type { ProcessName } from '../process/control.js';
import type { RestartLedger, TargetHistory } from '../watchdog/ledger.js';
import type { TargetView } from '../watchdog/watchdog.js';
import type { VersionInfo } from '../version.js';

/** What one status answer is built from, read at one instant `now`. */
export interface KanStatusFacts {
  readonly now: number;
  readonly node: {
    readonly index: number;
    readonly pid: number;
    readonly startedAt: number;
    readonly version: VersionInfo;
    readonly controlMode: string;
    readonly memory: NodeJS.MemoryUsage;
  };
  /** The watchdog's view of its targets (empty without a watchdog). */
  readonly targets: readonly TargetView[];
  readonly history: Partial<Record<ProcessName, TargetHistory>>;
  /** The ledger's back-off standing of a target (pure). */
  readonly standing: RestartLedger['standing'];
  readonly window: WindowState;
  /** The same window for people (core's describeWindow): adds timezone, continuous, nextChangeLocal and summary to `schedule`. */
  readonly description?: WindowDescription;
  readonly dailyRestartDueAt: number | null;
  readonly system: unknown;
  readonly certificates: unknown;
  readonly tls: TrustStatus;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Builds the status body (pure). */
export function buildKanStatus(facts: KanStatusFacts): Record<string, unknown> {
  const { now, history, window } = facts;
  const targets = facts.targets.map((t) => {
    const h = history[t.name];
    const { allowedAt, crashLoop } = facts.standing(h, now, t.lastSeenAt);
    return {
      name: t.name, port: t.port, verdict: t.verdict.kind, lastOutcome: t.lastOutcome, consecutiveFailures: t.failures,
      lastSeen: iso(t.lastSeenAt), lastProbe: iso(t.lastProbeAt), lastProbeMs: t.lastProbeMs === null ? null : Math.round(t.lastProbeMs * 10) / 10,
      pid: t.owner?.pid ?? t.reportedPid, owner: t.owner === null ? null : { state: t.owner.state, pid: t.owner.pid, invocation: t.owner.invocation, startedAt: iso(t.owner.startedAt) },
      staleProbesDiscarded: t.staleProbes, busyProbes: t.busyProbes, stopped: t.stopped, watchingConnection: t.watching,
      lastAction: t.lastAction === null ? null : { at: iso(t.lastAction.at), action: t.lastAction.action.kind, outcome: t.lastAction.outcome },
      backoff: { streak: h?.streak ?? 0, crashLoop, nextRestartAllowedAt: allowedAt > now ? iso(allowedAt) : null },
      // How the owner saw its last invocation end: code or signal, time, the explaining stderr line (local mode).
      lastExit: t.owner?.lastExit ?? null,
    };
  });
  const { node } = facts;
  return {
    node: {
      index: node.index, pid: node.pid, uptimeSeconds: uptimeSeconds(node.startedAt, now), version: node.version,
      controlMode: node.controlMode, memory: node.memory,
    },
    targets,
    restartHistory: Object.fromEntries(Object.entries(history).map(([k, v]) => [k, { streak: v.streak, lastRestartAt: v.lastRestartAt === 0 ? null : iso(v.lastRestartAt), events: v.events.slice(-10) }])),
    schedule: {
      window,
      nextScheduledAction: { action: window.open ? 'stop qsen' : 'start qsen', at: iso(window.nextChangeAt) },
      dailyRestartAt: iso(facts.dailyRestartDueAt),
      // Added for people (docs/kan.md): the zone, whether the window never closes, the next change on the zone's clock.
      ...(facts.description === undefined ? {} : {
        timezone: facts.description.timezone, continuous: facts.description.continuous,
        nextChangeLocal: facts.description.nextChangeLocal, summary: facts.description.summary,
      }),
    },
    system: facts.system,
    certificates: facts.certificates,
    tls: facts.tls,
  };
}
