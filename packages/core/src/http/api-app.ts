/**
 * The express application shared by qsen and the kans: request id, HSTS, access log, the
 * certificate/role gate, the caller's routes, 404 for the rest, and one error middleware that
 * answers every error with the contract's body (docs/api.md §2 and §3). It never listens.
 */
import express from 'express';
import type winston from 'winston';
import { ApiError, httpErrors } from '../errors/api-error.js';
import { DEFAULT_MAX_BODY_BYTES, setBodyLimit } from './body.js';
import { establishCaller, getCaller } from './caller.js';
import { sendJson } from './respond.js';
import { HSTS_VALUE } from './tls-policy.js';
import { refuseCrossSiteRequests } from './fetch-site.js';

/** What createApiApp needs. */
export interface ApiAppOptions {
  logger: winston.Logger;
  /** Paths that answer loopback peers without a client certificate (e.g. "/qsen/v1/ping"). */
  internalPaths: readonly string[];
  /** Adds the routes (defineRoute calls or routers). */
  mount: (app: express.Express) => void;
  /** Request body limit in bytes (default 65536). */
  maxBodyBytes?: number;
  /** State-changing paths: refused with 403 CROSS_SITE_REQUEST when a browser sends them from another site (fetch-site.ts). */
  stateChangingPaths?: readonly string[];
  /** Called for every internal (loopback) request, which writes no access line (e.g. a ping counter). */
  onInternalRequest?: (path: string) => void;
  /**
   * Called when a request to one of `stateChangingPaths` is refused before its handler runs
   * (401, 403 FORBIDDEN or CROSS_SITE_REQUEST, 405, 413, INVALID_JSON): `path` is the declared
   * path, so the node can audit the refusal (handlers audit their own outcomes).
   */
  onStateChangeRefused?: (req: express.Request, path: string, code: string) => void;
}

/** Normalises a path for the internal-path comparison (express matches case-insensitively, trailing slash optional). */
function normalisePath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** Builds the API application; `mount` adds the routes. */
export function createApiApp(opts: ApiAppOptions): express.Express {
  const { logger } = opts;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const internal = new Set(opts.internalPaths.map(normalisePath));
  const stateChanging = new Map((opts.stateChangingPaths ?? []).map((p) => [normalisePath(p), p]));
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  // Request id, security headers, access log.
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const caller = establishCaller(req);
    setBodyLimit(req, maxBodyBytes);
    res.setHeader('X-Request-Id', caller.requestId);
    res.setHeader('Strict-Transport-Security', HSTS_VALUE);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // One access line per external request; the internal pings (loopback peers) are counted, not logged.
    if (internal.has(normalisePath(req.path)) && caller.loopback) {
      opts.onInternalRequest?.(req.path);
      return next();
    }
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const locals = res.locals as { errorCode?: string; refusal?: string };
      logger.info('request', {
        requestId: caller.requestId,
        method: req.method,
        path: req.path,
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
    next();
  });

  // The refusal is told in the request's access line (its code and reason), not in a line of its own.
  app.use(refuseCrossSiteRequests(opts.stateChangingPaths ?? [], (_req, res, reason) => {
    (res.locals as { refusal?: string }).refusal = reason;
  }));

  // The certificate gate: internal paths from loopback pass; everything else needs a valid
  // certificate with a known role (401 / 403), and internal paths off loopback are unknown paths.
  app.use((req, _res, next) => {
    const caller = getCaller(req);
    const isInternal = internal.has(normalisePath(req.path));
    if (isInternal && caller.loopback) return next();
    if (caller.certificate !== 'valid') throw httpErrors.create('CERTIFICATE_REQUIRED');
    if (caller.role === undefined) {
      throw httpErrors.create('FORBIDDEN', "the client certificate's OU is not a QSen role", { ou: caller.ou ?? null });
    }
    if (isInternal) throw httpErrors.create('NOT_FOUND');
    next();
  });

  opts.mount(app);

  app.use(() => {
    throw httpErrors.create('NOT_FOUND');
  });

  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const caller = getCaller(req);
    const apiError = toApiError(err);
    const locals = res.locals as { errorCode?: string; handlerReached?: boolean };
    locals.errorCode = apiError.code;
    const declared = stateChanging.get(normalisePath(req.path));
    if (declared !== undefined && locals.handlerReached !== true && apiError.status < 500 && apiError.code !== 'NOT_FOUND') {
      opts.onStateChangeRefused?.(req, declared, apiError.code);
    }
    if (apiError.status >= 500) {
      logger.error('request failed', {
        requestId: caller.requestId,
        method: req.method,
        path: req.path,
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
  });

  return app;
}

/** The ApiError for any thrown value: ApiErrors as they are, a bad URL encoding as INVALID_REQUEST, anything else INTERNAL_ERROR. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof URIError || (typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 400)) {
    return httpErrors.create('INVALID_REQUEST', 'the request URL is malformed', undefined, err);
  }
  return httpErrors.create('INTERNAL_ERROR', undefined, undefined, err);
}
