/**
 * The production SENEBI transport: undici's Pool (one origin, kept-alive sockets) over mutual
 * TLS, driven through its dispatch handler so an answer costs no stream, no header object and
 * no config merge (bench/RESULTS.md, issue 17: a fifth to an eighth of axios's CPU per call, both
 * measured on the same run by bench/qsen/client-leg.mjs). The handler knows the one fact
 * delivery depends on: undici calls `onConnect` right before it writes the request to a
 * connected socket, so a failure before that call proves SENEBI never saw the request
 * (`written: false`).
 */
import { createRequire } from 'node:module';
import { createSecureContext } from 'node:tls';
import type { Pool as UndiciPool, buildConnector as undiciBuildConnector, Dispatcher } from 'undici';
import { TransportFailure, type SenebiReply, type SenebiRequest, type SenebiTransport } from './transport.js';
import { errorMessage } from '@qsen/core/errors';

/**
 * undici's Pool and connector, each from its own module: undici's root entry also loads fetch,
 * WebSocket, EventSource, its caches and mocks, which qsen never uses; loading only these two
 * keeps 3 MiB of heap and about 8 MB of resident memory off qsen (bench/RESULTS.md, issue 17).
 * packages/qsen/test/undici-modules.test.ts checks that they are the root's own exports, so an
 * undici that moves them fails the build's tests rather than qsen's start.
 */
export const UNDICI_MODULES = { Pool: 'undici/lib/dispatcher/pool.js', buildConnector: 'undici/lib/core/connect.js' } as const;
const load = createRequire(import.meta.url);
const Pool = load(UNDICI_MODULES.Pool) as typeof UndiciPool;
const buildConnector = load(UNDICI_MODULES.buildConnector) as typeof undiciBuildConnector;

/**
 * How long an idle kept-alive socket to SENEBI is kept when SENEBI announces no shorter
 * keep-alive timeout: below the 5 s of Node's and Apache's servers, so the client closes first.
 */
export const FREE_SOCKET_TIMEOUT_MS = 4000;

/**
 * How much earlier than SENEBI's announced `Keep-Alive: timeout=N` an idle socket is closed:
 * a socket reused at the instant SENEBI closes it fails the request (a reset after write).
 */
export const KEEP_ALIVE_MARGIN_MS = 1000;

/** What the transport needs. */
export interface HttpsTransportOptions {
  /** Base URL, e.g. https://senebi.example:443 (a path prefix is kept). */
  readonly url: string;
  /** PEM of the CA that signs SENEBI's server certificate. */
  readonly ca: string;
  /** PEM of the agent's certificate. */
  readonly cert: string;
  /** PEM of the agent's private key, decrypted in memory (never logged). */
  readonly key: string;
  /**
   * How long SENEBI has to answer once the request is on a connected socket (to the answer's
   * last byte), and, separately, how long connecting (TCP and TLS handshake) may take.
   */
  readonly timeoutMs: number;
  /** Most sockets kept to SENEBI (default 64). */
  readonly maxSockets?: number;
}

const GET_HEADERS = { accept: 'application/json' };
const POST_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The code of a low-level error (Node's `code`, undici's `UND_ERR_...`), or `unknown`. */
function codeOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : 'unknown';
}

/** Creates the transport; `close()` ends its sockets. */
export function createHttpsTransport(options: HttpsTransportOptions): SenebiTransport {
  const base = new URL(options.url);
  if (base.protocol !== 'https:') throw new TypeError(`SENEBI url must be https: ${options.url}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  // One secure context for every connection: the agent's identity and SENEBI's CA, TLS 1.2 minimum.
  const secureContext = createSecureContext({ ca: options.ca, cert: options.cert, key: options.key, minVersion: 'TLSv1.2' });
  const connect = buildConnector({ secureContext, rejectUnauthorized: true, timeout: options.timeoutMs });
  const pool = new Pool(base.origin, {
    connect,
    connections: options.maxSockets ?? 64,
    pipelining: 1,
    // undici honours SENEBI's Keep-Alive hint minus the threshold, else keeps an idle socket 4 s.
    keepAliveTimeout: FREE_SOCKET_TIMEOUT_MS,
    keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
    // The call's own deadline (onConnect below) comes first; these only back it up.
    headersTimeout: options.timeoutMs + 1000,
    bodyTimeout: options.timeoutMs + 1000,
  });

  function send(request: SenebiRequest): Promise<SenebiReply> {
    return new Promise<SenebiReply>((resolve, reject) => {
      let written = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let status = 0;
      const chunks: Buffer[] = [];
      const fail = (err: unknown, timedOut: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const code = timedOut ? 'ETIMEDOUT' : codeOf(err);
        const message = errorMessage(err);
        reject(new TransportFailure(message, { written, timedOut: timedOut || TIMEOUT_CODES.has(code), code }, err));
      };
      const handler: Dispatcher.DispatchHandler = {
        onConnect(abort) {
          // The request goes onto a connected socket now: from here SENEBI may see it, and
          // `timeoutMs` runs (connecting had its own bound, the connector's timeout).
          written = true;
          timer = setTimeout(() => {
            const reason = new Error(`no answer from SENEBI within ${options.timeoutMs} ms`);
            fail(reason, true);
            abort(reason);
          }, options.timeoutMs);
        },
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData(chunk) {
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const body = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ status, body });
        },
        onError(err) {
          fail(err, false);
        },
      };
      const path = prefix + request.path;
      try {
        if (request.method === 'POST') pool.dispatch({ method: 'POST', path, headers: POST_HEADERS, body: request.body ?? '' }, handler);
        else pool.dispatch({ method: 'GET', path, headers: GET_HEADERS }, handler);
      } catch (err) {
        fail(err, false);
      }
    });
  }

  return {
    send,
    close() {
      pool.destroy().catch(() => undefined);
    },
  };
}
