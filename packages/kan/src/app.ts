/**
 * The kan application: every endpoint of docs/api.md §5 on the shared mutual-TLS express
 * layer. It never listens and never reads the environment; main.ts (or a test) builds the
 * dependencies and listens.
 */
import type express from 'express';
import type winston from 'winston';
import type { Registry } from 'prom-client';
import { buildMetricName, createApiApp, createPingCounter, getCaller, INTERNAL_PINGS_SUFFIX, type QsenConfig, type TrustStatus, type AuditSink } from '@qsen/core';
import type { KanMetrics } from './metrics/kan-metrics.js';
import type { ProcessControl } from './process/control.js';
import type { Watchdog } from './watchdog/watchdog.js';
import type { RestartRequests } from './watchdog/requests.js';
import type { RestartLedger } from './watchdog/ledger.js';
import type { VersionInfo } from './version.js';
import { mountPingRoutes } from './routes/ping.js';
import { mountVersionRoutes } from './routes/version.js';
import { mountStatusRoutes } from './routes/status.js';
import { mountRestartRoutes } from './routes/restart.js';
import { mountLogRoutes } from './routes/logs.js';
import { mountMetricsRoutes } from './routes/metrics.js';
import { mountCmdRoutes } from './routes/cmd.js';
import { mountAuditRoutes } from './routes/audit.js';

/** Everything the kan app needs. */
export interface KanAppDeps {
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
  readonly now: () => number;
  readonly startedAt: number;
  readonly version: VersionInfo;
  /** The node_exporter proxy's timeout (default NODE_EXPORTER_TIMEOUT_MS). */
  readonly nodeExporterTimeoutMs?: number;
  /** The TLS material this kan enforces (CRL number), for status. */
  readonly tls: () => TrustStatus;
}

/** Builds the kan express app; `close()` releases the node_exporter proxy. */
export function createApp(deps: KanAppDeps): { app: express.Express; close(): void } {
  let proxy: { close(): void } = { close: () => undefined };
  const app = createApiApp({
    logger: deps.logger,
    // The route table declares the state-changing routes (and their actions) and the internal ones.
    onStateChangeRefused: (req, action, code) => {
      const caller = getCaller(req);
      deps.audit.record({ action, subject: caller.subject ?? 'unknown', outcome: 'refused', code, requestId: caller.requestId });
    },
    onInternalRequest: createPingCounter(deps.registry, buildMetricName('kan', INTERNAL_PINGS_SUFFIX)),
    mount: (a) => {
      mountPingRoutes(a, { startedAt: deps.startedAt, now: deps.now });
      mountVersionRoutes(a, { version: deps.version });
      mountStatusRoutes(a, {
        selfIndex: deps.selfIndex, startedAt: deps.startedAt, now: deps.now, version: deps.version, control: deps.control,
        watchdog: deps.watchdog, ledger: deps.ledger, schedule: deps.config.schedule,
        folders: { logs: deps.config.paths.logs, data: deps.config.paths.data },
        certificates: { server: deps.config.tls.cert, ca: deps.config.tls.ca }, tls: deps.tls,
      });
      mountRestartRoutes(a, { selfIndex: deps.selfIndex, requests: deps.requests });
      mountLogRoutes(a, { dir: deps.config.paths.logs, audit: deps.audit, logger: deps.logger, metrics: deps.metrics, now: deps.now });
      proxy = mountMetricsRoutes(a, {
        registry: deps.registry, nodeExporterUrl: deps.config.node_exporter.url, logger: deps.logger,
        ...(deps.nodeExporterTimeoutMs !== undefined ? { timeoutMs: deps.nodeExporterTimeoutMs } : {}),
      });
      mountCmdRoutes(a, { installDir: deps.config.paths.install });
      mountAuditRoutes(a, { dir: deps.config.paths.logs, retentionDays: deps.config.logging.audit_retention_days, now: deps.now });
    },
  });
  return { app, close: () => proxy.close() };
}
