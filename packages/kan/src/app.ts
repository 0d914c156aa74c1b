/**
 * The kan application: every endpoint of docs/api.md §5 on the shared mutual-TLS express
 * layer. It never listens and never reads the environment; node.ts builds the dependencies and
 * imports this module on the first request its front door does not answer itself (front-door.ts:
 * an idle kan loads neither express nor the routes).
 */
import type express from 'express';
import type winston from 'winston';
import type { Registry } from 'prom-client';
import type { QsenConfig } from '@qsen/core/config';
import { createApiApp, mountRoute, type ApiPartsOptions, type DeclaredRoute, type TrustStatus } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import type { KanMetrics } from './metrics/kan-metrics.js';
import type { ProcessControl } from './process/control.js';
import type { Watchdog } from './watchdog/watchdog.js';
import type { RestartRequests } from './watchdog/requests.js';
import type { RestartLedger } from './watchdog/ledger.js';
import type { VersionInfo } from './version.js';
import { createVersionRoutes } from './routes/version.js';
import { createStatusRoutes } from './routes/status.js';
import { createRestartRoutes } from './routes/restart.js';
import { createLogRoutes } from './routes/logs.js';
import { createMetricsRoutes } from './routes/metrics.js';
import { createCmdRoutes } from './routes/cmd.js';
import { createAuditRoutes } from './routes/audit.js';
import { createClusterRoutes } from './routes/cluster.js';
import type { LoopbackGet } from './cluster/loopback-client.js';
import { createConsoleRoutes } from './routes/console.js';

/** Everything the kan app needs. */
export interface KanAppDeps {
  /** The prologue's and error answer's options (logger, ping counter, refusal audit), made once: the front door runs the same. */
  readonly api: ApiPartsOptions;
  /** The ping route (declared once, answered by the front door before the app is built). */
  readonly ping: DeclaredRoute;
  readonly selfIndex: number;
  readonly config: QsenConfig;
  readonly logger: winston.Logger;
  readonly audit: AuditSink;
  readonly control: ProcessControl;
  readonly requests: RestartRequests;
  /** The watchdog whose view status shows (null: status shows no targets). */
  readonly watchdog: Watchdog | null;
  /** The restart ledger status shows. */
  readonly ledger: RestartLedger;
  readonly registry: Registry;
  readonly metrics: KanMetrics;
  readonly clock: Clock;
  readonly startedAt: number;
  readonly version: VersionInfo;
  /** The node_exporter proxy's timeout (default NODE_EXPORTER_TIMEOUT_MS). */
  readonly nodeExporterTimeoutMs?: number;
  /** The TLS material this kan enforces (CRL number), for status. */
  readonly tls: () => TrustStatus;
  /** Set on the gateway kan in four-port mode: its loopback client to the other nodes (the cluster view). */
  readonly cluster?: { readonly get: LoopbackGet };
}

/** Builds the kan express app; `close()` releases the node_exporter proxy. */
export function createApp(deps: KanAppDeps): { app: express.Express; close(): void } {
  let proxy: { close(): void } = { close: () => undefined };
  const app = createApiApp({
    ...deps.api,
    mount: (a) => {
      mountRoute(a, deps.ping);
      a.use(createVersionRoutes({ version: deps.version }));
      a.use(createStatusRoutes({
        selfIndex: deps.selfIndex, startedAt: deps.startedAt, clock: deps.clock, version: deps.version, control: deps.control,
        watchdog: deps.watchdog, ledger: deps.ledger, schedule: deps.config.schedule,
        folders: { logs: deps.config.paths.logs, data: deps.config.paths.data },
        certificates: { server: deps.config.tls.cert, ca: deps.config.tls.ca }, tls: deps.tls,
      }));
      a.use(createRestartRoutes({ selfIndex: deps.selfIndex, requests: deps.requests }));
      a.use(createLogRoutes({ dir: deps.config.paths.logs, audit: deps.audit, logger: deps.logger, metrics: deps.metrics, clock: deps.clock }));
      const metrics = createMetricsRoutes({
        registry: deps.registry, nodeExporterUrl: deps.config.node_exporter.url, logger: deps.logger,
        ...(deps.nodeExporterTimeoutMs !== undefined ? { timeoutMs: deps.nodeExporterTimeoutMs } : {}),
      });
      proxy = metrics;
      a.use(metrics.router);
      a.use(createCmdRoutes({ installDir: deps.config.paths.install }));
      a.use(createAuditRoutes({ dir: deps.config.paths.logs, retentionDays: deps.config.logging.audit_retention_days, clock: deps.clock }));
      if (deps.cluster) a.use(createClusterRoutes({ config: deps.config, get: deps.cluster.get }));
      a.use(createConsoleRoutes({
        selfIndex: deps.selfIndex, schedule: deps.config.schedule, dataDir: deps.config.paths.data, audit: deps.audit, clock: deps.clock,
        loopback: { caFile: deps.config.tls.ca }, ports: { qsen: deps.config.server.qsen_port, kans: deps.config.server.kan_ports },
      }));
    },
  });
  return { app, close: () => proxy.close() };
}
