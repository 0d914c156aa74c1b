/**
 * The Supervisor: the only owner of the local-mode processes (the systemd counterpart).
 * It spawns each process in its own process group, sends its stdout/stderr lines to the
 * launcher's log, restarts the ones with `restart: 'always'` when they exit (growing back-off),
 * never restarts the `restart: 'never'` ones (qsen), and stops with SIGTERM + SIGCONT, then
 * SIGKILL after the grace period. Verbs on one process are serialized; a restart is one stop and
 * one start (one new invocation).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { launcherErrors } from '../errors.js';
import { appendToTail, pickExitLine } from './exit-line.js';
import type { ProcessExit, OwnedProcessName, LifecycleState, ProcessStatus } from '@qsen/kan';
import {
  computeRestartDelayMs,
  countConsecutiveCrashes,
  DEFAULT_RESTART_POLICY,
  type RestartPolicySettings,
} from './restart-policy.js';
import { errorMessage } from '@qsen/core/errors';

/** How to run one supervised process. */
export interface ProcessSpec {
  readonly name: OwnedProcessName;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** The child's whole environment; omitted: the launcher's own environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** `always`: restarted when it exits (kans, simulator, node_exporter); `never`: qsen. */
  readonly restart: 'always' | 'never';
}

/** Something that happened to a supervised process. */
export type SupervisorEvent =
  | { readonly type: 'started'; readonly name: OwnedProcessName; readonly pid: number; readonly invocation: number }
  | { readonly type: 'exited'; readonly name: OwnedProcessName; readonly pid: number; readonly exit: ProcessExit; readonly requested: boolean }
  | { readonly type: 'restart-scheduled'; readonly name: OwnedProcessName; readonly delayMs: number; readonly consecutiveCrashes: number }
  | { readonly type: 'start-failed'; readonly name: OwnedProcessName; readonly reason: string };

/** Settings of a Supervisor. */
export interface SupervisorOptions {
  readonly clock: Clock;
  readonly logger: LogSink;
  /** SIGTERM -> SIGKILL grace (`[watchdog] stop_grace_ms`). Default 3000. */
  readonly stopGraceMs?: number;
  /** Restart back-off; defaults DEFAULT_RESTART_POLICY. */
  readonly restartPolicy?: Partial<RestartPolicySettings>;
  /**
   * Path of util-linux `setpriv`, used to give every child a parent-death signal (SIGTERM when the
   * launcher dies, even by SIGKILL). Default: `/usr/bin/setpriv` when it exists; null: none.
   */
  readonly deathSignalHelper?: string | null;
}

/** The process owner. */
export interface Supervisor {
  /** Names of the supervised processes, in spec order. */
  names(): OwnedProcessName[];
  /** Status of one process; UNKNOWN_PROCESS when it is not supervised. */
  status(name: string): ProcessStatus;
  /** Status of every process, in spec order. */
  list(): ProcessStatus[];
  /*
   * Every verb takes the invocation its caller observed (`ifInvocation`): a verb whose turn comes
   * after that invocation was replaced does nothing and answers `coalesced: true`, so any number
   * of callers who saw the same process get one action (docs/kan.md, "Restart cycles").
   */
  /** Starts the process unless it is running; resolves once it has been spawned. */
  start(name: string, ifInvocation?: number): Promise<ProcessStatus>;
  /** Stops the process (SIGTERM + SIGCONT, SIGKILL after the grace) and waits for its exit. */
  stop(name: string, ifInvocation?: number): Promise<ProcessStatus>;
  /** Stops the process if it runs, then starts it: one new invocation. */
  restart(name: string, ifInvocation?: number): Promise<ProcessStatus>;
  /** Calls `listener` for every event; returns the unsubscribe function. */
  subscribe(listener: (event: SupervisorEvent) => void): () => void;
  /**
   * Refuses every later start, cancels pending restarts and stops every process, tier by tier
   * (`order`: groups stopped in parallel, one group after the other; processes not named are
   * stopped last).
   */
  close(order?: readonly (readonly OwnedProcessName[])[]): Promise<void>;
}

interface Slot {
  readonly spec: ProcessSpec;
  state: LifecycleState;
  child: ChildProcess | null;
  pid: number | null;
  invocation: number;
  startedAtMs: number | null;
  starts: number;
  lastExit: ProcessExit | null;
  /** The pid lastExit is about (its stderr lines may still arrive after the exit). */
  lastExitPid: number | null;
  /** The current (or last) invocation's last stderr lines. */
  stderrTail: string[];
  consecutiveCrashes: number;
  restartTimer: NodeJS.Timeout | null;
  restartAtMs: number | null;
  stopRequested: boolean;
  exitWaiters: Array<() => void>;
  queue: Promise<unknown>;
}

const DEFAULT_SETPRIV = '/usr/bin/setpriv';

/** Sends a signal to a process group (each child leads its own); false when the group is gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when a verb meant for invocation `observed` finds it already replaced (pure): someone
 * else's verb came first in the process's queue.
 */
export function isAlreadyReplaced(observed: number | undefined, current: number): boolean {
  return observed !== undefined && observed !== current;
}

/** Creates the Supervisor for `specs` (names must be unique); nothing is started yet. */
export function createSupervisor(specs: readonly ProcessSpec[], options: SupervisorOptions): Supervisor {
  const { clock, logger } = options;
  const stopGraceMs = options.stopGraceMs ?? 3000;
  const policy: RestartPolicySettings = { ...DEFAULT_RESTART_POLICY, ...options.restartPolicy };
  const helper = options.deathSignalHelper === undefined
    ? (existsSync(DEFAULT_SETPRIV) ? DEFAULT_SETPRIV : null)
    : options.deathSignalHelper;
  const listeners = new Set<(event: SupervisorEvent) => void>();
  const slots = new Map<OwnedProcessName, Slot>();
  let closing = false;

  for (const spec of specs) {
    if (slots.has(spec.name)) throw launcherErrors.create('INVALID_SETTING', `process ${spec.name} is listed twice`);
    slots.set(spec.name, {
      spec, state: 'stopped', child: null, pid: null, invocation: 0, startedAtMs: null, starts: 0,
      lastExit: null, lastExitPid: null, stderrTail: [], consecutiveCrashes: 0, restartTimer: null, restartAtMs: null, stopRequested: false,
      exitWaiters: [], queue: Promise.resolve(),
    });
  }

  function emit(event: SupervisorEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        logger.error('supervisor event listener failed', { error: String(err) });
      }
    }
  }

  function slotOf(name: string): Slot {
    const slot = slots.get(name as OwnedProcessName);
    if (!slot) throw launcherErrors.create('UNKNOWN_PROCESS', `no supervised process named ${JSON.stringify(name)}`, { name });
    return slot;
  }

  function describe(slot: Slot): ProcessStatus {
    return {
      name: slot.spec.name,
      state: slot.state,
      pid: slot.pid,
      invocation: slot.invocation,
      startedAt: slot.startedAtMs === null ? null : new Date(slot.startedAtMs).toISOString(),
      starts: slot.starts,
      lastExit: slot.lastExit,
      restartAt: slot.restartAtMs === null ? null : new Date(slot.restartAtMs).toISOString(),
      // A run that has lasted the stable period has already ended the series of crashes.
      consecutiveCrashes: slot.state === 'running' && slot.startedAtMs !== null && clock.now() - slot.startedAtMs >= policy.stableAfterMs
        ? 0 : slot.consecutiveCrashes,
    };
  }

  /** Runs `action` after every earlier verb on the same process has finished. */
  function serialize<T>(slot: Slot, action: () => Promise<T>): Promise<T> {
    const result = slot.queue.then(action, action);
    slot.queue = result.catch(() => undefined);
    return result;
  }

  function cancelRestart(slot: Slot): void {
    if (slot.restartTimer) clearTimeout(slot.restartTimer);
    slot.restartTimer = null;
    slot.restartAtMs = null;
  }

  function pipeLines(slot: Slot, pid: number, stream: Readable | null, streamName: 'stdout' | 'stderr'): void {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (line.length > 0) logger.info(line, { process: slot.spec.name, stream: streamName, pid });
      if (streamName === 'stderr' && line.length > 0 && (slot.pid === pid || slot.lastExitPid === pid)) {
        slot.stderrTail = appendToTail(slot.stderrTail, line);
        // A line read after the exit still explains it.
        if (slot.lastExit && slot.lastExitPid === pid) slot.lastExit = { ...slot.lastExit, line: pickExitLine(slot.stderrTail) };
      }
    });
    stream.on('error', () => undefined);
  }

  function scheduleRestart(slot: Slot): void {
    const delayMs = computeRestartDelayMs(slot.consecutiveCrashes, policy);
    slot.restartAtMs = clock.now() + delayMs;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      slot.restartAtMs = null;
      void serialize(slot, () => spawnChild(slot)).catch(() => undefined);
    }, delayMs);
    logger.warn(`${slot.spec.name} exited; restarting in ${delayMs} ms`, {
      process: slot.spec.name, delayMs, consecutiveCrashes: slot.consecutiveCrashes,
    });
    emit({ type: 'restart-scheduled', name: slot.spec.name, delayMs, consecutiveCrashes: slot.consecutiveCrashes });
  }

  function onExit(slot: Slot, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    const now = clock.now();
    const ranForMs = slot.startedAtMs === null ? 0 : now - slot.startedAtMs;
    const requested = slot.stopRequested;
    // Whatever the leader left behind in its process group goes with it.
    signalGroup(pid, 'SIGKILL');
    slot.child = null;
    slot.pid = null;
    slot.state = 'stopped';
    slot.startedAtMs = null;
    slot.stopRequested = false;
    slot.lastExit = { code, signal, at: new Date(now).toISOString(), line: pickExitLine(slot.stderrTail) };
    slot.lastExitPid = pid;
    const exit = slot.lastExit;
    logger[requested ? 'info' : 'warn'](`${slot.spec.name} exited`, { process: slot.spec.name, pid, code, signal, requested, ranForMs });
    slot.consecutiveCrashes = requested ? 0 : countConsecutiveCrashes(slot.consecutiveCrashes, ranForMs, policy);
    const waiters = slot.exitWaiters.splice(0);
    for (const resolve of waiters) resolve();
    emit({ type: 'exited', name: slot.spec.name, pid, exit, requested });
    if (!requested && !closing && slot.spec.restart === 'always') scheduleRestart(slot);
  }

  /** Spawns the process if it is not running; the caller holds the slot's queue. */
  async function spawnChild(slot: Slot): Promise<ProcessStatus> {
    if (closing) throw launcherErrors.create('LAUNCHER_CLOSING');
    cancelRestart(slot);
    if (slot.child) return describe(slot);
    const { spec } = slot;
    const command = helper ? helper : spec.command;
    const args = helper ? ['--pdeathsig', 'TERM', '--', spec.command, ...spec.args] : [...spec.args];
    slot.state = 'starting';
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ? { ...spec.env } : undefined,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (err) {
      const reason = errorMessage(err);
      slot.state = 'stopped';
      slot.lastExit = { code: null, signal: null, at: new Date(clock.now()).toISOString(), line: reason };
      slot.lastExitPid = null;
      logger.error(`${spec.name} could not be started`, { process: spec.name, reason });
      emit({ type: 'start-failed', name: spec.name, reason });
      if (!closing && spec.restart === 'always') {
        slot.consecutiveCrashes += 1;
        scheduleRestart(slot);
      }
      throw launcherErrors.create('START_FAILED', `${spec.name} could not be started: ${reason}`, { name: spec.name }, err);
    }
    const pid = child.pid as number;
    slot.stderrTail = [];
    child.on('error', (err) => logger.error(`${spec.name}: process error`, { process: spec.name, pid, reason: err.message }));
    child.once('exit', (code, signal) => onExit(slot, pid, code, signal));
    pipeLines(slot, pid, child.stdout, 'stdout');
    pipeLines(slot, pid, child.stderr, 'stderr');
    slot.child = child;
    slot.pid = pid;
    slot.invocation += 1;
    slot.starts += 1;
    slot.startedAtMs = clock.now();
    slot.state = 'running';
    logger.info(`${spec.name} started`, { process: spec.name, pid, invocation: slot.invocation, command: spec.command, args: spec.args });
    emit({ type: 'started', name: spec.name, pid, invocation: slot.invocation });
    return describe(slot);
  }

  /** Stops the process if it runs and waits for its exit; the caller holds the slot's queue. */
  async function stopChild(slot: Slot): Promise<ProcessStatus> {
    cancelRestart(slot);
    const pid = slot.pid;
    if (!slot.child || pid === null) return describe(slot);
    slot.stopRequested = true;
    slot.state = 'stopping';
    const exited = new Promise<void>((resolve) => slot.exitWaiters.push(resolve));
    logger.info(`stopping ${slot.spec.name}`, { process: slot.spec.name, pid, graceMs: stopGraceMs });
    signalGroup(pid, 'SIGTERM');
    signalGroup(pid, 'SIGCONT');
    const killTimer = setTimeout(() => {
      logger.warn(`${slot.spec.name} ignored SIGTERM for ${stopGraceMs} ms: SIGKILL`, { process: slot.spec.name, pid });
      signalGroup(pid, 'SIGKILL');
    }, stopGraceMs);
    try {
      await exited;
    } finally {
      clearTimeout(killTimer);
    }
    return describe(slot);
  }

  /** A verb in the process's queue; it does nothing (`coalesced`) when the invocation the caller observed was replaced by its turn. */
  function verb(name: string, ifInvocation: number | undefined, action: (slot: Slot) => Promise<ProcessStatus>): Promise<ProcessStatus> {
    const slot = slotOf(name);
    return serialize(slot, async () => (isAlreadyReplaced(ifInvocation, slot.invocation) ? { ...describe(slot), coalesced: true } : action(slot)));
  }

  return {
    names: () => [...slots.keys()],
    status: (name) => describe(slotOf(name)),
    list: () => [...slots.values()].map(describe),
    start: (name, ifInvocation) => verb(name, ifInvocation, spawnChild),
    stop: (name, ifInvocation) => verb(name, ifInvocation, stopChild),
    restart: (name, ifInvocation) => verb(name, ifInvocation, async (slot) => {
      await stopChild(slot);
      return spawnChild(slot);
    }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close(order = []) {
      closing = true;
      for (const slot of slots.values()) cancelRestart(slot);
      const named = new Set(order.flat());
      const tiers = [...order, [...slots.keys()].filter((name) => !named.has(name))];
      for (const tier of tiers) {
        await Promise.all(tier.filter((name) => slots.has(name)).map((name) => {
          const slot = slotOf(name);
          return serialize(slot, () => stopChild(slot)).catch(() => undefined);
        }));
      }
    },
  };
}
