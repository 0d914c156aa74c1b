/**
 * `npm start`: the whole system on one machine, owned by the launcher as systemd owns it in
 * production. Takes the state folder's lock, stops what a dead launcher left behind, serves the
 * control socket, then starts the simulator, qsen (only inside the trading window), the three
 * kans and node_exporter (when installed). `stop()` stops the kans first (so they do not react),
 * then qsen, then the simulator and node_exporter.
 */
import { join } from 'node:path';
import type { QsenConfig } from '@qsen/core/config';
import type { LogSink } from '@qsen/core/logging';
import { describeWindow, evaluateWindow, systemClock, type Clock, type WindowDescription, type WindowState } from '@qsen/core/schedule';
import { loadConfig } from '@qsen/core/config/load';
import { createControlApp } from '../control/app.js';
import { listenControlSocket, type ControlSocket } from '../control/socket.js';
import { archiveHistories, KAN_NODE_FLAGS, type OwnedProcessName } from '@qsen/kan';
import { acquireOwnership, recordChildren, stopOrphans, type OrphanOutcome, type OwnershipLock } from '../supervise/ownership.js';
import { createSupervisor, type ProcessSpec, type Supervisor, type SupervisorEvent } from '../supervise/supervisor.js';
import type { RestartPolicySettings } from '../supervise/restart-policy.js';
import { findNodeExporter, resolveEntryPoints, type EntryPoints } from './entry-points.js';

/** Collectors that need privileges or a system bus a local user does not have. */
export const NODE_EXPORTER_DISABLED_COLLECTORS = Object.freeze(['systemd', 'rapl']);

/** The order `stop()` follows: groups stopped together, one group after the other. */
export const STOP_ORDER: ReadonlyArray<readonly OwnedProcessName[]> = Object.freeze([
  ['kan0', 'kan1', 'kan2'],
  ['qsen'],
  ['simulator', 'node_exporter'],
]);

/** What `startLocalSystem` needs. */
export interface StartLocalSystemOptions {
  /** The state folder (already initialised: conf.toml, pki/, senebi/). */
  readonly home: string;
  readonly logger: LogSink;
  readonly clock?: Clock;
  /** Override the compiled mains (tests use tiny fixture programs). */
  readonly entryPoints?: Partial<EntryPoints>;
  /** node_exporter binary; default the Debian one when installed; null: do not start it. */
  readonly nodeExporterBinary?: string | null;
  /** The node executable for the three node programs; default this one. */
  readonly nodeExecutable?: string;
  /** Environment of the children; default the launcher's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Back-off of automatic restarts; default 1 s doubling up to `[watchdog] backoff_max_ms`. */
  readonly restartPolicy?: Partial<RestartPolicySettings>;
  /** Called for every supervisor event (e.g. to print restarts on the console). */
  readonly onEvent?: (event: SupervisorEvent) => void;
  /** Parent-death signal helper (setpriv); see SupervisorOptions. Tests pass null to make orphans. */
  readonly deathSignalHelper?: string | null;
}

/** A running local system. */
export interface LocalSystem {
  readonly home: string;
  readonly config: QsenConfig;
  readonly supervisor: Supervisor;
  /** Path of the control socket. */
  readonly controlSocket: string;
  /** The trading window when the system started (qsen was started only if open). */
  readonly window: WindowState;
  /** The same window in words: the zone's clock with UTC alongside, "open all day" instead of a far-off date. */
  readonly windowDescription: WindowDescription;
  /** The node_exporter binary started, or null when it is not installed. */
  readonly nodeExporter: string | null;
  /** What became of the processes a dead launcher had left behind. */
  readonly orphans: OrphanOutcome[];
  /** Stops every process (kans first), closes the control socket, releases the lock. Idempotent. */
  stop(): Promise<void>;
}

/** The port of an http(s) URL (its default port when none is written). */
function portOf(url: string): number {
  const parsed = new URL(url);
  if (parsed.port) return Number(parsed.port);
  return parsed.protocol === 'https:' ? 443 : 80;
}

/**
 * qsen's V8 heap flags, the same in systemd/qsen.service's ExecStart (a launcher test compares
 * them): a small young generation (2 MiB semi-spaces instead of up to 16), a first full
 * collection at 16 MiB of old space, and an old generation let grow only 20 % past what the
 * last full collection kept. No hard --max-old-space-size: the order book grows with the
 * journal, and a cap would turn a large book into a crash loop. docs/qsen.md "Memory";
 * bench/RESULTS.md (issue 17) has the resident memory and CPU cost of each setting.
 */
export const QSEN_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=2', '--initial-old-space-size=16', '--heap-growing-percent=20']);

/** Builds the process specs of the local system. */
export function buildLocalSpecs(config: QsenConfig, opts: {
  entryPoints: EntryPoints; nodeExecutable: string; nodeExporterBinary: string | null; env?: Readonly<Record<string, string>>; home: string; cwd: string;
}): ProcessSpec[] {
  const node = opts.nodeExecutable;
  const common = { cwd: opts.cwd, ...(opts.env ? { env: opts.env } : {}) };
  const specs: ProcessSpec[] = [
    { name: 'simulator', command: node, args: [opts.entryPoints.simulator, '--home', opts.home], restart: 'always', ...common },
    { name: 'qsen', command: node, args: [...QSEN_NODE_FLAGS, opts.entryPoints.qsen, '--config', config.file], restart: 'never', ...common },
    ...([0, 1, 2] as const).map((index): ProcessSpec => ({
      name: `kan${index}`, command: node, args: [...KAN_NODE_FLAGS, opts.entryPoints.kan, '--config', config.file, '--index', String(index)], restart: 'always', ...common,
    })),
  ];
  if (opts.nodeExporterBinary) {
    specs.push({
      name: 'node_exporter',
      command: opts.nodeExporterBinary,
      args: [
        `--web.listen-address=127.0.0.1:${portOf(config.node_exporter.url)}`,
        ...NODE_EXPORTER_DISABLED_COLLECTORS.map((c) => `--no-collector.${c}`),
      ],
      restart: 'always',
      ...common,
    });
  }
  return specs;
}

/** Starts the local system; throws ALREADY_RUNNING when another launcher owns the state folder. */
export async function startLocalSystem(opts: StartLocalSystemOptions): Promise<LocalSystem> {
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  const config = loadConfig(join(opts.home, 'conf.toml'));
  const runDir = config.paths.run;
  const lock: OwnershipLock = await acquireOwnership(runDir);
  let control: ControlSocket | null = null;
  let supervisor: Supervisor | null = null;
  try {
    const orphans = await stopOrphans(runDir, { graceMs: config.watchdog.stop_grace_ms, logger });
    // A clean start: no kan runs yet, so an earlier run's restart streaks and crash-loop flags go
    // to kan-history-*.json.previous instead of showing in this run's status (docs/local-mode.md).
    const archived = archiveHistories(runDir);
    if (archived.length > 0) logger.info('clean start: the restart history of the earlier run is kept as kan-history-*.json.previous', { archived });
    const entryPoints: EntryPoints = { ...resolveEntryPoints(), ...opts.entryPoints };
    const nodeExporter = opts.nodeExporterBinary === undefined ? findNodeExporter() : opts.nodeExporterBinary;
    const specs = buildLocalSpecs(config, {
      entryPoints, nodeExecutable: opts.nodeExecutable ?? process.execPath, nodeExporterBinary: nodeExporter,
      home: opts.home, cwd: config.paths.install, ...(opts.env ? { env: opts.env } : {}),
    });
    const sup = createSupervisor(specs, {
      clock, logger,
      stopGraceMs: config.watchdog.stop_grace_ms,
      ...(opts.deathSignalHelper === undefined ? {} : { deathSignalHelper: opts.deathSignalHelper }),
      restartPolicy: {
        initialDelayMs: 1000, maxDelayMs: config.watchdog.backoff_max_ms, stableAfterMs: config.watchdog.stable_after_ms,
        ...opts.restartPolicy,
      },
    });
    supervisor = sup;
    const recordRunning = (): void => {
      recordChildren(runDir, sup.list().flatMap((s) => (s.pid === null ? [] : [{ name: s.name, pid: s.pid }])));
    };
    sup.subscribe((event) => {
      if (event.type === 'started' || event.type === 'exited') recordRunning();
      opts.onEvent?.(event);
    });
    control = await listenControlSocket(config.control.socket, createControlApp({ supervisor: sup, logger }));

    const window = evaluateWindow(config.schedule, clock.now());
    const startOrder: OwnedProcessName[] = ['simulator', ...(window.open ? ['qsen' as const] : []), 'kan0', 'kan1', 'kan2', ...(nodeExporter ? ['node_exporter' as const] : [])];
    const windowDescription = describeWindow(config.schedule, clock.now());
    if (!window.open) logger.info('qsen stays down: the trading window is closed', { reason: window.reason, nextChangeAt: new Date(window.nextChangeAt).toISOString(), nextChangeLocal: windowDescription.nextChangeLocal });
    for (const name of startOrder) {
      try {
        await sup.start(name);
      } catch (err) {
        // A failed start is in the status (and retried for the processes that restart); go on.
        logger.error(`${name} did not start`, { process: name, error: String(err) });
      }
    }

    let stopping: Promise<void> | null = null;
    const controlSocket = control;
    return {
      home: opts.home, config, supervisor: sup, controlSocket: config.control.socket, window, windowDescription, nodeExporter, orphans,
      stop() {
        stopping ??= (async () => {
          await controlSocket.close();
          await sup.close(STOP_ORDER);
          recordChildren(runDir, []);
          await lock.release();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await control?.close().catch(() => undefined);
    await supervisor?.close(STOP_ORDER).catch(() => undefined);
    await lock.release();
    throw err;
  }
}
