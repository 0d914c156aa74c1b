/**
 * The one interface through which a kan asks the owner of the processes (systemd in production,
 * the launcher in local mode) about qsen and the kans, and asks it to start, stop or restart them.
 * Kans never spawn qsen or each other themselves (docs/api.md §6).
 */

/** The processes a kan supervises or controls. */
export const PROCESS_NAMES = ['qsen', 'kan0', 'kan1', 'kan2'] as const;

/** One of the four supervised processes. */
export type ProcessName = (typeof PROCESS_NAMES)[number];

/** What the owner says about a process. */
export interface ProcessState {
  readonly name: ProcessName;
  /** The owner's state, normalised to the launcher's vocabulary. */
  readonly state: 'running' | 'stopped' | 'starting' | 'stopping';
  /** Main pid, null when not running. */
  readonly pid: number | null;
  /** Changes on every start: systemd's InvocationID, the launcher's invocation counter (as text). */
  readonly invocation: string;
  /** Epoch ms of the current run's start, null when not running. */
  readonly startedAt: number | null;
  /** How many times the owner started it (launcher only; null under systemd). */
  readonly starts: number | null;
}

/** Process control behind one interface (systemd or the local launcher). */
export interface ProcessControl {
  readonly mode: 'systemd' | 'local';
  /** The owner's view of one process. */
  status(name: ProcessName): Promise<ProcessState>;
  /** Starts the process (no-op when running); resolves with the new state. */
  start(name: ProcessName): Promise<ProcessState>;
  /** Stops the process (SIGTERM, SIGKILL after the owner's grace); resolves with the new state. */
  stop(name: ProcessName): Promise<ProcessState>;
  /** Stops then starts the process: one new invocation. */
  restart(name: ProcessName): Promise<ProcessState>;
}

/** Checks that a string is one of the supervised process names. */
export function isProcessName(value: string): value is ProcessName {
  return (PROCESS_NAMES as readonly string[]).includes(value);
}

/** The kan process name of index 0, 1 or 2. */
export function kanName(index: number): ProcessName {
  const name = `kan${index}`;
  if (!isProcessName(name) || name === 'qsen') throw new RangeError(`no kan with index ${index}`);
  return name;
}

/** True when the owner says the process is there (running or on its way up or down). */
export function isPresent(state: ProcessState): boolean {
  return state.state !== 'stopped' && state.pid !== null;
}
