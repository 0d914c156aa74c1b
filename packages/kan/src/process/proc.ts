/**
 * What the kernel says about a pid (/proc/PID/stat): whether it is stopped (SIGSTOP, state T)
 * or traced (t), which no slow start-up explains, and its start time (to tell a reused pid).
 */
import { readFile } from 'node:fs/promises';

/** The kernel's run state of a process (the third field of /proc/PID/stat), null when gone. */
export type KernelState = 'running' | 'sleeping' | 'disk-sleep' | 'stopped' | 'zombie' | 'dead' | 'other';

/** What /proc/PID/stat told. */
export interface ProcFacts {
  readonly state: KernelState;
  /** Field 22: start time in clock ticks since boot. */
  readonly startTicks: string;
}

/** Parses one /proc/PID/stat line (pure); null when it is not one. The command (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcFacts | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const letter = rest[0];
  const startTicks = rest[19];
  if (letter === undefined || startTicks === undefined || !/^\d+$/.test(startTicks)) return null;
  return { state: kernelStateOf(letter), startTicks };
}

/** Maps the state letter of /proc/PID/stat (pure). `T` (stopped by a signal) and `t` (stopped by a tracer) are both stopped. */
export function kernelStateOf(letter: string): KernelState {
  switch (letter) {
    case 'R': return 'running';
    case 'S': case 'I': return 'sleeping';
    case 'D': return 'disk-sleep';
    case 'T': case 't': return 'stopped';
    case 'Z': return 'zombie';
    case 'X': case 'x': return 'dead';
    default: return 'other';
  }
}

/** Reads /proc/PID/stat (`procRoot` injectable for tests); null when the pid is gone or unreadable. */
export async function readProcFacts(pid: number, procRoot = '/proc'): Promise<ProcFacts | null> {
  try {
    return parseProcStat(await readFile(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}
