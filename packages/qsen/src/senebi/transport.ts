/**
 * What the SENEBI adapter needs from an HTTP client: send one request, get the status and the
 * body as text, or a TransportFailure that says whether the request can have reached SENEBI.
 * The adapter (client.ts) reads answers and decides delivery (delivery.ts); the transport only
 * moves bytes (https-transport.ts is the production one).
 */

/** One request to SENEBI: a path under the base URL, a JSON body for a POST. */
export interface SenebiRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/senebi/v1/orders?date=2026-12-01`. */
  readonly path: string;
  /** JSON text (POST only). */
  readonly body?: string;
}

/** SENEBI's answer: any HTTP status, the body as text (parsed losslessly by the adapter). */
export interface SenebiReply {
  readonly status: number;
  readonly body: string;
}

/** Sends requests to SENEBI over kept-alive mutual-TLS connections. */
export interface SenebiTransport {
  /** Sends one request; rejects with a TransportFailure only (never another error). */
  send(request: SenebiRequest): Promise<SenebiReply>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/**
 * A request that got no HTTP answer.
 * - `written`: whether any byte of the request may have been handed to a socket. false is a
 *   proof: the transport never put the request on a connection (connection refused, TLS
 *   handshake failed or did not end in time), so SENEBI cannot have
 *   seen it.
 * - `timedOut`: a time bound passed (connecting, or SENEBI's answer).
 * - `code`: the low-level code (ECONNRESET, UND_ERR_SOCKET, ERR_SSL_..., ...), for the reader
 *   and for the few codes that prove a refusal on their own (delivery.ts); QSEN_ANSWER_TOO_LARGE
 *   for an answer body over the cap, QSEN_NO_FREE_CONNECTION for a request whose deadline passed
 *   before it reached a connection (https-transport.ts).
 * - `bytesRead`: bytes of the answer body read before the failure (0 without an answer).
 */
export class TransportFailure extends Error {
  override readonly name = 'TransportFailure';
  readonly written: boolean;
  readonly timedOut: boolean;
  readonly code: string;
  readonly bytesRead: number;

  constructor(message: string, facts: { written: boolean; timedOut: boolean; code: string; bytesRead?: number }, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.written = facts.written;
    this.timedOut = facts.timedOut;
    this.code = facts.code;
    this.bytesRead = facts.bytesRead ?? 0;
  }
}
