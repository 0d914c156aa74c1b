/**
 * The express application shared by qsen and the kans: request id, HSTS, access log, the
 * caller's routes (each applies the cross-site refusal and the certificate/role gate from its
 * route table entry), the same gate then 404 for paths no route declares, and one error
 * middleware that answers every error with the contract's body (docs/api.md §2 and §3). What it
 * does per route (no access line for internal pings, the audit hook for refused state changes)
 * it reads from the route the request matched (routeOf): no path list of its own. It never listens.
 */
import express from 'express';
import type winston from 'winston';
import { ApiError, httpErrors } from '../errors/api-error.js';
import { DEFAULT_MAX_BODY_BYTES, setBodyLimit } from './body.js';
import { establishCaller, getCaller } from './caller.js';
import { sendJson } from './respond.js';
import { admitCaller } from './roles.js';
import { installDirectDispatch, collectDirectRoutes } from './direct.js';
import { routeOf } from './routes.js';
import { HSTS_VALUE } from './tls-policy.js';
import type { AuditAction } from '../logging/audit-chain.js';
import type { AuditSink } from '../logging/audit.js';

/** What createApiApp needs. */
export interface ApiAppOptions {
  logger: winston.Logger;
  /**
   * Adds the routes (defineRoute calls or routers of them): the single declaration of paths,
   * methods, roles, internal paths and state-changing paths with their audit actions.
   */
  mount: (app: express.Express) => void;
  /** Request body limit in bytes (default 65536). */
  maxBodyBytes?: number;
  /** Called when an internal route answers a loopback peer, which writes no access line (e.g. a ping counter); `path` is the declared path. */
  onInternalRequest?: (path: string) => void;
  /**
   * Called when a request to a route declared state-changing is refused before its handler runs
   * (401, 403 FORBIDDEN or CROSS_SITE_REQUEST, 405, 413, INVALID_JSON), with the route's audit
   * action, so the node can audit the refusal (handlers audit their own outcomes).
   */
  onStateChangeRefused?: (req: express.Request, action: AuditAction, code: string) => void;
}

/** The onStateChangeRefused of a node: each refusal becomes one `refused` audit entry with the caller's subject. */
export function auditStateChangeRefusals(audit: AuditSink): NonNullable<ApiAppOptions['onStateChangeRefused']> {
  return (req, action, code) => {
    const caller = getCaller(req);
    audit.record({ action, subject: caller.subject ?? 'unknown', outcome: 'refused', code, requestId: caller.requestId });
  };
}

/** Builds the API application; `mount` adds the routes. */
export function createApiApp(opts: ApiAppOptions): express.Express {
  const { logger } = opts;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  // Request id, security headers, access log: before any route, in express's path and the direct one.
  const prologue = (req: express.Request, res: express.Response): void => {
    const started = process.hrtime.bigint();
    const caller = establishCaller(req);
    setBodyLimit(req, maxBodyBytes);
    res.setHeader('X-Request-Id', caller.requestId);
    res.setHeader('Strict-Transport-Security', HSTS_VALUE);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // One access line per external request; the internal pings (an internal route answering a
    // loopback peer) are counted when their answer is done, not logged.
    res.once('close', () => {
      const route = routeOf(res);
      if (route?.internal === true && caller.loopback) {
        opts.onInternalRequest?.(route.path);
        return;
      }
      // winston would build, redact and format the line before its level drops it.
      if (!logger.isLevelEnabled('info')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const locals = res.locals as { errorCode?: string; refusal?: string };
      logger.info('request', {
        requestId: caller.requestId,
        method: req.method,
        path: requestPath(req),
        status: res.statusCode,
        ms: Math.round(ms * 1000) / 1000,
        role: caller.role ?? null,
        subject: caller.subject ?? null,
        remoteAddress: req.socket.remoteAddress ?? null,
        ...(locals.errorCode !== undefined ? { code: locals.errorCode } : {}),
        ...(locals.refusal !== undefined ? { refusal: locals.refusal } : {}),
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
  };

  const onError = (err: unknown, req: express.Request, res: express.Response): void => {
    const caller = getCaller(req);
    const apiError = toApiError(err);
    (res.locals as { errorCode?: string }).errorCode = apiError.code;
    const route = routeOf(res);
    if (route?.stateChange !== undefined && !route.handlerReached && apiError.status < 500 && apiError.code !== 'NOT_FOUND') {
      // A failing hook must not change the answer (nor, in the direct path, escape as an unhandled rejection).
      try {
        opts.onStateChangeRefused?.(req, route.stateChange, apiError.code);
      } catch (hookErr) {
        logger.error('the refusal hook failed', { requestId: caller.requestId, code: apiError.code, error: hookErr instanceof Error ? hookErr.message : String(hookErr) });
      }
    }
    if (apiError.status >= 500) {
      logger.error('request failed', {
        requestId: caller.requestId,
        method: req.method,
        path: requestPath(req),
        error: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
    }
    if (res.headersSent) {
      // Part of the answer is already out: the only honest signal left is to cut the connection.
      res.destroy();
      return;
    }
    // 405 sets Allow before throwing; other headers of a failed handler do not apply to the error body.
    sendJson(res, apiError.toBody(), apiError.status);
  };

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

/** The path of a request as express's `req.path` gives it (a direct request has no express additions: its URL is the path). */
export function requestPath(req: express.Request): string {
  const path = (req as { path?: unknown }).path;
  if (typeof path === 'string') return path;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** The ApiError for any thrown value: ApiErrors as they are, a bad URL encoding as INVALID_REQUEST, anything else INTERNAL_ERROR. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof URIError || (typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 400)) {
    return httpErrors.create('INVALID_REQUEST', 'the request URL is malformed', undefined, err);
  }
  return httpErrors.create('INTERNAL_ERROR', undefined, undefined, err);
}
