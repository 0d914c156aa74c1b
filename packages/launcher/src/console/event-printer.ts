/**
 * Turns supervisor events and the children's stderr lines into terminal lines, so that a child
 * that exits for a stated cause is said in one line (start-failure.ts) right after its exit and
 * before the back-off lines. A child's last stderr lines may arrive just after its exit event (the
 * exit and the pipe are read separately): lines about a process that just exited wait until its
 * cause is recognised or `settleMs` passes, then go out in order. A cause is said once per
 * process until it changes. The timer is injected.
 */
import type { OwnedProcessName } from '@qsen/kan';
import type { SupervisorEvent } from '../supervise/supervisor.js';
import { describeStartFailure, diagnoseStartFailure, recogniseStartFailure, type StartFailureInput } from './start-failure.js';

/** How the printer reaches the world. */
export interface EventPrinterOptions {
  readonly print: (line: string) => void;
  /** The ordinary line for an event (null: nothing to say). */
  readonly describe: (event: SupervisorEvent) => string | null;
  readonly configFile: string;
  readonly logsDir: string;
  readonly settleMs?: number;
  readonly setTimer?: (fn: () => void, ms: number) => { unref?(): unknown };
  readonly clearTimer?: (timer: unknown) => void;
  /** How many stderr lines are kept per process. */
  readonly tailLines?: number;
}

/** The printer's two inputs. */
export interface EventPrinter {
  event(event: SupervisorEvent): void;
  stderr(name: OwnedProcessName, line: string): void;
}

interface Pending {
  readonly exit: Extract<SupervisorEvent, { type: 'exited' }>;
  readonly queued: string[];
  timer: unknown;
}

/** Creates the printer. */
export function createEventPrinter(options: EventPrinterOptions): EventPrinter {
  const settleMs = options.settleMs ?? 500;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  const tailLines = options.tailLines ?? 20;
  const tails = new Map<OwnedProcessName, string[]>();
  const pending = new Map<OwnedProcessName, Pending>();
  const lastCause = new Map<OwnedProcessName, string>();

  const inputOf = (p: Pending): StartFailureInput => ({
    name: p.exit.name, stderr: tails.get(p.exit.name) ?? [], exit: p.exit.exit, configFile: options.configFile, logsDir: options.logsDir,
  });

  function flush(name: OwnedProcessName, final: boolean): void {
    const p = pending.get(name);
    if (!p) return;
    const failure = final ? diagnoseStartFailure(inputOf(p)) : recogniseStartFailure(inputOf(p), { complete: false });
    if (!failure && !final) return;
    pending.delete(name);
    clearTimer(p.timer);
    const [exitLine, ...rest] = p.queued;
    if (exitLine !== undefined) options.print(exitLine);
    if (failure && lastCause.get(name) !== failure.cause) {
      lastCause.set(name, failure.cause);
      options.print(describeStartFailure(name, p.exit.exit, failure));
    }
    for (const line of rest) options.print(line);
  }

  return {
    event(event) {
      const line = options.describe(event);
      const p = pending.get(event.name);
      if (p) {
        if (line !== null) p.queued.push(line);
        return;
      }
      if (event.type === 'started') tails.set(event.name, []);
      if (event.type === 'exited' && !event.requested) {
        const entry: Pending = { exit: event, queued: line === null ? [] : [line], timer: null };
        pending.set(event.name, entry);
        const timer = setTimer(() => flush(event.name, true), settleMs);
        timer.unref?.();
        entry.timer = timer;
        flush(event.name, false);
        return;
      }
      if (line !== null) options.print(line);
    },
    stderr(name, line) {
      const tail = tails.get(name) ?? [];
      tail.push(line);
      if (tail.length > tailLines) tail.splice(0, tail.length - tailLines);
      tails.set(name, tail);
      if (pending.has(name)) flush(name, false);
    },
  };
}
