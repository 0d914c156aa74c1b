/**
 * Assembles one kan from its configuration: process control for the configured owner, metrics,
 * the coordinator, the watchdog, the restart-request service, the front door (the pings; the app
 * with the rest of the API on first use) and its mutual-TLS server.
 * main.ts and the tests use it; nothing here reads the environment.
 */
import type winston from 'winston';
import type { QsenConfig } from '@qsen/core/config';
import { auditStateChangeRefusals, createApiParts, createMtlsServer, openTrustStore, type ApiPartsOptions, type MtlsServer } from '@qsen/core/http/server';
import type { AuditSink } from '@qsen/core/logging';
import { buildMetricName, createMetricsRegistry, createPingCounter, createTlsMetrics, INTERNAL_PINGS_SUFFIX } from '@qsen/core/metrics';
import { evaluateWindow, nextLocalTime, systemClock, type Clock } from '@qsen/core/schedule';
import { heartbeatFile, startHeartbeat, type Heartbeat } from '@qsen/core/liveness';

import { completePendingSelfRestart, createSelfRestartMarker } from './audit/self-restart.js';
import { describeFatal, KAN_EXIT_APP_UNAVAILABLE } from './crash.js';
import { createFrontDoor, type FrontDoor } from './front-door.js';
import { declarePingRoute } from './routes/ping.js';
import { createKanMetrics, type KanMetrics } from './metrics/kan-metrics.js';
import type { ProcessControl } from './process/control.js';
import { createLocalControl } from './process/local.js';
import { createSystemdControl } from './process/systemd.js';
import { createCoordinator } from './watchdog/coordinator.js';
import { backoffPolicyOf, createRestartLedger } from './watchdog/ledger.js';
import { dailyRestartDueAt } from './watchdog/policy.js';
import { createPeerTls, type PeerTls } from './watchdog/peer-tls.js';
import { createHttpsProbe, type ProbeFn } from './watchdog/probe.js';
import { createKanQuorum } from './watchdog/quorum.js';
import { createRestartRequests, type RestartRequests } from './watchdog/requests.js';
import { createWatchdog, type Watchdog } from './watchdog/watchdog.js';
import { readVersionInfo } from './version.js';
import { createLoopbackClient } from './cluster/loopback-client.js';
import { isClusterGateway, kanListenHost } from './cluster/nodes.js';
import { errorMessage } from '@qsen/core/errors';

/** Deadline of one loopback call of the cluster view (a node's status or metrics). */
export const CLUSTER_CALL_TIMEOUT_MS = 5_000;
/** Largest answer the cluster view takes from one node. */
export const CLUSTER_MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** Options of a kan node. */
export interface KanNodeOptions {
  readonly index: number;
  readonly config: QsenConfig;
  readonly logger: winston.Logger;
  readonly audit: AuditSink;
  /** Clock of the schedule and back-off decisions (default: the system clock). */
  readonly clock?: Clock;
  /** Process control (default: from `[control] mode`). */
  readonly control?: ProcessControl;
  /** Run the watchdog (default true). */
  readonly watchdog?: boolean;
  /** The node_exporter proxy's timeout (default NODE_EXPORTER_TIMEOUT_MS). */
  readonly nodeExporterTimeoutMs?: number;
  /** Reload the TLS files when they change (default true: a revocation reaches every node within 2 s). */
  readonly watchTlsFiles?: boolean;
  /**
   * Ends the process when this kan cannot serve (its API could not be loaded: front-door.ts),
   * with the exit code and a one-line reason; main.ts writes the reason to stderr, flushes the
   * logs and exits. Default: process.exit(code).
   */
  readonly exit?: (code: number, reason: string) => void;
}

/** A built kan: listen() starts serving and watching; close() stops both. */
export interface KanNode {
  readonly server: MtlsServer;
  readonly watchdog: Watchdog | null;
  readonly requests: RestartRequests;
  readonly metrics: KanMetrics;
  /** What answers the server's requests (the pings itself; the app, built on first use, the rest). */
  readonly front: FrontDoor;
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** The process control of a configuration's owner. */
export function createProcessControl(config: QsenConfig): ProcessControl {
  return config.control.mode === 'local' ? createLocalControl(config.control.socket, { timeoutMs: config.watchdog.stop_grace_ms + 30_000 }) : createSystemdControl();
}

/**
 * The watchdog's probe, verifying the peers' server certificate against the CA in force: it is
 * rebuilt at each TLS reload (a new agent on the new context, no session of the old one), so a CA
 * rotation does not read as every peer failing, and a certificate of the retired CA is refused.
 */
export function createTrustFollowingProbe(tls: PeerTls): ProbeFn & { close(): void } {
  let current = createHttpsProbe({ secureContext: tls.context() });
  const unsubscribe = tls.onChange((secureContext) => {
    const retired = current;
    current = createHttpsProbe({ secureContext });
    // Probes in flight finish on the old agent (it keeps no connection alive); then it goes.
    setTimeout(() => retired.close(), 60_000).unref();
  });
  const probe: ProbeFn = (target, timeoutMs) => current(target, timeoutMs);
  return Object.assign(probe, {
    close: () => {
      unsubscribe();
      current.close();
    },
  });
}

/** Builds one kan. */
export function createKanNode(opts: KanNodeOptions): KanNode {
  const { config, index, logger, audit } = opts;
  if (!Number.isInteger(index) || index < 0 || index > 2) throw new RangeError(`kan index must be 0, 1 or 2, not ${index}`);
  const clock: Clock = opts.clock ?? systemClock;
  const startedAt = clock.now();
  const registry = createMetricsRegistry();
  const metrics = createKanMetrics(registry, { isTradingWindowOpen: () => evaluateWindow(config.schedule, clock.now()).open });
  const tlsMetrics = createTlsMetrics(registry, 'kan_tls_rejected_connections_total');
  const control = opts.control ?? createProcessControl(config);
  const w = config.watchdog;
  const runDir = config.paths.run;
  const ledger = createRestartLedger(runDir, backoffPolicyOf(w));
  const coordinator = createCoordinator({ control, ledger, runDir, selfIndex: index, clock, logger, metrics });
  const isWindowOpen = (at: number): boolean => evaluateWindow(config.schedule, at).open;
  const trust = openTrustStore(config.tls, { logger, clock });
  // The watchdog's client TLS (probes and idle connections) follows the files as the server does.
  const peerTls = createPeerTls(trust);
  const probe = createTrustFollowingProbe(peerTls);
  const quorum = createKanQuorum({ kanPorts: config.server.kan_ports, probe, timeoutMs: w.timeout_ms, coordinator });
  const watchdog = opts.watchdog === false ? null : createWatchdog({
    selfIndex: index, qsenPort: config.server.qsen_port, kanPorts: config.server.kan_ports, settings: w, control, coordinator, ledger, quorum, probe, clock,
    isWindowOpen, logger, metrics, peerTls,
    dailyRestartDueAt: (after) => dailyRestartDueAt((a) => nextLocalTime(config.schedule.timezone, config.schedule.kan_restart, a), after, index, config.schedule.kan_restart_stagger_minutes),
  });
  const selfRestart = createSelfRestartMarker(config.paths.run, index, (err) => logger.error('cannot leave the self-restart marker', { error: errorMessage(err) }));
  const requests = createRestartRequests({
    selfIndex: index, control, coordinator, ledger, quorum, clock, isWindowOpen, cycleMs: w.startup_grace_ms, logger, audit, selfRestart,
  });
  const version = readVersionInfo(config.paths.install);
  // Four-port mode: the gateway reads the other nodes over loopback with its own client identity.
  const cluster = isClusterGateway(config, index)
    ? { get: createLoopbackClient({ ca: () => String(trust.current().options.ca), certFile: config.cluster.gateway_cert, keyFile: config.cluster.gateway_key, timeoutMs: CLUSTER_CALL_TIMEOUT_MS, maxBytes: CLUSTER_MAX_ANSWER_BYTES }) }
    : undefined;
  // The prologue's and error answer's options, made once (the ping counter registers a metric).
  const api: ApiPartsOptions = {
    logger,
    // The route table declares the state-changing routes (and their actions) and the internal ones.
    onStateChangeRefused: auditStateChangeRefusals(audit),
    onInternalRequest: createPingCounter(registry, buildMetricName('kan', INTERNAL_PINGS_SUFFIX)),
  };
  const ping = declarePingRoute({ startedAt, clock });
  const front = createFrontDoor({
    parts: createApiParts(api),
    direct: [ping],
    // express and every route module load here, on the first request that is not a ping.
    loadApp: async () => {
      const { createApp } = await import('./app.js');
      const { app, close } = createApp({
        api, ping, selfIndex: index, config, logger, audit, control, requests, watchdog, ledger, registry, metrics, clock, startedAt, version, tls: trust.status,
        ...(cluster ? { cluster } : {}),
        ...(opts.nodeExporterTimeoutMs !== undefined ? { nodeExporterTimeoutMs: opts.nodeExporterTimeoutMs } : {}),
      });
      return { handle: app, close };
    },
    // A kan that answers its pings and nothing else is not one its peers would restart: exit.
    onLoadFailed: (err) => {
      const reason = `the kan's API could not be loaded (${describeFatal(err)}): exiting with code ${KAN_EXIT_APP_UNAVAILABLE} so that the owner restarts this kan`;
      logger.error('kan API could not be loaded', { error: describeFatal(err), errorCode: (err as { code?: unknown } | null)?.code, exitCode: KAN_EXIT_APP_UNAVAILABLE, reason });
      (opts.exit ?? ((code: number) => process.exit(code)))(KAN_EXIT_APP_UNAVAILABLE, reason);
    },
  });
  const server = createMtlsServer({ trust, app: front.handle, logger, metrics: tlsMetrics, watchFiles: opts.watchTlsFiles ?? true });
  let heartbeat: Heartbeat | undefined;
  return {
    server, watchdog, requests, metrics, front,
    async listen(port = config.server.kan_ports[index], host = kanListenHost(config, index)) {
      const bound = await server.listen(port ?? 0, host);
      // Evidence of progress beside the listener (the peers read it when a probe times out).
      heartbeat ??= startHeartbeat({ file: heartbeatFile(runDir, `kan${index}`) });
      // This process is up: a restart of this kan that its previous process accepted is done.
      completePendingSelfRestart({ runDir: config.paths.run, index, pid: process.pid, audit });
      watchdog?.start();
      return bound;
    },
    async close() {
      heartbeat?.stop();
      await watchdog?.stop();
      probe.close();
      peerTls.close();
      front.close();
      await server.close();
    },
  };
}
