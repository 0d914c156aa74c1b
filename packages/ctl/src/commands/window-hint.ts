/**
 * Outside the trading window qsen is stopped by design, so a qsen command meets a refused
 * connection. The kans are the source of truth then: this asks them for the window and turns the
 * refusal into "outside the trading window, opens at <local> (<UTC>)" (docs/integrator.md,
 * "Outside the trading window"). The decision is a plain function of a kan's status answer.
 */
import type { QsenClient } from '../client/client.js';
import { createCtlError, CtlError } from '../errors.js';
import { asRecord } from '../render/values.js';

/** The message for a qsen refusal given a kan's status answer, or undefined when the window is open (or unknown). */
export function describeClosedWindow(kanStatus: unknown): string | undefined {
  const schedule = asRecord(asRecord(kanStatus)['schedule']);
  const window = asRecord(schedule['window']);
  if (window['open'] !== false) return undefined;
  const local = schedule['nextChangeLocal'];
  const at = typeof local === 'string' ? local
    : typeof window['nextChangeAt'] === 'number' ? new Date(window['nextChangeAt']).toISOString() : null;
  const reason = typeof window['reason'] === 'string' ? ` (${window['reason']})` : '';
  return `qsen is stopped: outside the trading window${reason}${at === null ? '' : `, opens at ${at}`}; the kans start it then (\`qsenctl status\` shows the window)`;
}

/** Replaces qsen's refused connection by the closed window when a kan says so; any other failure is returned unchanged. */
export async function explainQsenRefusal(client: QsenClient, err: CtlError): Promise<CtlError> {
  const node = asRecord(err.details)['node'];
  if (err.code !== 'CONNECTION_REFUSED' || node !== client.qsen.label) return err;
  for (const index of [0, 1, 2]) {
    try {
      const message = describeClosedWindow(await client.callJson(client.kan(index), '/kan/v1/status'));
      if (message === undefined) return err;
      return createCtlError('QSEN_OUTSIDE_WINDOW', message, { details: err.details, cause: err });
    } catch (kanErr) {
      if (!(kanErr instanceof CtlError)) throw kanErr;
    }
  }
  return err;
}
