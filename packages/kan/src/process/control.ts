/**
 * The one interface through which a kan asks the owner of the processes (systemd in production,
 * the launcher in local mode) about qsen and the kans, and asks it to start, stop or restart them.
 * Kans never spawn qsen or each other themselves (docs/api.md §6).
 */

import { CONTROLLABLE_PROCESS_NAMES, type ControllableProcessName, type LifecycleState, type ProcessExit } from './owner-protocol.js';

/** The processes a kan supervises or controls (the owner protocol's controllable ones). */
export const PROCESS_NAMES = CONTROLLABLE_PROCESS_NAMES;

/** One of the four supervised processes. */
export type ProcessName = ControllableProcessName;

/** What the owner says about a process. */
export interface ProcessState {
  readonly name: ProcessName;
  /** The owner's state, normalised to the owner protocol's vocabulary. */
  readonly state: LifecycleState;
  /** Main pid, null when not running. */
  readonly pid: number | null;
  /** Changes on every start: systemd's InvocationID, the launcher's invocation counter (as text). */
  readonly invocation: string;
  /** Epoch ms of the current run's start, null when not running. */
  readonly startedAt: number | null;
  /** How many times the owner started it (launcher only; null under systemd). */
  readonly starts: number | null;
  /** How the last invocation ended (code or signal, time, the explaining stderr line in local mode); null when it never exited, absent when the owner does not say. */
  readonly lastExit?: ProcessExit | null;
  /** Restart answers only: true when the owner found the named invocation already replaced and did nothing. */
  readonly coalesced?: boolean;
}

/** Process control behind one interface (systemd or the local launcher). */
export interface ProcessControl {
  readonly mode: 'systemd' | 'local';
  /** The owner's view of one process. */
  status(name: ProcessName): Promise<ProcessState>;
  /*
   * Every verb takes the invocation the caller judged (`ifInvocation`): the owner acts only
   * while it is the current one; otherwise it does nothing and the answer says `coalesced`.
   */
  /** Starts the process (no-op when running); resolves with the new state. */
  start(name: ProcessName, ifInvocation?: string): Promise<ProcessState>;
  /** Stops the process (SIGTERM, SIGKILL after the owner's grace); resolves with the new state. */
  stop(name: ProcessName, ifInvocation?: string): Promise<ProcessState>;
  /** Stops then starts the process: one new invocation. */
  restart(name: ProcessName, ifInvocation?: string): Promise<ProcessState>;
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
