/**
 * POST /qsen/v1/halt and /qsen/v1/resume: the agent's kill switch (operator role only).
 */
import express from 'express';
import { defineRoute, getCaller, rejectUnknownFields, sendJson, type Clock, type AuditSink } from '@qsen/core';
import { qsenErrors } from '../errors.js';
import type { KillSwitch } from '../killswitch/killswitch.js';

/** What the kill-switch routes need. */
export interface KillSwitchRoutesDeps {
  readonly killSwitch: KillSwitch;
  readonly clock: Clock;
  readonly audit: AuditSink;
}

function readReason(body: unknown): string | undefined {
  rejectUnknownFields(body, ['reason']);
  const fields = (body ?? {}) as Record<string, unknown>;
  const reason = fields['reason'];
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 500) throw qsenErrors.create('INVALID_REQUEST', "invalid field 'reason': a string of at most 500 characters", { field: 'reason', problem: 'a string of at most 500 characters' });
  return reason;
}

/** The kill-switch routes. */
export function createKillSwitchRoutes(deps: KillSwitchRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/halt', {
    POST: {
      roles: ['operator'],
      handler: (req, res) => {
        const caller = getCaller(req);
        const reason = readReason(req.body);
        const state = deps.killSwitch.halt(caller.subject ?? '', reason, new Date(deps.clock.now()));
        const persisted = state.persisted !== false;
        // A halt the disk refused is still in effect (held in memory): `done` with `persisted: false`.
        deps.audit.record({ action: 'halt', subject: caller.subject ?? '', outcome: 'done', requestId: caller.requestId, details: { channel: 'api', reason: reason ?? null, ...(persisted ? {} : { persisted: false, persistError: state.persistError }) } });
        if (!persisted) throw qsenErrors.create('HALT_NOT_PERSISTED', undefined, { halted: true, persisted: false, persistError: state.persistError });
        sendJson(res, state);
      },
    },
  }, { stateChange: 'halt' });
  defineRoute(router, '/qsen/v1/resume', {
    POST: {
      roles: ['operator'],
      handler: (req, res) => {
        const caller = getCaller(req);
        const reason = readReason(req.body);
        const state = deps.killSwitch.resume();
        deps.audit.record({ action: 'resume', subject: caller.subject ?? '', outcome: 'done', requestId: caller.requestId, details: { channel: 'api', reason: reason ?? null } });
        sendJson(res, state);
      },
    },
  }, { stateChange: 'resume' });
  return router;
}
