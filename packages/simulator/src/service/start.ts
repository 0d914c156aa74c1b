/**
 * Starts the simulator of a state folder: reads conf.toml (id range, port from senebi.url),
 * senebi/simulator.toml (optional), senebi/state.json and state.journal (optional) and the TLS material in
 * senebi/, then serves over mutual TLS on 127.0.0.1. Used by main.ts and by tests in process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Clock, type LogSink, SILENT_LOG } from '@qsen/core';
import { createSimulator, type Simulator } from '../app.js';
import { loadSimulatorSettings } from '../config/settings.js';
import { createStateStorage } from '../store/state-file.js';
import { parseChangeLine, parseState } from '../store/state-schema.js';
import { createSimulatorServer, describeTrustedAgent } from '../http/tls-server.js';

/** The simulator's default port (docs/api.md §9). */
export const DEFAULT_SIMULATOR_PORT = 9443;

/** The files of a state folder the simulator uses. */
export interface SimulatorPaths {
  readonly conf: string;
  readonly settings: string;
  readonly state: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly agentCert: string;
  readonly logs: string;
}

/** Where the simulator finds its files in a state folder. */
export function simulatorPathsOf(home: string): SimulatorPaths {
  const senebi = join(home, 'senebi');
  return {
    conf: join(home, 'conf.toml'),
    settings: join(senebi, 'simulator.toml'),
    state: join(senebi, 'state.json'),
    ca: join(senebi, 'ca.crt'),
    cert: join(senebi, 'server.crt'),
    key: join(senebi, 'server.key'),
    agentCert: join(senebi, 'agent.crt'),
    logs: join(home, 'logs'),
  };
}

/** The port in a SENEBI URL, or the default when the URL names none. */
export function portOfSenebiUrl(url: string): number {
  const parsed = new URL(url);
  return parsed.port === '' ? DEFAULT_SIMULATOR_PORT : Number(parsed.port);
}

/** How to start. */
export interface StartSimulatorOptions {
  readonly home: string;
  /** Overrides the port of conf.toml's senebi.url (0: any free port). */
  readonly port?: number;
  /** Listening address (default 127.0.0.1). */
  readonly host?: string;
  /** The clock (default the system clock). */
  readonly clock?: Clock;
  readonly logger?: LogSink;
}

/** A listening simulator. */
export interface RunningSimulator {
  readonly simulator: Simulator;
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  /** Stops listening, drops every connection (hung ones too) and flushes the state file. */
  close(): Promise<void>;
}

/** Starts the simulator of a state folder and resolves once it listens. */
export async function startSimulator(options: StartSimulatorOptions): Promise<RunningSimulator> {
  const paths = simulatorPathsOf(options.home);
  const logger = options.logger ?? SILENT_LOG;
  const config = loadConfig(paths.conf, { checkFiles: false });
  const settings = await loadSimulatorSettings(paths.settings);
  const storage = createStateStorage(paths.state);
  const saved = await storage.load();
  const initialState = saved.snapshot === undefined ? undefined : parseState(saved.snapshot);
  const initialChanges = saved.lines.map(parseChangeLine);
  const simulator = createSimulator({
    range: config.id_range,
    settings,
    storage,
    initialChanges,
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(initialState ? { initialState } : {}),
  });
  await simulator.checkpoint();
  const server = createSimulatorServer(simulator.app, {
    ca: readFileSync(paths.ca),
    cert: readFileSync(paths.cert),
    key: readFileSync(paths.key),
    agent: describeTrustedAgent(readFileSync(paths.agentCert)),
  }, logger);
  const host = options.host ?? '127.0.0.1';
  const wanted = options.port ?? portOfSenebiUrl(config.senebi.url);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('simulator listening', { url, idRange: config.id_range, restored: initialState !== undefined, replayedChanges: initialChanges.length, ...simulator.store.sizes() });

  let closing: Promise<void> | undefined;
  return {
    simulator,
    server,
    port,
    url,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        simulator.releaseHanging();
        server.closeAllConnections();
        await closed;
        await simulator.checkpoint();
        await storage.close();
        logger.info('simulator stopped');
      })();
      return closing;
    },
  };
}
