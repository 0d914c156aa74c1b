/**
 * Evidence of progress that does not compete with the public listener (docs/kan.md, "Busy is
 * not hung"): a node that listens touches its heartbeat file (`run/heartbeat-NAME`, holding its
 * pid) every HEARTBEAT_INTERVAL_MS from a timer of its own event loop. A flood of connections or
 * TLS handshakes slows the listener but not this timer much; a SIGSTOPped process or an event loop
 * stuck in a busy loop stops it. The kans read the file's age when a probe times out.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** How often a node touches its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 250;

/** The heartbeat file of a node (qsen, kan0, kan1, kan2) in the run folder. */
export function heartbeatFile(runDir: string, name: string): string {
  return join(runDir, `heartbeat-${name}`);
}

/** A running heartbeat; stop() ends it (the file stays, ageing). */
export interface Heartbeat {
  stop(): void;
}

/** Writes the pid into `file` and touches it every `intervalMs` (the timer does not keep the process alive). */
export function startHeartbeat(opts: { file: string; pid?: number; intervalMs?: number }): Heartbeat {
  const pid = opts.pid ?? process.pid;
  const write = (): void => {
    try {
      writeFileSync(opts.file, `${pid}\n`, { mode: 0o644 });
    } catch {
      // The run folder is gone or read-only: the kans then judge by probes alone.
    }
  };
  write();
  const timer = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(opts.file, now, now);
    } catch {
      write();
    }
  }, opts.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** What a heartbeat file says: whose it is and when it was last touched. */
export interface HeartbeatReading {
  readonly pid: number;
  readonly touchedAt: number;
}

/** Parses the file's content and modification time (pure); null when it holds no pid. */
export function parseHeartbeat(text: string, mtimeMs: number): HeartbeatReading | null {
  const match = /^(\d{1,10})\n?$/.exec(text);
  if (match?.[1] === undefined) return null;
  return { pid: Number(match[1]), touchedAt: mtimeMs };
}

/** Reads a heartbeat file; null when absent or unreadable. */
export async function readHeartbeat(file: string): Promise<HeartbeatReading | null> {
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    return parseHeartbeat(text, info.mtimeMs);
  } catch {
    return null;
  }
}

/** How old the heartbeat of process `pid` is at `now` (pure); null when there is none for that pid. */
export function heartbeatAgeMs(reading: HeartbeatReading | null, pid: number | null, now: number): number | null {
  if (reading === null || pid === null || reading.pid !== pid) return null;
  return Math.max(0, now - reading.touchedAt);
}
