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
  return {
    name, state: pid === null && state === 'running' ? 'stopped' : state, pid, invocation: fields.get('InvocationID') ?? '', startedAt, starts: null,
    lastExit: parseLastExit(fields),
  };
}

/** Signal names by number (Linux) for ExecMainStatus of a killed process. */
const SIGNALS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' };

/**
 * The main process's last exit from ExecMainCode (1 exited, 2 killed, 3 dumped core),
 * ExecMainStatus and ExecMainExitTimestamp (pure); null when it never exited. The explaining
 * line is in the journal (`journalctl -u UNIT`), not here: `line` is null.
 */
function parseLastExit(fields: ReadonlyMap<string, string>): ProcessState['lastExit'] {
  const unix = /^@(\d+)$/.exec(fields.get('ExecMainExitTimestamp') ?? '');
  const how = Number(fields.get('ExecMainCode') ?? '0');
  const status = Number(fields.get('ExecMainStatus') ?? '');
  if (unix?.[1] === undefined || !Number.isInteger(status) || how === 0) return null;
  const at = new Date(Number(unix[1]) * 1000).toISOString();
  if (how === 1) return { code: status, signal: null, at, line: null };
  return { code: null, signal: SIGNALS[status] ?? `signal ${status}`, at, line: null };
}

/**
 * True when a verb meant for invocation `observed` has nothing left to do (pure): the unit has
 * another invocation now, or is already on its way down or up (a verb under way).
 */
export function isReplaced(observed: string, current: ProcessState): boolean {
  return current.invocation !== observed || current.state === 'starting' || current.state === 'stopping';
}

/** Process control through `systemctl`. `systemctlPath` is injectable for tests (a fake systemctl). */
export function createSystemdControl(opts: { systemctlPath?: string; timeoutMs?: number } = {}): ProcessControl {
  const systemctl = opts.systemctlPath ?? 'systemctl';
  const verbTimeoutMs = opts.timeoutMs ?? 60_000;

  const run = async (args: string[], timeoutMs: number): Promise<string> => {
    const { execa } = await import('execa'); // loaded on first use: an idle kan does not carry it
    const result = await execa(systemctl, args, { reject: false, timeout: timeoutMs, stdin: 'ignore', env: { LC_ALL: 'C', SYSTEMD_PAGER: '' } });
    if (result.exitCode !== 0 || result.timedOut || result.failed) {
      throw kanErrors.create('PROCESS_CONTROL_FAILED', `systemctl ${args[0] ?? ''} failed`, {
        command: ['systemctl', ...args].join(' '),
        exitCode: result.exitCode ?? null,
        timedOut: result.timedOut,
        stderr: String(result.stderr).slice(0, 500),
      });
    }
    return String(result.stdout);
  };

  const status = async (name: ProcessName): Promise<ProcessState> => {
    const out = await run(['show', '--timestamp=unix', '-p', 'MainPID,InvocationID,ActiveState,SubState,ExecMainStartTimestamp,ExecMainExitTimestamp,ExecMainCode,ExecMainStatus', unitOf(name)], 10_000);
    return parseSystemctlShow(name, out);
  };

  const verb = async (action: 'start' | 'stop' | 'restart', name: ProcessName, ifInvocation: string | undefined): Promise<ProcessState> => {
    if (ifInvocation !== undefined) {
      // The caller holds the target's cross-kan lock: this check and the verb are one step.
      const current = await status(name);
      if (isReplaced(ifInvocation, current)) return { ...current, coalesced: true };
    }
    await run([action, '--no-ask-password', unitOf(name)], verbTimeoutMs);
    return status(name);
  };

  return {
    mode: 'systemd',
    status,
    start: (name, ifInvocation) => verb('start', name, ifInvocation),
    stop: (name, ifInvocation) => verb('stop', name, ifInvocation),
    restart: (name, ifInvocation) => verb('restart', name, ifInvocation),
  };
}
