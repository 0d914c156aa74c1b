/**
 * Halting, from any channel (the API, the dead man's switch, the shell command's marker): one
 * place that turns the switch on, audits it, and starts the mass cancel when asked
 * (docs/qsen.md, "Pulling resting orders").
 *
 * The halt takes effect first (the switch is on in memory before anything else, so every
 * following sendOrder is 423 HALTED at once); the mass cancel request is written into the halt
 * marker with its run id before the run begins, so a crash between the two cannot lose it: at the
 * next start, or at the next look at the marker (`pickUpRequests`, every half second), a request
 * the mass cancel does not know yet is started. That is also how `qsen-admin halt --cancel-open`
 * reaches the running qsen without a network call.
 */
import { randomUUID } from 'node:crypto';
import type { AuditSink, LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import type { KillSwitch, KillSwitchState } from './killswitch.js';
import type { MassCancel, MassCancelReport } from './mass-cancel.js';
import type { MassCancelChannel } from './mass-cancel-log.js';
import { errorMessage } from '@qsen/core/errors';

/** One halt. */
export interface HaltCommand {
  readonly by: string;
  readonly channel: MassCancelChannel;
  readonly reason?: string;
  /** Also cancel every resting in-range order. */
  readonly cancelOpen: boolean;
  readonly requestId?: string;
  /** Extra audit details of the halt line (the dead man's switch's last heartbeat and deadline). */
  readonly details?: Record<string, unknown>;
}

/** What a halt came to: the switch's state, and the mass cancel it started or joined. */
export interface HaltOutcome {
  readonly state: KillSwitchState;
  readonly massCancel?: MassCancelReport;
}

/** What halting needs. */
export interface HaltingDeps {
  readonly killSwitch: KillSwitch;
  readonly massCancel: MassCancel;
  readonly clock: Clock;
  readonly audit: AuditSink;
  readonly log?: LogSink;
}

/** The halting of one node. */
export interface Halting {
  /** Halts (at once), audits, and with `cancelOpen` starts (or joins) the mass cancel; resolves once its set is chosen. */
  halt(command: HaltCommand): Promise<HaltOutcome>;
  /** Starts the mass cancel a halt marker asks for when it was not started yet (the shell command, a crash); resolves to it or undefined. */
  pickUpRequests(): Promise<MassCancelReport | undefined>;
}

/** Creates the halting of a node. */
export function createHalting(deps: HaltingDeps): Halting {
  const { killSwitch, massCancel } = deps;
  let picking: Promise<MassCancelReport | undefined> | undefined;

  return {
    async halt(command) {
      // A run going on is joined: the marker keeps pointing at it.
      const running = massCancel.isRunning() ? massCancel.report() : undefined;
      const cancelOpen = command.cancelOpen
        ? { run: running?.run ?? randomUUID(), requestedAt: new Date(deps.clock.now()).toISOString(), channel: command.channel }
        : undefined;
      const state = killSwitch.halt(command.by, command.reason, new Date(deps.clock.now()), cancelOpen);
      const persisted = state.persisted !== false;
      deps.audit.record({
        action: 'halt',
        subject: command.by,
        outcome: 'done',
        ...(command.requestId ? { requestId: command.requestId } : {}),
        details: { channel: command.channel, reason: command.reason ?? null, cancelOpen: command.cancelOpen, ...(cancelOpen ? { run: cancelOpen.run } : {}), ...(command.details ?? {}), ...(persisted ? {} : { persisted: false, persistError: state.persistError }) },
      });
      if (!cancelOpen) return { state };
      const report = await massCancel.start({ by: command.by, channel: command.channel, reason: command.reason ?? null, run: cancelOpen.run, ...(command.requestId ? { requestId: command.requestId } : {}) });
      return { state, massCancel: report };
    },
    pickUpRequests() {
      // `.finally` (never a synchronous finally inside): the slot is freed after it was taken.
      picking ??= (async () => {
        const marker = killSwitch.read();
        const request = marker.cancelOpen;
        if (!request || massCancel.knows(request.run) || massCancel.isRunning()) return undefined;
        deps.log?.warn('mass cancel asked for by the halt marker and not started yet: starting it', { run: request.run, channel: request.channel, by: marker.by });
        return massCancel.start({ by: request.by ?? marker.by ?? 'unknown', channel: request.channel, reason: request.reason ?? marker.reason ?? null, run: request.run });
      })().catch((err: unknown) => {
        deps.log?.error('mass cancel: the halt marker\'s request could not be started', { error: errorMessage(err) });
        return undefined;
      }).finally(() => {
        picking = undefined;
      });
      return picking;
    },
  };
}
