/**
 * POST /qsen/v1/heartbeat: the platform's heartbeat for the dead man's switch (docs/qsen.md,
 * "Dead man's switch"). `{}` arms the switch (the first of the trading day) or moves its
 * deadline; `{"disarm": true}` disarms it. Answers the switch's state. Platform role only.
 */
import express from 'express';
import { defineRoute, getCaller, sendJson } from '@qsen/core/http';
import type { DeadmanSwitch } from '../deadman/switch.js';
import { qsenErrors } from '../errors.js';

/** What the heartbeat route needs. */
export interface HeartbeatRoutesDeps {
  readonly deadman: DeadmanSwitch;
}

/** Reads `{}` or `{"disarm": true|false}`. */
export function readHeartbeatBody(body: unknown): { disarm: boolean } {
  const disarm = ((body ?? {}) as Record<string, unknown>)['disarm'];
  if (disarm !== undefined && typeof disarm !== 'boolean') throw qsenErrors.create('INVALID_REQUEST', "invalid field 'disarm': true or false", { field: 'disarm', problem: 'true or false' });
  return { disarm: disarm === true };
}

/** The heartbeat route. */
export function createHeartbeatRoutes(deps: HeartbeatRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/heartbeat', {
    POST: {
      roles: ['platform'],
      bodyFields: ['disarm'],
      handler: (req, res) => {
        const caller = getCaller(req);
        const who = { subject: caller.subject ?? '', ...(caller.requestId ? { requestId: caller.requestId } : {}) };
        const { disarm } = readHeartbeatBody(req.body);
        sendJson(res, { deadman: disarm ? deps.deadman.disarm(who) : deps.deadman.heartbeat(who) });
      },
    },
  }, { stateChange: 'heartbeat' });
  return router;
}
