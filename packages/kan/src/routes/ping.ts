/** GET /kan/v1/ping: internal, loopback only (the watchdog's probe). */
import express from 'express';
import { defineRoute, sendJson } from '@qsen/core/http';

/** The internal ping. */
export function createPingRoutes(deps: { startedAt: number; now: () => number }): express.Router {
  const router = express.Router();
  defineRoute(router, '/kan/v1/ping', {
    GET: {
      roles: 'internal',
      handler: (_req, res) => sendJson(res, { ok: true, pid: process.pid, uptimeSeconds: Math.floor((deps.now() - deps.startedAt) / 1000) }),
    },
  });
  return router;
}
