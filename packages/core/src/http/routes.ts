/**
 * The route table helper: one call per path declares which methods exist and which roles
 * may call each; it answers 404 for internal paths off loopback, 405 with an Allow header for
 * other methods, 401/403 by role, parses POST bodies as JSON, and forwards async errors.
 */
import type express from 'express';
import { httpErrors } from '../errors/api-error.js';
import { parseJsonBody, discardBody } from './body.js';
import { getCaller, type Role } from './caller.js';
import { assertRole } from './roles.js';

/** The methods a route may answer. */
export type RouteMethod = 'GET' | 'POST';

/** One method of one route: who may call it (`'internal'`: loopback peers only) and what answers. */
export interface RouteSpec {
  roles: readonly Role[] | 'internal';
  handler: (req: express.Request, res: express.Response) => unknown | Promise<unknown>;
  /**
   * The body fields a POST accepts. When set, any other field is `400 INVALID_REQUEST` before the
   * handler runs (`[]`: the body must be `{}` or empty). Unset: the handler validates the body itself.
   */
  bodyFields?: readonly string[];
}

/** Refuses a body field outside `allowed` with `400 INVALID_REQUEST` naming the field. */
export function rejectUnknownFields(body: unknown, allowed: readonly string[]): void {
  for (const key of Object.keys((body ?? {}) as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw httpErrors.create('INVALID_REQUEST', `unknown field '${key}'`, { field: key, problem: 'unknown field' });
  }
}

/** Declares `path` on `router` with one spec per method (GET also answers HEAD). */
export function defineRoute(router: express.Router | express.Express, path: string, methods: Partial<Record<RouteMethod, RouteSpec>>): void {
  const declared = (Object.keys(methods) as RouteMethod[]).filter((method) => methods[method] !== undefined);
  const allow = declared.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
  const internal = declared.some((method) => methods[method]?.roles === 'internal');

  const target: express.Router = router as express.Router; // express.Express routes the same way
  target.all(path, async (req: express.Request, res: express.Response) => {
    const caller = getCaller(req);
    // An internal path off loopback is indistinguishable from an unknown path, whatever the method.
    if (internal && !caller.loopback) throw httpErrors.create('NOT_FOUND');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const spec = method === 'GET' || method === 'POST' ? methods[method] : undefined;
    if (spec === undefined) {
      res.setHeader('Allow', allow);
      throw httpErrors.create('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allow}`, { allow: declared });
    }
    if (spec.roles !== 'internal') assertRole(caller, spec.roles);
    if (method === 'POST') {
      await parseJsonBody(req, res);
      if (spec.bodyFields !== undefined) rejectUnknownFields(req.body, spec.bodyFields);
    } else {
      await discardBody(req, res);
    }
    // From here on the handler owns the request (and audits its own outcome).
    (res.locals as { handlerReached?: boolean }).handlerReached = true;
    await spec.handler(req, res);
  });
}
