/**
 * Halt and resume from the console: the kan writes or removes qsen's halt marker in
 * `[paths] data`, the path `qsen-admin` takes on the server shell (packages/qsen killswitch.ts,
 * the one writer of that file). qsen checks the marker on every sendOrder, so a halt is in force
 * at once, survives restarts, and needs qsen neither up nor reachable. The kans run as the same
 * user as qsen and share its data folder in both modes (systemd: StateDirectory=qsen). Each
 * switch is audited in this kan's chain under `halt` / `resume`, channel `console`, with the
 * operator's certificate subject.
 */
import { openKillSwitch, type KillSwitchState } from '@qsen/qsen/killswitch';
import { kanErrors } from '../errors.js';
import type { AuditSink } from '@qsen/core/logging';

/** Who asks, and why. */
export interface SwitchRequest {
  readonly action: 'halt' | 'resume';
  readonly subject: string;
  readonly requestId: string;
  readonly reason: string | undefined;
}

/** Where the marker lives and where the switch is audited. */
export interface SwitchDeps {
  readonly dataDir: string;
  readonly audit: AuditSink;
  readonly kan: number;
  readonly now: () => number;
}

/** Turns the switch; answers the marker's state, or throws 500 KILL_SWITCH_FAILED (audited `failed`). */
export function switchKillSwitch(deps: SwitchDeps, ask: SwitchRequest): KillSwitchState {
  // No retries from the kan: a halt only this process holds in memory would stop nothing.
  const killSwitch = openKillSwitch(deps.dataDir, { retryMs: 0 });
  const details = { channel: 'console', kan: deps.kan, reason: ask.reason ?? null };
  const record = (outcome: 'done' | 'failed', extra: Record<string, unknown> = {}, code?: string): void => {
    deps.audit.record({ action: ask.action, subject: ask.subject, outcome, requestId: ask.requestId, ...(code !== undefined ? { code } : {}), details: { ...details, ...extra } });
  };
  try {
    let failure: string | undefined;
    if (ask.action === 'halt') {
      const state = killSwitch.halt(ask.subject, ask.reason, new Date(deps.now()));
      if (state.persisted === false) failure = state.persistError ?? 'EIO';
    } else {
      try {
        killSwitch.resume();
      } catch (err) {
        failure = (err as NodeJS.ErrnoException).code ?? 'EIO';
      }
    }
    if (failure !== undefined) {
      record('failed', { error: failure }, 'KILL_SWITCH_FAILED');
      throw kanErrors.create('KILL_SWITCH_FAILED', `the halt marker could not be ${ask.action === 'halt' ? 'written' : 'removed'} (${failure}); use qsenctl ${ask.action}, which qsen holds in memory`, { action: ask.action, error: failure });
    }
    const state = killSwitch.read();
    record('done');
    return state;
  } finally {
    killSwitch.close();
  }
}
