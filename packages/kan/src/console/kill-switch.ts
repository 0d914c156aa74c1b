/**
 * Halt and resume from the console: the kan writes or removes qsen's halt marker in
 * `[paths] data`, the path `qsen-admin` takes on the server shell, with the marker's one writer
 * (core's killswitch/halt-marker.ts, which qsen reads through). qsen checks the marker on every sendOrder, so a halt is in force
 * at once, survives restarts, and needs qsen neither up nor reachable. The kans run as the same
 * user as qsen and share its data folder in both modes (systemd: StateDirectory=qsen). Each
 * switch is audited in this kan's chain under `halt` / `resume`, channel `console`, with the
 * operator's certificate subject.
 */
import { readHaltMarker, removeHaltMarker, writeHaltMarker, type HaltMarker } from '@qsen/core/killswitch';
import { kanErrors } from '../errors.js';
import type { AuditSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';

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
  readonly clock: Clock;
}

/** Turns the switch; answers the marker's state, or throws 500 KILL_SWITCH_FAILED (audited `failed`). */
export function switchKillSwitch(deps: SwitchDeps, ask: SwitchRequest): HaltMarker {
  // Written at once or refused: a halt only this process held in memory would stop nothing.
  const details = { channel: 'console', kan: deps.kan, reason: ask.reason ?? null };
  const record = (outcome: 'done' | 'failed', extra: Record<string, unknown> = {}, code?: string): void => {
    deps.audit.record({ action: ask.action, subject: ask.subject, outcome, requestId: ask.requestId, ...(code !== undefined ? { code } : {}), details: { ...details, ...extra } });
  };
  try {
    if (ask.action === 'halt') writeHaltMarker(deps.dataDir, { since: new Date(deps.clock.now()).toISOString(), by: ask.subject, ...(ask.reason ? { reason: ask.reason } : {}) });
    else removeHaltMarker(deps.dataDir);
  } catch (err) {
    const failure = (err as NodeJS.ErrnoException).code ?? 'EIO';
    record('failed', { error: failure }, 'KILL_SWITCH_FAILED');
    throw kanErrors.create('KILL_SWITCH_FAILED', `the halt marker could not be ${ask.action === 'halt' ? 'written' : 'removed'} (${failure}); use qsenctl ${ask.action}, which qsen holds in memory`, { action: ask.action, error: failure });
  }
  const state = readHaltMarker(deps.dataDir);
  record('done');
  return state;
}
