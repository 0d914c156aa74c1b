/**
 * qsen's express application: core's mutual-TLS API app with qsen's routes mounted. Never
 * listens and never reads the environment; everything comes in through `deps`.
 */
import type express from 'express';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import type { QsenConfig } from '@qsen/core/config';
import { auditStateChangeRefusals, createApiApp } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import { buildMetricName, createPingCounter, INTERNAL_PINGS_SUFFIX } from '@qsen/core/metrics';
import type { Clock } from '@qsen/core/schedule';
import type { DeadmanSwitch } from './deadman/switch.js';
import type { Halting } from './killswitch/halting.js';
import type { KillSwitch } from './killswitch/killswitch.js';
import type { MassCancel } from './killswitch/mass-cancel.js';
import type { RiskControls } from './risk/controls.js';
import type { OrderDesk } from './orders/desk.js';
import type { CancelDesk } from './orders/cancel.js';
import { createHeartbeatRoutes } from './routes/heartbeat.js';
import { createIdentityRoutes } from './routes/identity.js';
import { createKillSwitchRoutes } from './routes/killswitch.js';
import { createConsoleViewRoutes } from './routes/console.js';
import { createOrderRoutes } from './routes/orders.js';
import { createRiskRoutes } from './routes/risk.js';
import { createStatusRoutes } from './routes/status.js';
import type { SenebiClient } from './senebi/client.js';
import type { QsenFacts } from './status/report.js';

/** Everything the application needs. */
export interface AppDeps {
  readonly config: QsenConfig;
  readonly logger: winston.Logger;
  readonly clock: Clock;
  readonly desk: OrderDesk;
  readonly cancels: CancelDesk;
  readonly senebi: SenebiClient;
  readonly killSwitch: KillSwitch;
  /** Halting from the API (and the mass cancel it may start), the last mass cancel, the dead man's switch. */
  readonly halting: Halting;
  readonly massCancel: MassCancel;
  readonly deadman: DeadmanSwitch;
  readonly audit: AuditSink;
  readonly registry: Registry;
  readonly risk: RiskControls;
  /** What /status and the metrics read (built once by node.ts). */
  readonly facts: QsenFacts;
  readonly pid: number;
}

/** Builds the qsen application (routes of docs/api.md §4). */
export function createApp(deps: AppDeps): express.Express {
  const { config, clock } = deps;
  return createApiApp({
    logger: deps.logger,
    // The route table declares the state-changing routes (and their actions) and the internal ones.
    onStateChangeRefused: auditStateChangeRefusals(deps.audit),
    onInternalRequest: createPingCounter(deps.registry, buildMetricName('qsen', INTERNAL_PINGS_SUFFIX)),
    mount: (app) => {
      app.use(createOrderRoutes({ desk: deps.desk, cancels: deps.cancels, senebi: deps.senebi, range: config.id_range, timezone: config.schedule.timezone, clock, audit: deps.audit }));
      app.use(createRiskRoutes({ risk: deps.risk }));
      app.use(createKillSwitchRoutes({ killSwitch: deps.killSwitch, halting: deps.halting, massCancel: deps.massCancel, audit: deps.audit }));
      app.use(createHeartbeatRoutes({ deadman: deps.deadman }));
      app.use(createIdentityRoutes({ config, clock }));
      app.use(createStatusRoutes({ config, clock, facts: deps.facts, senebi: deps.senebi, registry: deps.registry, pid: deps.pid }));
      app.use(createConsoleViewRoutes({ facts: deps.facts, risk: deps.risk, clock, pid: deps.pid }));
    },
  });
}
