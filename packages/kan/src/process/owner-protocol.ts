/**
 * The owner protocol (docs/architecture.md, "Processes, ports and ownership"): HTTP/JSON over the
 * launcher's Unix socket `[control] socket`. The launcher serves it; the kans and the tests call
 * it through owner-client.ts. This module is the single description of that wire format: the
 * launcher imports it from here (@qsen/launcher depends on @qsen/kan, not the other way round).
 */

/** Every process the launcher owns in local mode. */
export const OWNED_PROCESS_NAMES = ['qsen', 'kan0', 'kan1', 'kan2', 'simulator', 'node_exporter'] as const;

/** A process the launcher owns. */
export type OwnedProcessName = (typeof OWNED_PROCESS_NAMES)[number];

/** The processes whose start / stop / restart verbs the channel offers (the others are status only): the supervised ones. */
export const CONTROLLABLE_PROCESS_NAMES = ['qsen', 'kan0', 'kan1', 'kan2'] as const;

/** A process that accepts start / stop / restart over the channel (qsen or a kan). */
export type ControllableProcessName = (typeof CONTROLLABLE_PROCESS_NAMES)[number];

/** Lifecycle state of one owned process (the systemd ActiveState, normalised). */
export type LifecycleState = 'running' | 'stopped' | 'starting' | 'stopping';

/** How a process's last invocation ended. `code` and `signal` are as Node reports them. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** ISO time of the exit. */
  readonly at: string;
  /** Launcher extension: the stderr line that explains the exit (the last failure line), null when none; absent from older owners. */
  readonly line?: string | null;
}

/** What the owner knows about one process (the systemd counterpart is `systemctl show`). */
export interface ProcessStatus {
  readonly name: OwnedProcessName;
  readonly state: LifecycleState;
  readonly pid: number | null;
  /** Increases by one on every start (systemd: InvocationID). 0 = never started. */
  readonly invocation: number;
  /** ISO time the current invocation started; null when not running. */
  readonly startedAt: string | null;
  /** How many times the process was started since the launcher began. */
  readonly starts: number;
  readonly lastExit: ProcessExit | null;
  /** Launcher extension: ISO time of a pending automatic restart (back-off), else null. */
  readonly restartAt: string | null;
  /** Launcher extension: exits in a row that came sooner than the stable period after a start. */
  readonly consecutiveCrashes: number;
  /**
   * Verb answers only: true when the verb named the invocation it meant to act on
   * (`?invocation=N`) and that invocation was no longer the current one when the verb's turn
   * came, so the owner did nothing (someone else already started, stopped or restarted it).
   */
  readonly coalesced?: boolean;
}

/** Answer of `GET /v1/processes`. */
export interface ProcessListAnswer {
  readonly processes: ProcessStatus[];
}

/** A verb of `POST /v1/processes/NAME/VERB`. */
export type ControlVerb = 'start' | 'stop' | 'restart';

/** The verbs, in documentation order. */
export const CONTROL_VERBS: readonly ControlVerb[] = ['start', 'stop', 'restart'];

/** The error body every failed request answers (docs/api.md §3). */
export interface ControlErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: Readonly<Record<string, unknown>> };
}

/** Path of the process list. */
export const PROCESSES_PATH = '/v1/processes';

/** The query parameter of a verb naming the invocation the caller observed (coalescing). */
export const IF_INVOCATION_PARAM = 'invocation';

/** Path of one process's status. */
export function processPath(name: string): string {
  return `${PROCESSES_PATH}/${encodeURIComponent(name)}`;
}

/** Path of one verb on one process; `ifInvocation` names the invocation the verb is meant for. */
export function verbPath(name: string, verb: ControlVerb, ifInvocation?: number): string {
  const query = ifInvocation === undefined ? '' : `?${IF_INVOCATION_PARAM}=${ifInvocation}`;
  return `${processPath(name)}/${verb}${query}`;
}

/** Reads `?invocation=N` of a verb (pure): the number, undefined when absent, null when malformed. */
export function parseIfInvocation(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/** Tells whether a string names a process the launcher owns. */
export function isOwnedProcessName(value: string): value is OwnedProcessName {
  return (OWNED_PROCESS_NAMES as readonly string[]).includes(value);
}

/** Tells whether a process accepts start / stop / restart over the channel. */
export function isControllableProcessName(value: string): value is ControllableProcessName {
  return (CONTROLLABLE_PROCESS_NAMES as readonly string[]).includes(value);
}
