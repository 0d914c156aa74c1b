/** GET /kan/v1/status: this kan, its view of its peers and qsen, restart history and back-off, schedule, system figures, certificates. */
import type express from 'express';
import { defineRoute, describeWindow, evaluateWindow, sendJson, ROLES, type ScheduleConfig, type TrustStatus } from '@qsen/core';
import type { ProcessControl } from '../process/control.js';
import type { Watchdog } from '../watchdog/watchdog.js';
import type { RestartLedger } from '../watchdog/ledger.js';
import { readSystemFigures } from '../status/system.js';
import { readCertificateFigures } from '../status/certificates.js';
import type { VersionInfo } from '../version.js';

/** What the status route needs. */
export interface StatusDeps {
  readonly selfIndex: number;
  readonly startedAt: number;
  readonly now: () => number;
  readonly version: VersionInfo;
  readonly control: ProcessControl;
  readonly watchdog: Watchdog | null;
  readonly ledger: RestartLedger;
  readonly schedule: ScheduleConfig;
  readonly folders: { logs: string; data: string };
  readonly certificates: Record<string, string>;
  /** The TLS material in force (CRL number, revoked count, last reload error). */
  readonly tls: () => TrustStatus;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Mounts the status endpoint. */
export function mountStatusRoutes(app: express.Express, deps: StatusDeps): void {
  defineRoute(app, '/kan/v1/status', {
    GET: {
      roles: ROLES,
      handler: async (_req, res) => {
        const now = deps.now();
        const [history, system, certificates] = await Promise.all([
          deps.ledger.readAll(),
          readSystemFigures(deps.folders).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
          readCertificateFigures(deps.certificates, new Date(now)),
        ]);
        const targets = (deps.watchdog?.view() ?? []).map((t) => {
          const h = history[t.name];
          const { allowedAt, crashLoop } = deps.ledger.standing(h, now, t.lastSeenAt);
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
        const window = evaluateWindow(deps.schedule, now);
        const described = describeWindow(deps.schedule, now);
        sendJson(res, {
          node: {
            index: deps.selfIndex, pid: process.pid, uptimeSeconds: Math.floor((now - deps.startedAt) / 1000), version: deps.version,
            controlMode: deps.control.mode, memory: process.memoryUsage(),
          },
          targets,
          restartHistory: Object.fromEntries(Object.entries(history).map(([k, v]) => [k, { streak: v.streak, lastRestartAt: v.lastRestartAt === 0 ? null : iso(v.lastRestartAt), events: v.events.slice(-10) }])),
          schedule: {
            window,
            nextScheduledAction: { action: window.open ? 'stop qsen' : 'start qsen', at: iso(window.nextChangeAt) },
            // Added for people (docs/kan.md): the zone, whether the window never closes, the next change on the zone's clock.
            timezone: deps.schedule.timezone,
            continuous: described.continuous,
            nextChangeLocal: described.nextChangeLocal,
            summary: described.summary,
            dailyRestartAt: iso(deps.watchdog?.dailyRestartDueAt ?? null),
          },
          system,
          certificates,
          tls: deps.tls(),
        });
      },
    },
  });
}
