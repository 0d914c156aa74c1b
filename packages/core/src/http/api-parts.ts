/**
 * What createApiApp runs around every route, without express (issue 17): the prologue (request
 * id, security headers, the access line or the internal-ping count) and the error answer (the
 * contract's body, the audit of refused state changes, the log of 5xx). createApiApp runs them in
 * express's path and in its direct table; a node's front door (kan's) runs the same functions for
 * the routes it answers before express is loaded, so every answer byte is the same either way.
 */
import type express from 'express';
import type winston from 'winston';
import { ApiError, httpErrors, errorMessage } from '../errors/api-error.js';
import { DEFAULT_MAX_BODY_BYTES, setBodyLimit } from './body.js';
import { establishCaller, getCaller } from './caller.js';
import { sendJson } from './respond.js';
import { routeOf } from './routes.js';
import { HSTS_VALUE } from './tls-policy.js';
import type { AuditAction } from '../logging/audit-chain.js';
import type { AuditSink } from '../logging/audit.js';

/** What the prologue and the error answer need (createApiApp's options without its routes). */
export interface ApiPartsOptions {
  logger: winston.Logger;
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

/** The prologue and the error answer of one application. */
export interface ApiParts {
  /** Runs before any route (request id, headers, access line). */
  readonly prologue: (req: express.Request, res: express.Response) => void;
  /** Answers an error the route threw or rejected with. */
  readonly onError: (err: unknown, req: express.Request, res: express.Response) => void;
}

/** The onStateChangeRefused of a node: each refusal becomes one `refused` audit entry with the caller's subject. */
export function auditStateChangeRefusals(audit: AuditSink): NonNullable<ApiPartsOptions['onStateChangeRefused']> {
  return (req, action, code) => {
    const caller = getCaller(req);
    audit.record({ action, subject: caller.subject ?? 'unknown', outcome: 'refused', code, requestId: caller.requestId });
  };
}

/**
 * The responses whose prologue already ran: it runs once per request, so a front door may run it
 * when a request arrives (its caller, its access line) and hand the request to an app built later,
 * whose own prologue then does nothing (kan's front-door.ts).
 */
const prologued = new WeakSet<object>();

/** Builds the prologue and the error answer from `opts`. */
export function createApiParts(opts: ApiPartsOptions): ApiParts {
  const { logger } = opts;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const prologue = (req: express.Request, res: express.Response): void => {
    if (prologued.has(res)) return;
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
    prologued.add(res);
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
        logger.error('the refusal hook failed', { requestId: caller.requestId, code: apiError.code, error: errorMessage(hookErr) });
      }
    }
    if (apiError.status >= 500) {
      logger.error('request failed', {
        requestId: caller.requestId,
        method: req.method,
        path: requestPath(req),
        error: errorMessage(err),
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

  return { prologue, onError };
}

/**
 * The path of a request without its query, as the client sent it, wherever the code that asks is
 * mounted: express's `originalUrl` (`req.url` and `req.path` are relative to a mounted router's
 * path; the simulator's fault middleware, mounted at /senebi, needs the whole path), or, for a
 * direct request, which has no express additions, its URL.
 */
export function requestPath(req: { readonly url?: string | undefined; readonly originalUrl?: string }): string {
  const url = req.originalUrl ?? req.url ?? '';
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
