/**
 * GET /kan/v1/ping: internal, loopback only (the watchdog's probe). Declared without a router and
 * `direct`: the kan's front door answers it before express is loaded (front-door.ts), and the
 * express app, once built, from its direct table; one declaration serves both.
 */
import { declareRoute, sendJson, type DeclaredRoute } from '@qsen/core/http/server';
import { uptimeSeconds, type Clock } from '@qsen/core/schedule';

/** The internal ping. */
export function declarePingRoute(deps: { readonly startedAt: number; readonly clock: Clock }): DeclaredRoute {
  return declareRoute('/kan/v1/ping', {
    GET: {
      roles: 'internal',
      handler: (_req, res) => sendJson(res, { ok: true, pid: process.pid, uptimeSeconds: uptimeSeconds(deps.startedAt, deps.clock.now()) }),
    },
  }, { direct: true });
}
