/**
 * The route table: one call per path declares which methods exist, which roles may call each,
 * whether the path is internal-only and whether it changes state (and under which audit
 * action); it is the only place those facts are written. Each route applies, from its own
 * declaration: the cross-site refusal of a state-changing path (fetch-site.ts, 403
 * CROSS_SITE_REQUEST), the gate (roles.ts: 401/403/404), then 405 with an Allow header for other
 * methods, then the method's roles; then it parses POST bodies as JSON and forwards async
 * errors. Paths no route declares get the same gate before 404 (api-app.ts). The matched
 * declaration is kept with the response (routeOf), so createApiApp derives from it the ping
 * counter (internal routes) and the audit of refusals before the handler (state-changing routes).
 */
import type express from 'express';
import { httpErrors } from '../errors/api-error.js';
import type { AuditAction } from '../logging/audit-chain.js';
import { parseJsonBody, discardBody } from './body.js';
import { getCaller, type Role } from './caller.js';
import { refuseCrossSite } from './fetch-site.js';
import { admitCaller, assertRole } from './roles.js';

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

/** What a route declares beyond its methods. */
export interface RouteOptions {
  /**
   * A hot route (sendOrder and the other order routes): a request whose URL is exactly the
   * declared path is dispatched from createApiApp's direct table, without express's router and
   * request/response additions (direct.ts); the gate, the body rules and the error answers are
   * the same functions either way. Its handlers may use only what Node's request and response
   * have, plus `req.body` (and `getCaller`, `sendJson`, ...): no `req.query`, `res.json`, `req.get`.
   */
  direct?: boolean;
  /**
   * The path changes state, whatever the method (a GET form included): a browser's request from
   * another site is refused (403 CROSS_SITE_REQUEST), and a refusal before the handler runs is
   * audited under this action (handlers audit their own outcomes).
   */
  stateChange?: AuditAction;
}

/** The declaration of the route a request matched, as routeOf answers it. */
export interface RouteDeclaration {
  /** The declared path (not the letter case or trailing slash asked). */
  readonly path: string;
  /** Internal-only: answers loopback peers without a certificate, 404 to everyone else. */
  readonly internal: boolean;
  /** The audit action of a state-changing path. */
  readonly stateChange?: AuditAction;
  /** Set once the method's handler owns the request (and audits its own outcome). */
  handlerReached: boolean;
}

const matched = new WeakMap<express.Response, RouteDeclaration>();

/** A declared route as the direct table (direct.ts) sees it. */
export interface DeclaredRoute {
  readonly path: string;
  readonly direct: boolean;
  /** The whole route (gate, method, body, handler); rejects with what the error middleware answers. */
  readonly handle: (req: express.Request, res: express.Response) => Promise<void>;
}

/** The router layer each defineRoute call added, with its declaration (express's own layers stay unknown here). */
const declaredLayers = new WeakMap<object, DeclaredRoute>();

/** The declaration behind one of express's router layers, or undefined when defineRoute did not add it. */
export function declaredRouteOf(layer: object): DeclaredRoute | undefined {
  return declaredLayers.get(layer);
}

/** The declaration of the route `res` answers for, or undefined when no route matched (yet). */
export function routeOf(res: express.Response): RouteDeclaration | undefined {
  return matched.get(res);
}

/** Refuses a body field outside `allowed` with `400 INVALID_REQUEST` naming the field. */
export function rejectUnknownFields(body: unknown, allowed: readonly string[]): void {
  for (const key of Object.keys((body ?? {}) as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw httpErrors.create('INVALID_REQUEST', `unknown field '${key}'`, { field: key, problem: 'unknown field' });
  }
}

/**
 * Declares `path` with one spec per method (GET also answers HEAD), without a router: the route's
 * whole handling (gate, method, body, handler) as one function. mountRoute puts it on an express
 * router; a node's front door (kan's, issue 17) may answer it before express is even loaded.
 */
export function declareRoute(path: string, methods: Partial<Record<RouteMethod, RouteSpec>>, options: RouteOptions = {}): DeclaredRoute {
  const declared = (Object.keys(methods) as RouteMethod[]).filter((method) => methods[method] !== undefined);
  const allow = declared.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
  const internal = declared.some((method) => methods[method]?.roles === 'internal');

  const handle = async (req: express.Request, res: express.Response): Promise<void> => {
    const caller = getCaller(req);
    const route: RouteDeclaration = { path, internal, ...(options.stateChange !== undefined ? { stateChange: options.stateChange } : {}), handlerReached: false };
    matched.set(res, route);
    if (options.stateChange !== undefined) refuseCrossSite(req, res);
    admitCaller(caller, internal);
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
    route.handlerReached = true;
    await spec.handler(req, res);
  };
  return { path, direct: options.direct === true, handle };
}

/** Puts a declared route on `router` (its layer keeps the declaration, for the direct table). */
export function mountRoute(router: express.Router | express.Express, route: DeclaredRoute): void {
  const target: express.Router = router as express.Router; // express.Express routes the same way
  target.all(route.path, route.handle);
  const stack = (target as unknown as { stack?: unknown[]; router?: { stack?: unknown[] } });
  const layer = (stack.stack ?? stack.router?.stack)?.at(-1);
  if (typeof layer === 'object' && layer !== null) declaredLayers.set(layer, route);
}

/** Declares `path` on `router` with one spec per method (GET also answers HEAD). */
export function defineRoute(router: express.Router | express.Express, path: string, methods: Partial<Record<RouteMethod, RouteSpec>>, options: RouteOptions = {}): void {
  mountRoute(router, declareRoute(path, methods, options));
}
