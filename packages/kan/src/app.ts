/**
 * The kan application: every endpoint of docs/api.md §5 on the shared mutual-TLS express
 * layer. It never listens and never reads the environment; main.ts (or a test) builds the
 * dependencies and listens.
 */
import type express from 'express';
import type winston from 'winston';
import type { Registry } from 'prom-client';
import { buildMetricName, createApiApp, createPingCounter, getCaller, INTERNAL_PINGS_SUFFIX, type AuditAction, type QsenConfig } from '@qsen/core';
import type { AuditSink } from './audit.js';
import type { KanMetrics } from './metrics/kan-metrics.js';
import type { ProcessControl } from './process/control.js';
import type { Watchdog } from './watchdog/watchdog.js';
import type { RestartRequests } from './watchdog/requests.js';
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
  readonly registry: Registry;
  readonly metrics: KanMetrics;
  readonly now: () => number;
  readonly startedAt: number;
  readonly version: VersionInfo;
}

/** The internal (loopback-only) paths of kan. */
export const KAN_INTERNAL_PATHS = ['/kan/v1/ping'] as const;

/** The state-changing paths and their audit actions (refused from another site's page: 403 CROSS_SITE_REQUEST). */
export const KAN_STATE_CHANGES = { '/kan/v1/restart_qsen': 'restart_qsen', '/kan/v1/restart_kan': 'restart_kan', '/kan/v1/logs/truncate': 'logs/truncate' } as const satisfies Record<string, AuditAction>;

/** Builds the kan express app; `close()` releases the node_exporter proxy. */
export function createApp(deps: KanAppDeps): { app: express.Express; close(): void } {
  let proxy: { close(): void } = { close: () => undefined };
  const app = createApiApp({
    logger: deps.logger,
    internalPaths: KAN_INTERNAL_PATHS,
    stateChangingPaths: Object.keys(KAN_STATE_CHANGES),
    onStateChangeRefused: (req, path, code) => {
      const caller = getCaller(req);
      deps.audit.record({ action: KAN_STATE_CHANGES[path as keyof typeof KAN_STATE_CHANGES], subject: caller.subject ?? 'unknown', outcome: 'refused', code, requestId: caller.requestId });
    },
    onInternalRequest: createPingCounter(deps.registry, buildMetricName('kan', INTERNAL_PINGS_SUFFIX), KAN_INTERNAL_PATHS),
    mount: (a) => {
      mountPingRoutes(a, { startedAt: deps.startedAt, now: deps.now });
      mountVersionRoutes(a, { version: deps.version });
      mountStatusRoutes(a, {
        selfIndex: deps.selfIndex, startedAt: deps.startedAt, now: deps.now, version: deps.version, control: deps.control,
        watchdog: deps.watchdog, runDir: deps.config.paths.run, settings: deps.config.watchdog, schedule: deps.config.schedule,
        folders: { logs: deps.config.paths.logs, data: deps.config.paths.data },
        certificates: { server: deps.config.tls.cert, ca: deps.config.tls.ca },
      });
      mountRestartRoutes(a, { selfIndex: deps.selfIndex, requests: deps.requests });
      mountLogRoutes(a, { dir: deps.config.paths.logs, audit: deps.audit, logger: deps.logger, metrics: deps.metrics, now: deps.now });
      proxy = mountMetricsRoutes(a, { registry: deps.registry, nodeExporterUrl: deps.config.node_exporter.url, logger: deps.logger });
      mountCmdRoutes(a, { installDir: deps.config.paths.install });
      mountAuditRoutes(a, { dir: deps.config.paths.logs, retentionDays: deps.config.logging.audit_retention_days, now: deps.now });
    },
  });
  return { app, close: () => proxy.close() };
}
