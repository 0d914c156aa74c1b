/**
 * Reading the installed QSen cluster inside the container: which process serves each port,
 * unit states, starts counted in systemd's journal, and recovery after a fault.
 */
import { waitFor } from '@qsen/testkit';
import type { Container } from './container.js';

/** The four units and the port each one serves. */
export const NODES = [
  { unit: 'qsen.service', port: 8443 },
  { unit: 'kan@0.service', port: 8444 },
  { unit: 'kan@1.service', port: 8445 },
  { unit: 'kan@2.service', port: 8446 },
] as const;

/** PID of the process listening on a TCP port inside the container, or 0. */
export async function listenerPid(container: Container, port: number): Promise<number> {
  const result = await container.exec(['ss', '-Htlnp', `sport = :${port}`]);
  const match = /pid=(\d+)/.exec(result.stdout);
  return match?.[1] ? Number(match[1]) : 0;
}

/** A unit's property (systemctl show -P). */
export async function unitProperty(container: Container, unit: string, property: string): Promise<string> {
  const result = await container.exec(['systemctl', 'show', '-P', property, unit]);
  return result.stdout.trim();
}

/** The journal's current cursor, to count what happens after it. */
export async function journalCursor(container: Container): Promise<string> {
  const result = await container.exec(['journalctl', '-q', '-n', '0', '--show-cursor']);
  const match = /-- cursor: (\S+)/.exec(result.stdout);
  if (!match?.[1]) throw new Error(`no journal cursor in: ${result.stdout}${result.stderr}`);
  return match[1];
}

/** How many times systemd started a unit after the cursor ("Started UNIT" lines of PID 1). */
export async function startsSince(container: Container, unit: string, cursor: string): Promise<number> {
  const result = await container.exec(['journalctl', '-q', '-o', 'cat', '_PID=1', `--after-cursor=${cursor}`]);
  return result.stdout.split('\n').filter((line) => line.startsWith(`Started ${unit}`)).length;
}

/** Waits until all four units are active, each port is served by its unit's main process, and that holds for `stableMs`. */
export async function waitClusterSteady(container: Container, { timeoutMs = 60_000, stableMs = 3000 } = {}): Promise<Map<string, number>> {
  let last = '';
  let since = Date.now();
  return waitFor(async () => {
    const pids = new Map<string, number>();
    for (const node of NODES) {
      const [active, main, listener] = await Promise.all([
        unitProperty(container, node.unit, 'ActiveState'), unitProperty(container, node.unit, 'MainPID'), listenerPid(container, node.port),
      ]);
      if (active !== 'active' || listener === 0 || Number(main) !== listener) {
        last = '';
        return undefined;
      }
      pids.set(node.unit, listener);
    }
    const key = JSON.stringify([...pids]);
    if (key !== last) {
      last = key;
      since = Date.now();
      return undefined;
    }
    return Date.now() - since >= stableMs ? pids : undefined;
  }, { timeoutMs, intervalMs: 200, what: 'the four units active and serving, steadily' });
}

/** What a fault and its recovery took. */
export interface Recovery {
  /** From the signal to systemd starting the new process (ExecMainStartTimestamp; ms). */
  restartedMs: number;
  /** From the signal to a new process listening on the port (ms). */
  recoveredMs: number;
  /** Starts of the unit counted in the journal after the signal, once things settled. */
  starts: number;
}

/**
 * Sends a signal to the process serving a unit's port and measures until a new process of
 * the unit listens there; then waits `settleMs` and counts the unit's starts since the signal.
 */
export async function faultAndRecover(container: Container, node: { unit: string; port: number }, signal: 'KILL' | 'STOP', { timeoutMs = 30_000, settleMs = 8000 } = {}): Promise<Recovery> {
  const victim = await listenerPid(container, node.port);
  if (victim === 0) throw new Error(`nothing listens on ${node.port}`);
  const cursor = await journalCursor(container);
  const signalled = Date.now();
  // The container's clock is the host's: the signal's instant is taken in the same shell that sends it.
  const sent = await container.exec(['bash', '-c', `date +%s%N && kill -${signal} ${victim}`]);
  if (sent.code !== 0) throw new Error(`kill -${signal} ${victim}: ${sent.stderr}`);
  const signalledNs = BigInt(sent.stdout.trim());
  await waitFor(async () => {
    const pid = await listenerPid(container, node.port);
    return pid !== 0 && pid !== victim;
  }, { timeoutMs, intervalMs: 20, what: `a new ${node.unit} listening on ${node.port}` });
  const recoveredMs = Date.now() - signalled;
  const startedAt = await unitStartTime(container, node.unit);
  // An observation window after the recovery (not a readiness wait): a second restart would show here.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const restartedMs = Number((startedAt - signalledNs) / 1_000_000n);
  return { restartedMs, recoveredMs, starts: await startsSince(container, node.unit, cursor) };
}

/** When systemd started a unit's main process, in nanoseconds since the epoch (microsecond precision). */
async function unitStartTime(container: Container, unit: string): Promise<bigint> {
  const result = await container.exec(['systemctl', 'show', '--timestamp=us+utc', '-P', 'ExecMainStartTimestamp', unit]);
  const match = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{6}) UTC/.exec(result.stdout);
  if (!match) throw new Error(`no ExecMainStartTimestamp for ${unit}: ${result.stdout}`);
  const seconds = BigInt(Date.parse(`${match[1]}T${match[2]}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt(match[3] ?? '0') * 1000n;
}
