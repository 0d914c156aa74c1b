/** GET|POST /kan/v1/restart_qsen and /kan/v1/restart_kan?node=N: 202, carried out in the background. */
import express from 'express';
import { defineRoute, getCaller, sendJson, MAINTENANCE_ROLES } from '@qsen/core/http';
import { kanErrors } from '../errors.js';
import { kanName, type ProcessName } from '../process/control.js';
import type { RestartRequests } from '../watchdog/requests.js';
import { readQuery } from './query.js';

/** Resolves once the answer has been handed to the socket (or the client went away). */
function answeredPromise(res: express.Response): Promise<void> {
  return new Promise((resolve) => {
    res.once('finish', () => resolve());
    res.once('close', () => resolve());
  });
}

/** The restart endpoints. */
export function createRestartRoutes(deps: { selfIndex: number; requests: RestartRequests }): express.Router {
  const router = express.Router();
  const handle = (target: (req: express.Request) => ProcessName) => async (req: express.Request, res: express.Response): Promise<void> => {
    const name = target(req);
    const caller = getCaller(req);
    const ticket = await deps.requests.request(name, { subject: caller.subject ?? 'unknown', requestId: caller.requestId }, answeredPromise(res));
    sendJson(res, { ...ticket, requestId: caller.requestId }, 202);
  };
  const qsen = handle(() => 'qsen');
  defineRoute(router, '/kan/v1/restart_qsen', { GET: { roles: MAINTENANCE_ROLES, handler: qsen }, POST: { roles: MAINTENANCE_ROLES, handler: qsen } }, { stateChange: 'restart_qsen' });
  const kan = handle((req) => {
    const node = readQuery(req, 'node');
    if (node === undefined) return kanName(deps.selfIndex);
    if (!/^[0-2]$/.test(node)) throw kanErrors.create('INVALID_NODE', undefined, { node: node.slice(0, 20) });
    return kanName(Number(node));
  });
  defineRoute(router, '/kan/v1/restart_kan', { GET: { roles: MAINTENANCE_ROLES, handler: kan }, POST: { roles: MAINTENANCE_ROLES, handler: kan } }, { stateChange: 'restart_kan' });
  return router;
}
