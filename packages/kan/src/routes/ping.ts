/** GET /kan/v1/ping: internal, loopback only (the watchdog's probe). */
import type express from 'express';
import { defineRoute, sendJson } from '@qsen/core';

/** Mounts the internal ping. */
export function mountPingRoutes(app: express.Express, deps: { startedAt: number; now: () => number }): void {
  defineRoute(app, '/kan/v1/ping', {
    GET: {
      roles: 'internal',
      handler: (_req, res) => sendJson(res, { ok: true, pid: process.pid, uptimeSeconds: Math.floor((deps.now() - deps.startedAt) / 1000) }),
    },
  });
}
