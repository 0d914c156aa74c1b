/**
 * Runs the real qsen (dist/src/main.js) and qsen-admin as child processes for the crash,
 * restart and signal tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { httpsCall, waitFor } from '@qsen/testkit';

/** Path of the compiled qsen entry. */
export const QSEN_MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
/** Path of the compiled qsen-admin entry. */
export const QSEN_ADMIN = fileURLToPath(new URL('../../src/cli/admin.js', import.meta.url));

/** A qsen child process. */
export interface QsenChild {
  readonly child: ChildProcess;
  readonly stderr: () => string;
  /** Resolves with the exit code / signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns qsen with `--config confFile`. */
export function spawnQsen(confFile: string): QsenChild {
  const child = spawn(process.execPath, [QSEN_MAIN, '--config', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => stderr, exited };
}

/** Waits until the child's internal ping answers (and, with `settled`, reconciliation is done). */
export async function waitForPing(port: number, ca: string, settled = true): Promise<Record<string, unknown>> {
  return waitFor(async () => {
    const r = await httpsCall(`https://127.0.0.1:${port}/qsen/v1/ping`, { ca, timeoutMs: 1000 });
    const body = JSON.parse(r.body) as Record<string, unknown>;
    return r.status === 200 && (!settled || body['reconciling'] === false) ? body : undefined;
  }, { timeoutMs: 15_000, what: 'qsen ping' });
}

/** Runs qsen-admin and resolves with its exit code and output. */
export function runAdmin(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { QSEN_HOME: _ignored, ...inherited } = process.env;
    const child = spawn(process.execPath, [QSEN_ADMIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
