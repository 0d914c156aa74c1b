/**
 * The adapter's delivery verdicts (pure): did a failed call certainly not reach SENEBI
 * (`not_sent`), or may it have (`unknown`)? `not_sent` is only ever a proof; every doubt is
 * `unknown`, and an order whose delivery is unknown is reconciled by id before anything else
 * happens to it (docs/qsen.md, "The SENEBI adapter"). Tests: packages/qsen/test/senebi-delivery.test.ts.
 */
import type { ApiError } from '@qsen/core/errors';
import { qsenErrors } from '../errors.js';
import type { TransportFailure } from './transport.js';

/** The adapter's operations (labels of figures and metrics). */
export type SenebiOperation = 'placeOrder' | 'getOrder' | 'cancelOrder' | 'listOrders' | 'listOperations' | 'ping';

/** `not_sent`: SENEBI certainly did not take the request; `unknown`: it may have. */
export type Delivery = 'not_sent' | 'unknown';

/**
 * TLS alerts by which the server refuses the client's certificate. A server sends them only
 * inside the handshake, before it reads any application data, so a request written on such a
 * connection (TLS 1.3 lets the client write right after its Finished, before the server has
 * judged its certificate) was never read by SENEBI.
 */
export const HANDSHAKE_REFUSAL_CODES: ReadonlySet<string> = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Makes one of the adapter's failures (SENEBI_ERROR or SENEBI_TIMEOUT with `details.operation` and `details.delivery`). */
export function senebiFailure(code: 'SENEBI_ERROR' | 'SENEBI_TIMEOUT', operation: SenebiOperation, delivery: Delivery, message: string, extra: Record<string, unknown> = {}, cause?: unknown): ApiError {
  return qsenErrors.create(code, message, { operation, delivery, ...extra }, cause);
}

/** The delivery of a request that got no HTTP answer. */
export function deliveryOfFailure(failure: Pick<TransportFailure, 'written' | 'code'>): Delivery {
  if (!failure.written) return 'not_sent';
  return HANDSHAKE_REFUSAL_CODES.has(failure.code) ? 'not_sent' : 'unknown';
}

/** The TransportFailure code of an answer body over the cap (https-transport.ts). */
export const ANSWER_TOO_LARGE_CODE = 'QSEN_ANSWER_TOO_LARGE';

/** Classifies a transport failure (no HTTP answer) into the adapter's error. */
export function classifyTransportFailure(operation: SenebiOperation, failure: TransportFailure): ApiError {
  const delivery = deliveryOfFailure(failure);
  if (failure.code === ANSWER_TOO_LARGE_CODE) {
    // SENEBI answered, but more than qsen reads: the request was written, its fate is open.
    return senebiFailure('SENEBI_ERROR', operation, delivery, 'SENEBI\'s answer is larger than qsen reads', { cause: failure.code, bytesRead: failure.bytesRead }, failure);
  }
  if (failure.timedOut) return senebiFailure('SENEBI_TIMEOUT', operation, delivery, 'SENEBI did not answer in time', {}, failure);
  if (delivery === 'not_sent') return senebiFailure('SENEBI_ERROR', operation, 'not_sent', `SENEBI could not be reached (${failure.code})`, { cause: failure.code }, failure);
  return senebiFailure('SENEBI_ERROR', operation, 'unknown', `the connection to SENEBI failed (${failure.code})`, { cause: failure.code }, failure);
}

/**
 * Whether a failed call is sent again at once: only a read or a cancel (SENEBI's cancel is
 * idempotent), only once, and only after a connection reset (often a kept-alive socket SENEBI
 * closed at that instant). A placement that may have arrived is never sent again here: its
 * order is `unknown` and the platform's retry asks SENEBI by id first.
 */
export function shouldRetryAtOnce(operation: SenebiOperation, failure: Pick<TransportFailure, 'timedOut' | 'code'>, attempt: number): boolean {
  return attempt < 2 && operation !== 'placeOrder' && !failure.timedOut && RESET_CODES.has(failure.code);
}

/**
 * The delivery of an HTTP answer the operation does not accept: a 4xx means SENEBI refused the
 * request itself (`not_sent`), except 409 (it may already hold that id); a 5xx or anything
 * else leaves the request's fate open.
 */
export function deliveryOfStatus(status: number): Delivery {
  return status >= 400 && status < 500 && status !== 409 ? 'not_sent' : 'unknown';
}
