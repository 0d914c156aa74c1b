/**
 * The local control channel's protocol (docs/architecture.md, "Processes, ports and ownership"):
 * HTTP/JSON over the Unix socket `[control] socket`. The launcher serves it; the kans (and
 * qsenctl) call it. These types are the single description of that wire format.
 */

/** Processes the launcher owns in local mode. */
export const PROCESS_NAMES = ['qsen', 'kan0', 'kan1', 'kan2', 'simulator', 'node_exporter'] as const;

/** A process the launcher owns. */
export type ProcessName = (typeof PROCESS_NAMES)[number];

/** Processes whose start / stop / restart verbs the channel offers (the others are status only). */
export const CONTROLLABLE_PROCESS_NAMES = ['qsen', 'kan0', 'kan1', 'kan2'] as const;

/** A process that accepts start / stop / restart over the channel. */
export type ControllableProcessName = (typeof CONTROLLABLE_PROCESS_NAMES)[number];

/** Lifecycle state of one supervised process. */
export type ProcessState = 'running' | 'stopped' | 'starting' | 'stopping';

/** How a process's last invocation ended. `code` and `signal` are as Node reports them. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** ISO time of the exit. */
  readonly at: string;
}

/** What the owner knows about one process (the systemd counterpart is `systemctl show`). */
export interface ProcessStatus {
  readonly name: ProcessName;
  readonly state: ProcessState;
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

/** Path of one process's status. */
export function processPath(name: string): string {
  return `${PROCESSES_PATH}/${encodeURIComponent(name)}`;
}

/** Path of one verb on one process. */
export function verbPath(name: string, verb: ControlVerb): string {
  return `${processPath(name)}/${verb}`;
}

/** Tells whether a string names a process the launcher owns. */
export function isProcessName(value: string): value is ProcessName {
  return (PROCESS_NAMES as readonly string[]).includes(value);
}

/** Tells whether a process accepts start / stop / restart over the channel. */
export function isControllableProcessName(value: string): value is ControllableProcessName {
  return (CONTROLLABLE_PROCESS_NAMES as readonly string[]).includes(value);
}
