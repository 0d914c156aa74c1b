/**
 * The kan's front door (issue 17, docs/kan.md "Memory"): what an idle kan serves is its pings
 * (the peers' and its own watchdog's probes), so it answers them without express, and builds the
 * express app with the rest of the API (status, logs, metrics, restart, console...) on the first
 * request that needs it. A ping is answered by the same functions as in the app (the prologue,
 * the route's gate and the error answer of @qsen/core/http/server); every other request waits
 * for the app and is handed to it whole, as the app would have received it at start; from then
 * on every request goes to the app (whose direct table answers the pings the same way).
 *
 * An app that cannot be built (a module that does not import: a broken install) is not a kan
 * that works: every request that waited for it, and every later one, is answered
 * `503 KAN_UNAVAILABLE`, and once the waiting answers are written `onLoadFailed` is called (once):
 * the node logs the cause and exits, so its owner restarts it instead of a kan that answers its
 * pings and nothing else (docs/kan.md, "A kan whose API cannot be loaded").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';
import { dispatchDirect, type ApiParts, type DeclaredRoute } from '@qsen/core/http/server';
import { kanErrors } from './errors.js';

/** A request listener (what the TLS server calls with every admitted request). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The built application and how to release it. */
export interface LoadedApp {
  readonly handle: RequestListener;
  close(): void;
}

/** Longest the front door waits for the answers of the requests that waited for a failed load before calling `onLoadFailed`. */
export const LOAD_FAILURE_ANSWER_TIMEOUT_MS = 2_000;

/**
 * Longest the app may take to load before the front door counts the load as failed. A load that
 * hangs (a disk that stops answering mid-import) would otherwise leave a kan that answers only its
 * pings, which no watchdog restarts; past this it takes the failed-load path (503, log, exit).
 * Measured loads take 0.1-0.5 s on a quiet machine and a few seconds at load 15.
 */
export const APP_LOAD_TIMEOUT_MS = 30_000;

/** What the front door needs. */
export interface FrontDoorOptions {
  /** The API's prologue and error answer, made from the options the app is built with. */
  readonly parts: ApiParts;
  /** The routes answered before the app is loaded, by their exact URL (the app declares them `direct` too). */
  readonly direct: readonly DeclaredRoute[];
  /** Builds the app (imports express and the routes); called once, on the first request that needs it. */
  readonly loadApp: () => Promise<LoadedApp>;
  /**
   * Called once when `loadApp` failed, after the requests that waited for it were answered (or
   * LOAD_FAILURE_ANSWER_TIMEOUT_MS passed): the node logs the cause and exits. Not called for a
   * load that fails after close().
   */
  readonly onLoadFailed: (err: unknown) => void;
  /** Overrides LOAD_FAILURE_ANSWER_TIMEOUT_MS (tests). */
  readonly answerTimeoutMs?: number;
  /** Overrides APP_LOAD_TIMEOUT_MS (tests). */
  readonly loadTimeoutMs?: number;
}

/** The front door: `handle` for the server; `loaded` tells whether the app is built; `close` releases it. */
export interface FrontDoor {
  readonly handle: RequestListener;
  loaded(): boolean;
  close(): void;
}

/** Makes the front door (no I/O until the first request that is not a direct route). */
export function createFrontDoor(opts: FrontDoorOptions): FrontDoor {
  const table = new Map(opts.direct.map((route) => [route.path, route]));
  let app: LoadedApp | undefined;
  let loading: Promise<LoadedApp> | undefined;
  let closed = false;
  /** Answers of the requests waiting for the load (their end is awaited before onLoadFailed). */
  const waiting = new Set<ServerResponse>();

  const reportFailure = (err: unknown): void => {
    if (closed) return;
    const answers = [...waiting].map((res) => finished(res).catch(() => undefined));
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, opts.answerTimeoutMs ?? LOAD_FAILURE_ANSWER_TIMEOUT_MS); });
    void Promise.race([Promise.all(answers), bound]).then(() => {
      clearTimeout(timer);
      opts.onLoadFailed(err);
    });
  };

  /** opts.loadApp(), failed when it has not settled within the load deadline (an app built later is released). */
  const loadWithDeadline = (): Promise<LoadedApp> => {
    const limitMs = opts.loadTimeoutMs ?? APP_LOAD_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const started = opts.loadApp();
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`the kan API did not load within ${limitMs / 1000} s`));
      }, limitMs);
    });
    started.then((built) => { if (timedOut) built.close(); }, () => undefined);
    return Promise.race([started, deadline]).finally(() => clearTimeout(timer));
  };

  const load = (): Promise<LoadedApp> => {
    loading ??= loadWithDeadline().then((built) => {
      // Closed meanwhile: the requests that waited are still answered by it, then it is released
      // and not kept as the handler.
      if (closed) built.close();
      else app = built;
      return built;
    }, (err: unknown) => {
      // After the waiting requests' own rejection handlers (registered before this turn ends) have answered.
      setImmediate(() => reportFailure(err));
      throw err;
    });
    return loading;
  };

  /** The answer of a request the app cannot take: 503 KAN_UNAVAILABLE through the API's error answer. */
  const refuse = (req: IncomingMessage, res: ServerResponse, cause: unknown): void => {
    const err = kanErrors.create('KAN_UNAVAILABLE', undefined, undefined, cause);
    dispatchDirect({ path: req.url ?? '', direct: true, handle: () => Promise.reject(err) }, req, res, opts.parts);
  };

  const handle: RequestListener = (req, res) => {
    if (app !== undefined) {
      app.handle(req, res);
      return;
    }
    const route = req.url !== undefined ? table.get(req.url) : undefined;
    if (route !== undefined) {
      dispatchDirect(route, req, res, opts.parts);
      return;
    }
    if (closed) {
      refuse(req, res, new Error('the kan is stopping'));
      return;
    }
    // The prologue runs now, not once the app is built: a client that goes away while the app
    // loads still gets its access line (res 'close' has a listener), with the caller of arrival.
    // The app's own prologue then does nothing (it runs once per request).
    const response = res as ServerResponse & { locals?: Record<string, unknown> };
    response.locals ??= Object.create(null) as Record<string, unknown>;
    try {
      opts.parts.prologue(req as Parameters<ApiParts['prologue']>[0], response as Parameters<ApiParts['prologue']>[1]);
    } catch {
      // the app's prologue runs it again and answers its error
    }
    waiting.add(res);
    load().then((built) => {
      waiting.delete(res);
      built.handle(req, res);
    }, (err: unknown) => {
      // The app could not be built (a broken install): 503 KAN_UNAVAILABLE; the kan then exits (onLoadFailed).
      refuse(req, res, err);
      void finished(res).catch(() => undefined).finally(() => waiting.delete(res));
    }).catch(() => res.destroy()); // the app threw out of its own handler: nothing may escape the request event
  };

  return {
    handle,
    loaded: () => app !== undefined,
    close() {
      closed = true;
      app?.close();
      // Neither the app nor the promise that carries it stays referenced (a load under way
      // releases its app once built, after answering the requests that waited for it).
      app = undefined;
      loading = undefined;
    },
  };
}
