/**
 * A Debian 12 container with systemd as PID 1 for the production tier: made from the cached
 * root file system (rootfs.sh), booted with systemd-nspawn in a network namespace the test
 * made, entered with nsenter, rebooted and stopped. Facts it relies on (issue 14, measured on
 * the CI machine kind: root, no systemd on the host, cgroup v1 hybrid):
 *   - `--register=no --keep-unit`: the host has no systemd/D-Bus to register with;
 *   - SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: the container gets a cgroup v2 tree;
 *   - `--network-namespace-path` (our namespace, loopback plus the veth to the client) with
 *     CAP_NET_ADMIN, which nspawn grants only with --private-network, so nft can load inside;
 *   - machinectl needs systemd on the host: commands go in with `nsenter --target PID1 --all`;
 *   - SIGTERM to nspawn halts the container in order; if that hangs, SIGKILL its PID 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { waitFor } from '@qsen/testkit';
import { runCommand, type CommandResult } from '../deploy/staging.js';

/** How the container is booted. */
export interface ContainerOptions {
  /** Unpacked root file system. */
  rootfs: string;
  /** Machine name (nspawn's -M), also its host name. */
  name: string;
  /** Network namespace path (systemd-nspawn --network-namespace-path). */
  networkNamespacePath: string;
  /** File nspawn's console output is appended to. */
  logFile: string;
}

/** A running container. */
export interface Container {
  /** PID (in the host's namespace) of the container's systemd. */
  readonly pid1: number;
  /** Runs a command inside (all namespaces of PID 1), as root. */
  exec(command: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** Runs a bash script inside; fails with its output when it exits non-zero. */
  sh(script: string, timeoutMs?: number): Promise<string>;
  /** Runs a long command inside the container's own cgroups (systemd-run --wait --pipe). */
  run(command: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** `systemctl reboot` inside, then boots the same root file system again; resolves when it runs. */
  reboot(): Promise<void>;
  /** Halts the container (SIGTERM to nspawn; SIGKILL to PID 1 if it hangs). Safe to call twice. */
  stop(): Promise<void>;
}

const BOOT_TIMEOUT_MS = 60_000;
const HALT_TIMEOUT_MS = 30_000;

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The container's systemd: nspawn's child named systemd, in another PID namespace than ours. */
function findPid1(nspawnPid: number): number | undefined {
  const ours = readlinkSync('/proc/self/ns/pid');
  for (const pid of childrenOf(nspawnPid)) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm === 'systemd' && readlinkSync(`/proc/${pid}/ns/pid`) !== ours) return pid;
    } catch {
      // gone or not yet there
    }
  }
  return undefined;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function startNspawn(options: ContainerOptions): ChildProcess {
  const log = openSync(options.logFile, 'a');
  const child = spawn('systemd-nspawn', [
    '--boot', `--directory=${options.rootfs}`, `--machine=${options.name}`, '--register=no', '--keep-unit',
    `--network-namespace-path=${options.networkNamespacePath}`, '--capability=CAP_NET_ADMIN', '--console=passive',
  ], { env: { ...process.env, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' }, stdio: ['ignore', log, log] });
  closeSync(log);
  return child;
}

/** Boots the container and resolves once its systemd reports `running` (fails on `degraded`). */
export async function bootContainer(options: ContainerOptions): Promise<Container> {
  let nspawn = startNspawn(options);
  let pid1 = 0;
  const exec = (command: readonly string[], timeoutMs = 60_000): Promise<CommandResult> =>
    runCommand('nsenter', [`--target=${pid1}`, '--all', ...command], { timeoutMs });
  const tailOfLog = (): string => readFileSync(options.logFile, 'utf8').split('\n').slice(-30).join('\n');
  const waitRunning = async (): Promise<void> => {
    pid1 = await waitFor(() => {
      if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited ${nspawn.exitCode}:\n${tailOfLog()}`);
      return findPid1(nspawn.pid ?? 0);
    }, { timeoutMs: BOOT_TIMEOUT_MS, what: 'the container\'s systemd' });
    // Until PID 1 has its private socket, systemctl fails at once: ask again until it answers.
    const state = await waitFor(async () => {
      const answer = await exec(['systemctl', 'is-system-running', '--wait'], BOOT_TIMEOUT_MS);
      const word = answer.stdout.trim();
      return word === 'running' || word === 'degraded' || word === 'maintenance' ? word : undefined;
    }, { timeoutMs: BOOT_TIMEOUT_MS, intervalMs: 100, what: 'the container\'s systemd to finish booting' });
    if (state !== 'running') {
      const failed = await exec(['systemctl', '--failed', '--no-legend']);
      throw new Error(`container state ${state}; failed units:\n${failed.stdout}`);
    }
  };
  const halt = async (): Promise<number | null> => {
    if (nspawn.exitCode !== null || nspawn.signalCode !== null) return nspawn.exitCode;
    const done = exited(nspawn);
    nspawn.kill('SIGTERM');
    const timer = setTimeout(() => {
      console.error(`# the container did not halt within ${HALT_TIMEOUT_MS} ms: SIGKILL to its PID 1 (${pid1})`);
      try {
        if (pid1) process.kill(pid1, 'SIGKILL');
      } catch {
        // already gone
      }
      nspawn.kill('SIGKILL');
    }, HALT_TIMEOUT_MS);
    const code = await done;
    clearTimeout(timer);
    return code;
  };
  try {
    await waitRunning();
  } catch (err) {
    await halt();
    throw err;
  }
  return {
    get pid1() {
      return pid1;
    },
    exec,
    async sh(script, timeoutMs) {
      const result = await exec(['bash', '-euo', 'pipefail', '-c', script], timeoutMs);
      if (result.code !== 0) throw new Error(`in the container, exit ${result.code}: ${script}\n${result.stdout}\n${result.stderr}`);
      return result.stdout;
    },
    run(command, timeoutMs = 180_000) {
      return exec(['systemd-run', '--wait', '--pipe', '--quiet', '--collect', '--service-type=exec', ...command], timeoutMs);
    },
    async reboot() {
      const done = exited(nspawn);
      await exec(['systemctl', '--no-block', 'reboot']);
      const timer = setTimeout(() => nspawn.kill('SIGKILL'), HALT_TIMEOUT_MS);
      const code = await done;
      clearTimeout(timer);
      // systemd-nspawn exits 133 when the container asked for a reboot.
      if (code !== 133) throw new Error(`systemd-nspawn exited ${code} on reboot, expected 133:\n${tailOfLog()}`);
      nspawn = startNspawn(options);
      await waitRunning();
    },
    async stop() {
      await halt();
    },
  };
}
