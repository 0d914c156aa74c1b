/**
 * Starts the whole QSen system exactly as `npm start` does (the launcher's main with
 * `QSEN_HOME` and free ports in the environment) and gives the hardening suites one handle on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createControlClient, NODE_EXPORTER_BINARY, type ControlClient, type ProcessStatus } from '@qsen/launcher';
import { waitSimulatorAnswering } from './simulator.js';
import { findFreePort, httpsCall, makeTempDir, moveDailyRestartAway, waitFor, type ClientIdentity, type HttpsAnswer, isProcessAlive as isAlive } from '@qsen/testkit';

/** The repository root (compiled helpers live in test/dist/support/). */
export const REPOSITORY = new URL('../../../', import.meta.url).pathname;

/** The launcher's main, the program behind `npm start`. */
export const LAUNCHER_MAIN = join(REPOSITORY, 'packages/launcher/dist/src/main.js');

/** The four supervised nodes. */
export type NodeName = 'qsen' | 'kan0' | 'kan1' | 'kan2';

/** Every node, in the contract's port order. */
export const NODE_NAMES: readonly NodeName[] = ['qsen', 'kan0', 'kan1', 'kan2'];

/** The roles of docs/api.md §2. */
export type RoleName = 'platform' | 'operator' | 'auditor';

/** The roles of docs/api.md §2, in table order. */
export const ROLE_NAMES: readonly RoleName[] = ['platform', 'operator', 'auditor'];

/** Ports the system was started with. */
export interface SystemPorts {
  qsen: number;
  kans: [number, number, number];
  senebi: number;
  nodeExporter: number;
}

/** Options of `startSystem`. */
export interface StartSystemOptions {
  /** Prefix of the temporary folder. */
  prefix?: string;
  /**
   * Runs after `init` made the state folder and before `start` (plant files, edit conf.toml,
   * issue certificates, mount a file system). What it mounts it undoes through `onStopped`, which
   * runs also when the system never comes up, before the folder is removed.
   */
  prepare?: (home: string, registrar: { onStopped(step: () => void | Promise<void>): void }) => void | Promise<void>;
  /** Time allowed for the four nodes and the simulator to answer their pings. */
  readyTimeoutMs?: number;
  /** Also wait (up to 60 s more) until qsen's status says it is not reconciling: it then takes orders. */
  untilReconciled?: boolean;
}

/** One call through `LocalSystem.call`. */
export interface CallOptions {
  method?: string;
  body?: string | Buffer;
  identity?: ClientIdentity | RoleName | null;
  timeoutMs?: number;
}

/** A running system started by `startSystem`. */
export interface LocalSystem {
  home: string;
  ports: SystemPorts;
  /** PEM of the cluster CA (verifies the nodes' server certificate). */
  ca: string;
  /** The launcher process (the `npm start` stand-in). */
  launcher: ChildProcess;
  /** Whether node_exporter runs (its Debian binary is installed). */
  nodeExporter: boolean;
  /** The port of a node. */
  portOf(node: NodeName): number;
  /** `https://localhost:PORT` of a node. */
  urlOf(node: NodeName): string;
  /** The client identity of a role from `pki/clients/`. */
  identity(role: RoleName): ClientIdentity;
  /** One HTTPS call to a node (default: platform identity); every answer body is kept in `responses`. */
  call(node: NodeName, path: string, options?: CallOptions): Promise<HttpsAnswer>;
  /** Every answer body received through `call`, for the secret scan. */
  responses: string[];
  /** The launcher's control client. */
  control(): ControlClient;
  /** The launcher's view of one process. */
  status(name: string): Promise<ProcessStatus>;
  /** Whether the node answers its internal ping on loopback (no certificate) within `timeoutMs`. */
  pingOnce(node: NodeName, timeoutMs?: number): Promise<boolean>;
  /** Waits until all four nodes answer their pings. */
  waitAllAnswering(timeoutMs: number): Promise<void>;
  /** The launcher's stdout and stderr so far. */
  output(): string;
  /** Registers a clean-up step that runs after every process stopped and before the folder is removed (e.g. umount). */
  onStopped(step: () => void | Promise<void>): void;
  /** Stops the launcher (SIGTERM, which stops every child), kills leftovers and removes the folder. */
  stop(): Promise<void>;
}

/** Allocates the free ports a system needs. */
export async function allocatePorts(): Promise<SystemPorts> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = await findFreePort();
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return { qsen: await next(), kans: [await next(), await next(), await next()], senebi: await next(), nodeExporter: await next() };
}

/** The environment `npm start` gets in the tests: the state folder and the ports. */
export function buildSystemEnv(home: string, ports: SystemPorts): NodeJS.ProcessEnv {
  return {
    ...process.env,
    QSEN_HOME: home,
    QSEN_QSEN_PORT: String(ports.qsen),
    QSEN_KAN_PORTS: ports.kans.join(','),
    QSEN_SENEBI_PORT: String(ports.senebi),
    QSEN_NODE_EXPORTER_PORT: String(ports.nodeExporter),
  };
}

/**
 * Runs `main.js init` (what `npm run init` runs) and resolves when it exited 0; then moves the
 * kans' daily restart 12 hours away from now (testkit's moveDailyRestartAway: at the default
 * 03:05-03:09 UTC a running system restarts its kans unasked).
 */
export async function initStateFolderLikeNpm(home: string, ports: SystemPorts): Promise<void> {
  const child = spawn(process.execPath, [LAUNCHER_MAIN, 'init'], { cwd: REPOSITORY, env: buildSystemEnv(home, ports), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  child.stderr.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code !== 0) throw new Error(`launcher init exited ${String(code)}: ${output}`);
  moveDailyRestartAway(join(home, 'conf.toml'));
}

/** Starts the launcher like `npm start` and waits until qsen, the three kans and the simulator answer. */
export async function startSystem(options: StartSystemOptions = {}): Promise<LocalSystem> {
  const dir = makeTempDir(options.prefix ?? 'qsen-hardening-');
  const home = join(dir.path, 'home');
  const cleanups: Array<() => void | Promise<void>> = [];
  /**
   * Runs the clean-up steps (unmounts), then removes the folder; a failing step keeps neither
   * the other steps nor the removal from running, and the first error is thrown once all ran.
   * Steps registered by `prepare` run here also when the system never came up: before, a folder
   * with a mount inside was removed first (rmdir: EBUSY), and that EBUSY replaced the error that
   * said why the system did not come up.
   */
  const cleanUp = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const step of cleanups.splice(0)) {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    }
    try {
      dir.remove();
    } catch (err) {
      errors.push(err);
    }
    if (errors.length > 0) throw errors[0];
  };
  let ports: SystemPorts;
  try {
    ports = await allocatePorts();
    await initStateFolderLikeNpm(home, ports);
    if (options.prepare) await options.prepare(home, { onStopped: (step) => { cleanups.push(step); } });
  } catch (err) {
    await cleanUp().catch((cleanupErr: unknown) => console.error(`startSystem: clean-up after a failed preparation failed too: ${String(cleanupErr)}`));
    throw err;
  }

  const launcher = spawn(process.execPath, [LAUNCHER_MAIN, 'start'], { cwd: REPOSITORY, env: buildSystemEnv(home, ports), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  launcher.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  launcher.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  const seenPids = new Set<number>();
  const ca = readFileSync(join(home, 'pki/ca.crt'), 'utf8');
  const identities = new Map<RoleName, ClientIdentity>();
  const responses: string[] = [];

  const portOf = (node: NodeName): number => (node === 'qsen' ? ports.qsen : ports.kans[Number(node.slice(3))] ?? 0);
  const urlOf = (node: NodeName): string => `https://localhost:${portOf(node)}`;
  const identity = (role: RoleName): ClientIdentity => {
    let found = identities.get(role);
    if (!found) {
      found = { cert: readFileSync(join(home, `pki/clients/${role}.crt`), 'utf8'), key: readFileSync(join(home, `pki/clients/${role}.key`), 'utf8') };
      identities.set(role, found);
    }
    return found;
  };
  const control = (): ControlClient => createControlClient(join(home, 'run/control.sock'), { timeoutMs: 30_000 });
  const pingPath = (node: NodeName): string => (node === 'qsen' ? '/qsen/v1/ping' : '/kan/v1/ping');
  const pingOnce = async (node: NodeName, timeoutMs = 2000): Promise<boolean> => {
    try {
      const answer = await httpsCall(`${urlOf(node)}${pingPath(node)}`, { ca, timeoutMs });
      return answer.status === 200;
    } catch {
      return false;
    }
  };
  const waitAllAnswering = async (timeoutMs: number): Promise<void> => {
    await waitFor(async () => (await Promise.all(NODE_NAMES.map((n) => pingOnce(n)))).every(Boolean), { timeoutMs, intervalMs: 200, what: 'qsen and the three kans to answer their pings' });
  };
  const system: LocalSystem = {
    home,
    ports,
    ca,
    launcher,
    nodeExporter: existsSync(NODE_EXPORTER_BINARY),
    portOf,
    urlOf,
    identity,
    responses,
    control,
    async status(name) {
      const status = await control().status(name);
      if (status.pid !== null) seenPids.add(status.pid);
      return status;
    },
    async call(node, path, callOptions = {}) {
      const chosen = callOptions.identity === undefined ? identity('platform') : typeof callOptions.identity === 'string' ? identity(callOptions.identity) : callOptions.identity ?? undefined;
      const answer = await httpsCall(`${urlOf(node)}${path}`, {
        ca,
        ...(chosen ? { identity: chosen } : {}),
        method: callOptions.method ?? 'GET',
        ...(callOptions.body !== undefined ? { body: callOptions.body } : {}),
        timeoutMs: callOptions.timeoutMs ?? 15_000,
      });
      responses.push(answer.body);
      return answer;
    },
    pingOnce,
    waitAllAnswering,
    output: () => output,
    onStopped: (step) => { cleanups.push(step); },
    async stop() {
      try {
        for (const p of await control().list()) if (p.pid !== null) seenPids.add(p.pid);
      } catch {
        // the launcher may already be gone
      }
      if (launcher.exitCode === null && launcher.signalCode === null) {
        launcher.kill('SIGTERM');
        const timer = setTimeout(() => launcher.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      const leftovers = [...seenPids].filter((pid) => isAlive(pid));
      for (const pid of leftovers) process.kill(pid, 'SIGKILL');
      // A killed process holds its files until it is gone: the clean-up steps (umount) and the
      // folder's removal wait for that, or a non-lazy umount meets EBUSY.
      await waitFor(() => leftovers.every((pid) => !isAlive(pid)), { timeoutMs: 10_000, intervalMs: 50, what: `leftover processes ${leftovers.join(', ')} to be gone` })
        .catch((err: unknown) => console.error(`LocalSystem.stop: ${String(err)}`));
      await cleanUp();
    },
  };
  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
    await waitAllAnswering(deadline - Date.now());
    await waitSimulatorAnswering(home, ports.senebi, Math.max(1000, deadline - Date.now()));
    if (options.untilReconciled === true) {
      await waitFor(async () => {
        try {
          const answer = await httpsCall(`${urlOf('qsen')}/qsen/v1/status`, { ca, identity: identity('operator'), timeoutMs: 5000 });
          return answer.status === 200 && (JSON.parse(answer.body) as { reconciling?: boolean }).reconciling === false;
        } catch {
          return false;
        }
      }, { timeoutMs: 60_000, what: 'qsen status answering, not reconciling' });
    }
    for (const p of await control().list()) if (p.pid !== null) seenPids.add(p.pid);
  } catch (err) {
    // The reason it did not come up comes first; a failing clean-up only adds a line.
    await system.stop().catch((stopErr: unknown) => { output += `\n(stopping it failed too: ${String(stopErr)})`; });
    throw new Error(`the system did not come up: ${err instanceof Error ? err.message : String(err)}\n${output}`);
  }
  return system;
}

/** Parses a JSON error body and returns its code (undefined when the body is not the contract's error). */
export function errorCodeOf(answer: HttpsAnswer): string | undefined {
  try {
    const body = JSON.parse(answer.body) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sets `key = value` lines of a state folder's conf.toml (values are TOML text). A plain `key`
 * must appear exactly once in the file; `section.key` (e.g. `senebi.timeout_ms`) is looked up
 * only inside `[section]` and must appear once there.
 */
export function editConfig(home: string, values: Record<string, string>): void {
  const file = join(home, 'conf.toml');
  let text = readFileSync(file, 'utf8');
  for (const [path, value] of Object.entries(values)) {
    const dot = path.indexOf('.');
    const section = dot >= 0 ? path.slice(0, dot) : undefined;
    const key = dot >= 0 ? path.slice(dot + 1) : path;
    let start = 0;
    let end = text.length;
    if (section !== undefined) {
      const header = text.search(new RegExp(`^\\[${section}\\]\\s*$`, 'm'));
      if (header < 0) throw new Error(`conf.toml has no [${section}] section`);
      start = header;
      const next = text.slice(header + 1).search(/^\[/m);
      end = next < 0 ? text.length : header + 1 + next;
    }
    const pattern = new RegExp(`^${key} = .*$`, 'gm');
    const part = text.slice(start, end);
    const count = part.match(pattern)?.length ?? 0;
    if (count !== 1) throw new Error(`conf.toml has ${count} lines for ${path}; expected exactly one`);
    text = text.slice(0, start) + part.replace(pattern, `${key} = ${value}`) + text.slice(end);
  }
  writeFileSync(file, text);
}

/** The text of every log file of one process (`<prefix>-*.log`, rotated ones included) in a state folder. */
export function readLogs(home: string, prefix: string): string {
  const dir = join(home, 'logs');
  return readdirSync(dir).filter((name) => name.startsWith(`${prefix}-`)).sort().map((name) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      return '';
    }
  }).join('\n');
}
