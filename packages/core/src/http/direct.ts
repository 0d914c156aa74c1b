/**
 * The direct route table of the hot path (issue 17). express stays the framework: it serves every
 * route. But a request whose URL is exactly the declared path of a route declared `direct`
 * (defineRoute's option: sendOrder and the other order routes) is dispatched from a Map, without
 * express's per-request work (router layers, prototypes swapped on the request and response, a
 * final handler built for every request). The same functions run either way: createApiApp's
 * prologue (request id, headers, access line), the route's own `handle` (cross-site refusal,
 * certificate/role gate, 405, body limit and JSON rules, handler) and the error answer, so every
 * answer byte is the same (packages/core/test/http-direct.test.ts compares them byte for byte).
 *
 * Only what express would route to that same route is taken: the table is read from express's
 * own router stack after the routes are mounted, in order, and stops at the first layer that is
 * not a defineRoute route (or a router made only of them, mounted at the root), or at the first
 * route whose path is a pattern (`/v1/:op`), because such a layer could answer the request
 * first. Any other URL (another letter case, a trailing slash, a query string, an encoded
 * character) goes through express, which matches it as it always did.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type express from 'express';
import type { ApiParts } from './api-parts.js';
import { declaredRouteOf, type DeclaredRoute } from './routes.js';

/** What createApiApp runs around a route, in the direct path as in express's (api-parts.ts). */
export type DirectDispatchParts = ApiParts;

interface RouterLike { readonly stack?: readonly object[] }
interface LayerLike { readonly handle?: unknown; readonly slash?: boolean }

/** A literal path (no parameter, wildcard or pattern characters). */
const LITERAL_PATH = /^\/[A-Za-z0-9/_.~-]*$/;

/** Routes of a router made only of defineRoute routes, or undefined when it holds anything else. */
function routesOfRouter(handle: unknown): DeclaredRoute[] | undefined {
  const stack = (handle as RouterLike | undefined)?.stack;
  if (typeof handle !== 'function' || !Array.isArray(stack)) return undefined;
  const routes: DeclaredRoute[] = [];
  for (const layer of stack as object[]) {
    const route = declaredRouteOf(layer);
    if (route === undefined) return undefined;
    routes.push(route);
  }
  return routes;
}

/**
 * The direct table of an app's router stack (after its first `skip` layers, createApiApp's own):
 * each direct route whose path express would route to it first, up to the first layer that may
 * answer something else.
 */
export function collectDirectRoutes(stack: readonly object[], skip: number): Map<string, DeclaredRoute> {
  const table = new Map<string, DeclaredRoute>();
  // Express matches paths without regard to letter case or a trailing slash: the first route of each wins.
  const seen = new Set<string>();
  // False once a route with a pattern (a parameter, a wildcard) is met: express may route any
  // later path to it first (`/v1/:op` takes `/v1/order`), so nothing after it is taken.
  const take = (route: DeclaredRoute): boolean => {
    if (!LITERAL_PATH.test(route.path)) return false;
    const key = route.path.toLowerCase().replace(/\/$/, '');
    if (seen.has(key)) return true;
    seen.add(key);
    if (route.direct) table.set(route.path, route);
    return true;
  };
  for (const layer of stack.slice(skip)) {
    const own = declaredRouteOf(layer);
    const routes = own !== undefined ? [own] : (layer as LayerLike).slash === true ? routesOfRouter((layer as LayerLike).handle) : undefined;
    if (routes === undefined || !routes.every(take)) break;
  }
  return table;
}

/**
 * Makes express's app answer the table's URLs directly: `app.handle` (which express's app
 * function calls for every request) first looks the URL up. A mounted sub-app (called with a
 * `next`) always goes through express.
 */
export function installDirectDispatch(app: express.Express, table: ReadonlyMap<string, DeclaredRoute>, parts: DirectDispatchParts): void {
  if (table.size === 0) return;
  const viaExpress = (app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, next?: unknown) => void }).handle.bind(app);
  (app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, next?: unknown) => void }).handle = (req, res, next) => {
    const route = next === undefined && req.url !== undefined ? table.get(req.url) : undefined;
    if (route === undefined) {
      viaExpress(req, res, next);
      return;
    }
    dispatchDirect(route, req, res, parts);
  };
}

/**
 * Answers one request with a declared route, as the direct table does: createApiApp's prologue,
 * then the route, then the error answer (a failure of the error answer itself cuts the connection:
 * nothing may throw out of the server's request event). kan's front door uses it too.
 */
export function dispatchDirect(route: DeclaredRoute, req: IncomingMessage, res: ServerResponse, parts: DirectDispatchParts): void {
  const request = req as express.Request;
  const response = res as express.Response;
  // What express's own handle gives every response that the shared code reads.
  (response as { locals: Record<string, unknown> }).locals = Object.create(null) as Record<string, unknown>;
  const answerError = (err: unknown): void => {
    try {
      parts.onError(err, request, response);
    } catch {
      response.destroy();
    }
  };
  try {
    parts.prologue(request, response);
  } catch (err) {
    answerError(err);
    return;
  }
  route.handle(request, response).catch(answerError);
}
