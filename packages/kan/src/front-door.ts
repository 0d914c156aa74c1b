/**
 * The kan's front door (issue 17, docs/kan.md "Memory"): what an idle kan serves is its pings
 * (the peers' and its own watchdog's probes), so it answers them without express, and builds the
 * express app with the rest of the API (status, logs, metrics, restart, console...) on the first
 * request that needs it. A ping is answered by the same functions as in the app (the prologue,
 * the route's gate and the error answer of @qsen/core/http/server); every other request waits
 * for the app and is handed to it whole, as the app would have received it at start; from then
 * on every request goes to the app (whose direct table answers the pings the same way).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dispatchDirect, type ApiParts, type DeclaredRoute } from '@qsen/core/http/server';

/** A request listener (what the TLS server calls with every admitted request). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The built application and how to release it. */
export interface LoadedApp {
  readonly handle: RequestListener;
  close(): void;
}

/** What the front door needs. */
export interface FrontDoorOptions {
  /** The API's prologue and error answer, made from the options the app is built with. */
  readonly parts: ApiParts;
  /** The routes answered before the app is loaded, by their exact URL (the app declares them `direct` too). */
  readonly direct: readonly DeclaredRoute[];
  /** Builds the app (imports express and the routes); called once, on the first request that needs it. */
  readonly loadApp: () => Promise<LoadedApp>;
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

  const load = (): Promise<LoadedApp> => {
    loading ??= opts.loadApp().then((built) => {
      if (closed) built.close();
      app = built;
      return built;
    });
    return loading;
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
    load().then((built) => built.handle(req, res), (err: unknown) => {
      // The app could not be built (a broken install): this request gets the API's 500 answer.
      dispatchDirect({ path: req.url ?? '', direct: true, handle: () => Promise.reject(err) }, req, res, opts.parts);
    }).catch(() => res.destroy()); // the app threw out of its own handler: nothing may escape the request event
  };

  return {
    handle,
    loaded: () => app !== undefined,
    close() {
      closed = true;
      app?.close();
    },
  };
}
