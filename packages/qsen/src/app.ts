/**
 * qsen's express application: core's mutual-TLS API app with qsen's routes mounted. Never
 * listens and never reads the environment; everything comes in through `deps`.
 */
import type express from 'express';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { buildMetricName, createApiApp, createPingCounter, getCaller, INTERNAL_PINGS_SUFFIX, type AuditAction, type Clock, type QsenConfig } from '@qsen/core';
import type { AuditSink } from './audit/audit.js';
import type { KillSwitch } from './killswitch/killswitch.js';
import type { OrderDesk } from './orders/desk.js';
import { createIdentityRoutes } from './routes/identity.js';
import { createKillSwitchRoutes } from './routes/killswitch.js';
import { createOrderRoutes } from './routes/orders.js';
import { createStatusRoutes } from './routes/status.js';
import type { SenebiClient } from './senebi/client.js';
import type { StatusSources } from './status/report.js';

/** Internal paths (loopback peers, no client certificate). */
export const QSEN_INTERNAL_PATHS = ['/qsen/v1/ping'] as const;

/** The state-changing paths and their audit actions (refused from another site's page: 403 CROSS_SITE_REQUEST). */
export const QSEN_STATE_CHANGES = { '/qsen/v1/sendOrder': 'sendOrder', '/qsen/v1/halt': 'halt', '/qsen/v1/resume': 'resume' } as const satisfies Record<string, AuditAction>;

/** Everything the application needs. */
export interface AppDeps {
  readonly config: QsenConfig;
  readonly logger: winston.Logger;
  readonly clock: Clock;
  readonly desk: OrderDesk;
  readonly senebi: SenebiClient;
  readonly killSwitch: KillSwitch;
  readonly audit: AuditSink;
  readonly registry: Registry;
  readonly status: StatusSources;
  readonly pid: number;
}

/** Builds the qsen application (routes of docs/api.md §4). */
export function createApp(deps: AppDeps): express.Express {
  const { config, clock } = deps;
  return createApiApp({
    logger: deps.logger,
    internalPaths: QSEN_INTERNAL_PATHS,
    stateChangingPaths: Object.keys(QSEN_STATE_CHANGES),
    onStateChangeRefused: (req, path, code) => {
      const caller = getCaller(req);
      deps.audit.record({ action: QSEN_STATE_CHANGES[path as keyof typeof QSEN_STATE_CHANGES], subject: caller.subject ?? 'unknown', outcome: 'refused', code, requestId: caller.requestId });
    },
    onInternalRequest: createPingCounter(deps.registry, buildMetricName('qsen', INTERNAL_PINGS_SUFFIX), QSEN_INTERNAL_PATHS),
    mount: (app) => {
      app.use(createOrderRoutes({ desk: deps.desk, senebi: deps.senebi, range: config.id_range, timezone: config.schedule.timezone, clock, audit: deps.audit }));
      app.use(createKillSwitchRoutes({ killSwitch: deps.killSwitch, clock, audit: deps.audit }));
      app.use(createIdentityRoutes({ config, clock }));
      app.use(createStatusRoutes({ config, clock, status: deps.status, senebi: deps.senebi, registry: deps.registry, pid: deps.pid }));
    },
  });
}
