/** GET /kan/v1/status: this kan, its view of its peers and qsen, restart history and back-off, schedule, system figures, certificates. */
import express from 'express';
import type { ScheduleConfig } from '@qsen/core/config';
import { defineRoute, sendJson, ROLES, type TrustStatus } from '@qsen/core/http';
import { describeWindow, evaluateWindow, type Clock } from '@qsen/core/schedule';
import type { ProcessControl } from '../process/control.js';
import type { Watchdog } from '../watchdog/watchdog.js';
import type { RestartLedger } from '../watchdog/ledger.js';
import { readSystemFigures } from '../status/system.js';
import { readCertificateFigures } from '../status/certificates.js';
import { buildKanStatus } from '../status/report.js';
import type { VersionInfo } from '../version.js';
import { errorMessage } from '@qsen/core/errors';

/** What the status route needs. */
export interface StatusDeps {
  readonly selfIndex: number;
  readonly startedAt: number;
  /** The clock of the answers' times (injectable). */
  readonly clock: Clock;
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

/** The status endpoint: reads the facts, builds the body (status/report.ts). */
export function createStatusRoutes(deps: StatusDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/kan/v1/status', {
    GET: {
      roles: ROLES,
      handler: async (_req, res) => {
        const now = deps.clock.now();
        const [history, system, certificates] = await Promise.all([
          deps.ledger.readAll(),
          readSystemFigures(deps.folders).catch((err: unknown) => ({ error: errorMessage(err) })),
          readCertificateFigures(deps.certificates, new Date(now)),
        ]);
        sendJson(res, buildKanStatus({
          now,
          node: { index: deps.selfIndex, pid: process.pid, startedAt: deps.startedAt, version: deps.version, controlMode: deps.control.mode, memory: process.memoryUsage() },
          targets: deps.watchdog?.view() ?? [],
          history,
          standing: (h, at, lastHealthyAt) => deps.ledger.standing(h, at, lastHealthyAt),
          window: evaluateWindow(deps.schedule, now),
          description: describeWindow(deps.schedule, now),
          dailyRestartDueAt: deps.watchdog?.dailyRestartDueAt ?? null,
          system,
          certificates,
          tls: deps.tls(),
        }));
      },
    },
  });
  return router;
}
