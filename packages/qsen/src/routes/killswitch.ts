/**
 * POST /qsen/v1/halt and /qsen/v1/resume: the agent's kill switch (operator role only);
 * GET /qsen/v1/massCancel: the progress and result of the last mass cancel (every role).
 * `halt` with `"cancelOpen": true` also cancels every resting in-range order (docs/qsen.md,
 * "Pulling resting orders"): the halt is in force first, the answer waits up to
 * `massCancelWaitMs` for the mass cancel to finish and shows where it stands.
 */
import express from 'express';
import { defineRoute, getCaller, rejectUnknownFields, sendJson, ROLES } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import { qsenErrors } from '../errors.js';
import type { Halting } from '../killswitch/halting.js';
import type { KillSwitch } from '../killswitch/killswitch.js';
import type { MassCancel } from '../killswitch/mass-cancel.js';

/** What the kill-switch routes need. */
export interface KillSwitchRoutesDeps {
  readonly killSwitch: KillSwitch;
  readonly halting: Halting;
  readonly massCancel: MassCancel;
  readonly audit: AuditSink;
  /** How long `halt` with cancelOpen waits for the mass cancel before answering its progress (default 10 s: under qsenctl's 15 s request timeout). */
  readonly massCancelWaitMs?: number;
}

/** The fields of a halt or resume body. */
export interface KillSwitchBody {
  readonly reason: string | undefined;
  readonly cancelOpen: boolean;
}

/** Reads `{"reason"?, "cancelOpen"?}` (cancelOpen only where `allowCancelOpen`); the default is no cancel. */
export function readKillSwitchBody(body: unknown, allowCancelOpen: boolean): KillSwitchBody {
  rejectUnknownFields(body, allowCancelOpen ? ['reason', 'cancelOpen'] : ['reason']);
  const fields = (body ?? {}) as Record<string, unknown>;
  const reason = fields['reason'];
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) throw qsenErrors.create('INVALID_REQUEST', "invalid field 'reason': a string of at most 500 characters", { field: 'reason', problem: 'a string of at most 500 characters' });
  const cancelOpen = fields['cancelOpen'];
  if (cancelOpen !== undefined && typeof cancelOpen !== 'boolean') throw qsenErrors.create('INVALID_REQUEST', "invalid field 'cancelOpen': true or false", { field: 'cancelOpen', problem: 'true or false' });
  return { reason: reason as string | undefined, cancelOpen: cancelOpen === true };
}

/** The kill-switch routes. */
export function createKillSwitchRoutes(deps: KillSwitchRoutesDeps): express.Router {
  const router = express.Router();
  const waitMs = deps.massCancelWaitMs ?? 10_000;
  defineRoute(router, '/qsen/v1/halt', {
    POST: {
      roles: ['operator'],
      handler: async (req, res) => {
        const caller = getCaller(req);
        const { reason, cancelOpen } = readKillSwitchBody(req.body, true);
        const outcome = await deps.halting.halt({ by: caller.subject ?? '', channel: 'api', ...(reason !== undefined ? { reason } : {}), cancelOpen, ...(caller.requestId ? { requestId: caller.requestId } : {}) });
        const { state } = outcome;
        // A halt the disk refused is still in effect (held in memory), and so is its mass cancel.
        if (state.persisted === false) throw qsenErrors.create('HALT_NOT_PERSISTED', undefined, { halted: true, persisted: false, persistError: state.persistError, ...(outcome.massCancel ? { massCancel: outcome.massCancel.run } : {}) });
        const massCancel = outcome.massCancel ? await deps.massCancel.settle(waitMs) : undefined;
        sendJson(res, { ...state, ...(massCancel ? { massCancel } : {}) });
      },
    },
  }, { stateChange: 'halt' });
  defineRoute(router, '/qsen/v1/resume', {
    POST: {
      roles: ['operator'],
      handler: (req, res) => {
        const caller = getCaller(req);
        const { reason } = readKillSwitchBody(req.body, false);
        const state = deps.killSwitch.resume();
        deps.audit.record({ action: 'resume', subject: caller.subject ?? '', outcome: 'done', requestId: caller.requestId, details: { channel: 'api', reason: reason ?? null } });
        sendJson(res, state);
      },
    },
  }, { stateChange: 'resume' });
  defineRoute(router, '/qsen/v1/massCancel', {
    GET: {
      roles: ROLES,
      handler: (_req, res) => sendJson(res, { massCancel: deps.massCancel.report() ?? null }),
    },
  });
  return router;
}
