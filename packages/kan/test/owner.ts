/**
 * A test owner: a ProcessControl that really starts, stops and restarts tiny programs (the
 * ping-server fixture), the way the launcher does (SIGTERM + SIGCONT, SIGKILL after a grace),
 * and counts starts per process. It may also auto-restart exited kans like Restart=always.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ProcessControl, ProcessName, ProcessState } from '../src/process/control.js';

/** How to run one stand-in process. */
export interface StandIn {
  readonly args: () => string[];
  readonly autoRestartMs?: number;
}

interface Slot {
  child: ChildProcess | null;
  invocation: number;
  starts: number;
  startedAt: number | null;
  exited: Promise<void> | null;
  stopping: boolean;
  queue: Promise<unknown>;
}

/** The test owner. */
export class TestOwner implements ProcessControl {
  readonly mode = 'local' as const;
  readonly #specs: Partial<Record<ProcessName, StandIn>>;
  readonly #slots = new Map<ProcessName, Slot>();
  readonly #graceMs: number;
  readonly calls: string[] = [];
  /** Verbs the owner answered as coalesced (their invocation was already replaced). */
  readonly coalesced: string[] = [];
  #closed = false;

  constructor(specs: Partial<Record<ProcessName, StandIn>>, graceMs = 500) {
    this.#specs = specs;
    this.#graceMs = graceMs;
  }

  #slot(name: ProcessName): Slot {
    let s = this.#slots.get(name);
    if (!s) {
      s = { child: null, invocation: 0, starts: 0, startedAt: null, exited: null, stopping: false, queue: Promise.resolve() };
      this.#slots.set(name, s);
    }
    return s;
  }

  /** How many times the process was started. */
  starts(name: ProcessName): number {
    return this.#slot(name).starts;
  }

  /** The pid of the running process (undefined when none). */
  pid(name: ProcessName): number | undefined {
    return this.#slot(name).child?.pid;
  }

  async status(name: ProcessName): Promise<ProcessState> {
    const s = this.#slot(name);
    const running = s.child !== null;
    return { name, state: running ? 'running' : 'stopped', pid: running ? s.child?.pid ?? null : null, invocation: String(s.invocation), startedAt: running ? s.startedAt : null, starts: s.starts };
  }

  async start(name: ProcessName, ifInvocation?: string): Promise<ProcessState> {
    return this.#verb(name, ifInvocation, async (s) => {
      this.calls.push(`start ${name}`);
      if (s.child === null) this.#spawn(name, s);
    });
  }

  async stop(name: ProcessName, ifInvocation?: string): Promise<ProcessState> {
    return this.#verb(name, ifInvocation, async (s) => {
      this.calls.push(`stop ${name}`);
      await this.#stop(s);
    });
  }

  async restart(name: ProcessName, ifInvocation?: string): Promise<ProcessState> {
    return this.#verb(name, ifInvocation, async (s) => {
      this.calls.push(`restart ${name}`);
      await this.#stop(s);
      this.#spawn(name, s);
    });
  }

  /** Runs verbs on one process one after the other, like the launcher; a verb for a replaced invocation is coalesced. */
  #verb(name: ProcessName, ifInvocation: string | undefined, action: (s: Slot) => Promise<void>): Promise<ProcessState> {
    const s = this.#slot(name);
    const run = async (): Promise<ProcessState> => {
      if (ifInvocation !== undefined && ifInvocation !== String(s.invocation)) {
        this.coalesced.push(`${name} ${ifInvocation}`);
        return { ...(await this.status(name)), coalesced: true };
      }
      await action(s);
      return this.status(name);
    };
    const result = s.queue.then(run, run);
    s.queue = result.catch(() => undefined);
    return result;
  }

  #spawn(name: ProcessName, s: Slot): void {
    const spec = this.#specs[name];
    if (!spec) throw new Error(`no stand-in for ${name}`);
    const child = spawn(process.execPath, spec.args(), { stdio: 'ignore' });
    s.child = child;
    s.invocation += 1;
    s.starts += 1;
    s.startedAt = Date.now();
    s.exited = new Promise((resolve) => child.once('exit', () => {
      if (s.child === child) s.child = null;
      resolve();
      if (!s.stopping && !this.#closed && spec.autoRestartMs !== undefined) {
        setTimeout(() => { if (!this.#closed && s.child === null) this.#spawn(name, s); }, spec.autoRestartMs);
      }
    }));
  }

  async #stop(s: Slot): Promise<void> {
    const child = s.child;
    if (child === null) return;
    s.stopping = true;
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.#graceMs);
    await s.exited;
    clearTimeout(timer);
    s.stopping = false;
  }

  /** Stops every process. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#slots.values()].map((s) => this.#stop(s)));
  }
}
