// A running local system for the integration tests of qsenctl, the OpenAPI documents and the
// Prometheus files: the real launcher (`main.js start`) on free ports in a temporary QSEN_HOME.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createControlClient, type ControlClient } from '@qsen/launcher';
import { httpsCall, makeTempDir, waitFor } from '@qsen/testkit';
import { allocatePorts, buildSystemEnv, initStateFolderLikeNpm, LAUNCHER_MAIN, REPOSITORY, type SystemPorts } from '../support/system.js';
import { waitSimulatorAnswering } from '../support/simulator.js';

export { REPOSITORY };
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

/** A started local system. */
export interface RunningSystem {
  readonly home: string;
  readonly ports: SystemPorts;
  /** Whether node_exporter runs (its binary is installed). */
  readonly nodeExporter: boolean;
  readonly control: () => ControlClient;
  /** PEM material of a state-folder identity (`platform`, `operator`, `auditor`). */
  identity(role: string): { cert: Buffer; key: Buffer };
  readonly ca: () => Buffer;
  /** Launcher output so far (for failure messages). */
  output(): string;
  /** Stops the launcher (and with it every process) and removes the state folder. */
  stop(): Promise<void>;
}

/** Starts the launcher and waits until the four nodes and the simulator answer their pings and qsen is not reconciling. */
export async function startSystem(prefix: string): Promise<RunningSystem> {
  const dir = makeTempDir(prefix);
  const home = join(dir.path, 'home');
  const ports = await allocatePorts();
  await initStateFolderLikeNpm(home, ports); // moves the daily kan restart out of the test's way
  let output = '';
  const launcher: ChildProcess = spawn(process.execPath, [LAUNCHER_MAIN, 'start'], {
    cwd: REPOSITORY,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: buildSystemEnv(home, ports),
  });
  launcher.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  launcher.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  const ca = (): Buffer => readFileSync(join(home, 'pki/ca.crt'));
  const system: RunningSystem = {
    home,
    ports,
    nodeExporter: existsSync(NODE_EXPORTER),
    control: () => createControlClient(join(home, 'run/control.sock'), { timeoutMs: 30_000 }),
    identity: (role) => ({ cert: readFileSync(join(home, `pki/clients/${role}.crt`)), key: readFileSync(join(home, `pki/clients/${role}.key`)) }),
    ca,
    output: () => output,
    async stop() {
      if (launcher.exitCode === null && launcher.signalCode === null) {
        launcher.kill('SIGTERM');
        await exited;
      }
      dir.remove();
    },
  };
  try {
    for (const [port, path] of [[ports.qsen, '/qsen/v1/ping'], ...ports.kans.map((p) => [p, '/kan/v1/ping'] as const)] as const) {
      await waitFor(async () => {
        if (!existsSync(join(home, 'pki/ca.crt'))) return false;
        try {
          return (await httpsCall(`https://127.0.0.1:${port}${path}`, { ca: ca(), timeoutMs: 2000 })).status === 200;
        } catch {
          return false;
        }
      }, { timeoutMs: 90_000, what: `ping on ${port} (launcher output:\n${output})` });
    }
    await waitSimulatorAnswering(home, ports.senebi, 90_000);
    await waitFor(async () => {
      try {
        const answer = await httpsCall(`https://localhost:${ports.qsen}/qsen/v1/status`, { ca: ca(), identity: system.identity('operator'), timeoutMs: 5000 });
        return answer.status === 200 && (JSON.parse(answer.body) as { reconciling?: boolean }).reconciling === false;
      } catch {
        return false;
      }
    }, { timeoutMs: 60_000, what: 'qsen status answering, not reconciling' });
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}
