/**
 * The express application shared by qsen and the kans: request id, HSTS, access log, the
 * caller's routes (each applies the cross-site refusal and the certificate/role gate from its
 * route table entry), the same gate then 404 for paths no route declares, and one error
 * middleware that answers every error with the contract's body (docs/api.md §2 and §3). What it
 * does per route (no access line for internal pings, the audit hook for refused state changes)
 * it reads from the route the request matched (routeOf): no path list of its own. The prologue
 * and the error answer are api-parts.ts's (express-free). It never listens.
 */
import express from 'express';
import { httpErrors } from '../errors/api-error.js';
import { createApiParts, type ApiPartsOptions } from './api-parts.js';
import { getCaller } from './caller.js';
import { admitCaller } from './roles.js';
import { installDirectDispatch, collectDirectRoutes } from './direct.js';

/** What createApiApp needs. */
export interface ApiAppOptions extends ApiPartsOptions {
  /**
   * Adds the routes (defineRoute calls or routers of them): the single declaration of paths,
   * methods, roles, internal paths and state-changing paths with their audit actions.
   */
  mount: (app: express.Express) => void;
}

/** Builds the API application; `mount` adds the routes. */
export function createApiApp(opts: ApiAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  // Request id, security headers, access log: before any route, in express's path and the direct one.
  const { prologue, onError } = createApiParts(opts);
  const prologueLayer = (req: express.Request, res: express.Response, next: express.NextFunction): void => {
    prologue(req, res);
    next();
  };
  app.use(prologueLayer);

  opts.mount(app);

  // A path no route declares: the gate first (401/403), then 404.
  app.use((req) => {
    admitCaller(getCaller(req), false);
    throw httpErrors.create('NOT_FOUND');
  });

  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => onError(err, req, res));

  // The hot routes (declared `direct`) answer their exact path from a table (direct.ts), read from
  // express's stack after the prologue layer (when express put anything before it: no table).
  const stack = (app as unknown as { router: { stack: Array<{ handle?: unknown }> } }).router.stack;
  if (stack[0]?.handle === prologueLayer) installDirectDispatch(app, collectDirectRoutes(stack, 1), { prologue, onError });

  return app;
}
