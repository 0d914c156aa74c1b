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
import { createSecureContext, type TLSSocket } from 'node:tls';
import type { Pool as UndiciPool, buildConnector as undiciBuildConnector, Dispatcher } from 'undici';
import { ANSWER_TOO_LARGE_CODE } from './delivery.js';
import { createSlots, type ReleaseSlot } from './slots.js';
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
  /** Most sockets kept to SENEBI (default 64); more requests at once wait, each within its deadline. */
  readonly maxSockets?: number;
  /** Most bytes of one answer body read (default DEFAULT_MAX_ANSWER_BYTES); past it the call fails. */
  readonly maxAnswerBytes?: number;
}

/**
 * The default cap on one SENEBI answer body: 16 MiB. The largest answer of the wire format is a
 * day's listing (`GET /senebi/v1/orders?date=`: every order of the agent that day, whatever its
 * id). One listed order is at most about 420 bytes (20-digit id, 12-character instrument, a
 * 200-character rejection reason, times), 250-300 bytes as usual, so 16 MiB holds a listing of
 * about 40,000 orders even if every one were a rejected order with the longest reason, and
 * 56,000-67,000 usual ones. `[senebi] max_answer_bytes` sets it (docs/configuration.md).
 */
export const DEFAULT_MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The TransportFailure code of a request whose deadline passed before it reached a socket (`not_sent`). */
export const QUEUE_TIMEOUT_CODE = 'QSEN_NO_FREE_CONNECTION';

/** The Content-Length of an answer's headers (undici gives them as a flat array of buffers), when present and readable. */
function contentLengthOf(headers: readonly Buffer[] | readonly string[] | undefined): number | undefined {
  if (!headers) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = String(headers[i]);
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      const value = Number(String(headers[i + 1]));
      return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
    }
  }
  return undefined;
}

const GET_HEADERS = { accept: 'application/json' };
const POST_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };
const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The code of a low-level error (Node's `code`, undici's `UND_ERR_...`), or `unknown`. */
function codeOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : 'unknown';
}

/**
 * undici's connector as it is: it also answers the socket it makes (its types say void), which
 * the transport needs to see the TLS sessions SENEBI issues on it. packages/qsen/test/
 * undici-modules.test.ts checks that it still does.
 */
type ConnectorReturningSocket = (options: Parameters<ReturnType<typeof undiciBuildConnector>>[0], callback: Parameters<ReturnType<typeof undiciBuildConnector>>[1]) => TLSSocket | undefined;

/** Creates the transport; `close()` ends its sockets. */
export function createHttpsTransport(options: HttpsTransportOptions): SenebiTransport {
  const base = new URL(options.url);
  if (base.protocol !== 'https:') throw new TypeError(`SENEBI url must be https: ${options.url}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  // One secure context for every connection: the agent's identity and SENEBI's CA, TLS 1.2 minimum.
  const secureContext = createSecureContext({ ca: options.ca, cert: options.cert, key: options.key, minVersion: 'TLSv1.2' });
  const makeSocket = buildConnector({ secureContext, rejectUnauthorized: true, timeout: options.timeoutMs }) as unknown as ConnectorReturningSocket;
  // The last TLS session SENEBI issued (a TLS 1.3 ticket), held here: undici's session cache
  // keeps a session only through a WeakRef, so after any garbage collection the next connection
  // made a full handshake (bench/qsen/tls-resume.mjs: 0 of 100 resumed with a collection between
  // connections, 100 of 100 with the session held; a full handshake costs qsen 2.4-3.6 ms of CPU,
  // a resumed one 1.1-1.8). Holding the Buffer keeps undici's weak entry alive, so undici offers
  // it on the next connection to the same origin: the only server it can go back to (qsen never
  // reloads SENEBI's material), whose identity was verified when the session was made; a resumed
  // TLS 1.3 handshake still makes its own key exchange. Only its value is kept, never logged.
  const kept: { session?: Buffer } = {};
  const connect: ConnectorReturningSocket = (target, callback) => {
    const socket = makeSocket(target, callback);
    socket?.on('session', (session: Buffer) => { kept.session = session; });
    return socket;
  };
  const pool = new Pool(base.origin, {
    connect: connect as unknown as ReturnType<typeof undiciBuildConnector>,
    connections: options.maxSockets ?? 64,
    pipelining: 1,
    // undici honours SENEBI's Keep-Alive hint minus the threshold, else keeps an idle socket 4 s.
    keepAliveTimeout: FREE_SOCKET_TIMEOUT_MS,
    keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
    // The call's own deadline (onConnect below) comes first; these only back it up.
    headersTimeout: options.timeoutMs + 1000,
    bodyTimeout: options.timeoutMs + 1000,
  });

  const slots = createSlots(options.maxSockets ?? 64);
  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;

  function send(request: SenebiRequest): Promise<SenebiReply> {
    return new Promise<SenebiReply>((resolve, reject) => {
      let written = false;
      let settled = false;
      // Set when the call's deadline passed before the request reached a socket: if undici
      // still hands it to one, onConnect aborts it before a byte is written.
      let expired = false;
      let abortRequest: ((reason: Error) => void) | undefined;
      let release: ReleaseSlot = () => undefined;
      let status = 0;
      let bytesRead = 0;
      const chunks: Buffer[] = [];
      const fail = (err: unknown, timedOut: boolean, code = timedOut ? 'ETIMEDOUT' : codeOf(err)): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const message = errorMessage(err);
        reject(new TransportFailure(message, { written, timedOut: timedOut || TIMEOUT_CODES.has(code), code, bytesRead }, err));
      };
      // The call's deadline until the request is on a connected socket: the wait for a free
      // slot, then connecting. Past it the request was never written (`written: false`).
      let timer: NodeJS.Timeout | undefined = setTimeout(() => {
        expired = true;
        leaveQueue();
        fail(new Error(`the request did not reach a connection to SENEBI within ${options.timeoutMs} ms`), true, QUEUE_TIMEOUT_CODE);
      }, options.timeoutMs);
      const handler: Dispatcher.DispatchHandler = {
        onConnect(abort) {
          if (expired || settled) {
            // Given up on before it reached a socket: stopped here, before undici writes it.
            abort(new Error('the call\'s deadline passed before the request reached a socket'));
            return;
          }
          // The request goes onto a connected socket now: from here SENEBI may see it, and
          // `timeoutMs` runs again, for the answer.
          written = true;
          abortRequest = abort;
          clearTimeout(timer);
          timer = setTimeout(() => {
            const reason = new Error(`no answer from SENEBI within ${options.timeoutMs} ms`);
            fail(reason, true);
            abort(reason);
          }, options.timeoutMs);
        },
        onHeaders(statusCode, headers) {
          status = statusCode;
          const announced = contentLengthOf(headers);
          if (announced !== undefined && announced > maxAnswerBytes) {
            tooLarge(`SENEBI announced an answer of ${announced} bytes, over the cap of ${maxAnswerBytes}`);
            return false;
          }
          return true;
        },
        onData(chunk) {
          if (settled) return false;
          bytesRead += chunk.length;
          if (bytesRead > maxAnswerBytes) {
            // The chunk is not kept: at most the cap plus one chunk was ever held.
            tooLarge(`SENEBI's answer passed the cap of ${maxAnswerBytes} bytes`);
            return false;
          }
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          release();
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const body = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ status, body });
        },
        onError(err) {
          release();
          fail(err, false);
        },
      };
      /** Ends a call whose answer is over the cap: the socket is closed, nothing more is read. */
      const tooLarge = (message: string): void => {
        const reason = new Error(message);
        fail(reason, false, ANSWER_TOO_LARGE_CODE);
        chunks.length = 0;
        abortRequest?.(reason);
      };
      const path = prefix + request.path;
      const leaveQueue = slots.take((slot) => {
        release = slot;
        try {
          if (request.method === 'POST') pool.dispatch({ method: 'POST', path, headers: POST_HEADERS, body: request.body ?? '' }, handler);
          else pool.dispatch({ method: 'GET', path, headers: GET_HEADERS }, handler);
        } catch (err) {
          release();
          fail(err, false);
        }
      });
    });
  }

  return {
    send,
    close() {
      pool.destroy().catch(() => undefined);
    },
  };
}
