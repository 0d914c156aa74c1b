/**
 * ProcessControl over systemd: `systemctl show|start|stop|restart` on qsen.service and
 * kan@N.service, run through execa (the polkit rule lets the qsen user manage exactly these).
 */
import { kanErrors } from '../errors.js';
import type { ProcessControl, ProcessName, ProcessState } from './control.js';

/** The systemd unit of a supervised process. */
export function unitOf(name: ProcessName): string {
  return name === 'qsen' ? 'qsen.service' : `kan@${name.slice(3)}.service`;
}

/** Parses `systemctl show --timestamp=unix -p ...` output into a ProcessState (pure). */
export function parseSystemctlShow(name: ProcessName, text: string): ProcessState {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const active = fields.get('ActiveState') ?? 'inactive';
  const state: ProcessState['state'] =
    active === 'active' || active === 'reloading' ? 'running'
      : active === 'activating' ? 'starting'
        : active === 'deactivating' ? 'stopping'
          : 'stopped';
  const pidNumber = Number(fields.get('MainPID') ?? '0');
  const pid = Number.isInteger(pidNumber) && pidNumber > 0 ? pidNumber : null;
  const stamp = fields.get('ExecMainStartTimestamp') ?? '';
  const unix = /^@(\d+)$/.exec(stamp);
  const startedAt = pid === null ? null : unix?.[1] !== undefined ? Number(unix[1]) * 1000 : null;
  return { name, state: pid === null && state === 'running' ? 'stopped' : state, pid, invocation: fields.get('InvocationID') ?? '', startedAt, starts: null };
}

/**
 * True when a verb meant for invocation `observed` has nothing left to do (pure): the unit has
 * another invocation now, or is already on its way down or up (a verb under way).
 */
export function isReplaced(observed: string, current: ProcessState): boolean {
  return current.invocation !== observed || current.state === 'starting' || current.state === 'stopping';
}

/** Process control through `systemctl`. `systemctlPath` is injectable for tests (a fake systemctl). */
export class SystemdControl implements ProcessControl {
  readonly mode = 'systemd' as const;
  readonly #systemctl: string;
  readonly #timeoutMs: number;

  constructor(opts: { systemctlPath?: string; timeoutMs?: number } = {}) {
    this.#systemctl = opts.systemctlPath ?? 'systemctl';
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  async status(name: ProcessName): Promise<ProcessState> {
    const out = await this.#run(['show', '--timestamp=unix', '-p', 'MainPID,InvocationID,ActiveState,SubState,ExecMainStartTimestamp', unitOf(name)], 10_000);
    return parseSystemctlShow(name, out);
  }

  start(name: ProcessName, ifInvocation?: string): Promise<ProcessState> {
    return this.#verb('start', name, ifInvocation);
  }

  stop(name: ProcessName, ifInvocation?: string): Promise<ProcessState> {
    return this.#verb('stop', name, ifInvocation);
  }

  restart(name: ProcessName, ifInvocation?: string): Promise<ProcessState> {
    return this.#verb('restart', name, ifInvocation);
  }

  async #verb(verb: 'start' | 'stop' | 'restart', name: ProcessName, ifInvocation: string | undefined): Promise<ProcessState> {
    if (ifInvocation !== undefined) {
      // The caller holds the target's cross-kan lock: this check and the verb are one step.
      const current = await this.status(name);
      if (isReplaced(ifInvocation, current)) return { ...current, coalesced: true };
    }
    await this.#run([verb, '--no-ask-password', unitOf(name)], this.#timeoutMs);
    return this.status(name);
  }

  async #run(args: string[], timeoutMs: number): Promise<string> {
    const { execa } = await import('execa'); // loaded on first use: an idle kan does not carry it
    const result = await execa(this.#systemctl, args, { reject: false, timeout: timeoutMs, stdin: 'ignore', env: { LC_ALL: 'C', SYSTEMD_PAGER: '' } });
    if (result.exitCode !== 0 || result.timedOut || result.failed) {
      throw kanErrors.create('PROCESS_CONTROL_FAILED', `systemctl ${args[0] ?? ''} failed`, {
        command: ['systemctl', ...args].join(' '),
        exitCode: result.exitCode ?? null,
        timedOut: result.timedOut,
        stderr: String(result.stderr).slice(0, 500),
      });
    }
    return String(result.stdout);
  }
}
