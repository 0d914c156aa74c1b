/**
 * The one SENEBI adapter (docs/api.md §8): SENEBI's operations over a SenebiTransport (the
 * production one is https-transport.ts: undici over kept-alive mutual TLS); answers parsed with
 * lossless JSON so 19-20 digit ids are never rounded; every call timed and counted.
 *
 * Failures are ApiErrors of qsen's registry with `details.delivery` (delivery.ts decides it):
 * - `not_sent`: SENEBI certainly did not take the request (the request never reached a
 *   connection: connection refused, TLS handshake failed or not done within the timeout; SENEBI
 *   refused our certificate in the handshake; a 4xx answer other than 409);
 * - `unknown`: it may have (timeout or reset after the request was written, 5xx, 409,
 *   unreadable answer). Such an order is reconciled by id before anything else happens to it.
 *
 * SENEBI refuses an order whose id it already holds; the simulator (and, as far as qsen relies on
 * it, SENEBI) answers that refusal 200 with `status: "rejected"` and a reason that names a
 * duplicate id (`isDuplicateIdReason`). placeOrder reports it as `duplicate`, never as a
 * rejection of the order: it proves that an earlier copy arrived, and says nothing of its fate.
 *
 * Orders rest at SENEBI (docs/api.md §8 extension): a read by id tells the order's current state
 * (`accepted` resting, `matched`, `cancelled`, `rejected`); `PlacedOrder.status` stays the
 * delivery verdict (accepted or rejected) and `state` carries the lifecycle. cancelOrder asks
 * SENEBI to withdraw a resting order; SENEBI's cancel is idempotent, so unlike a placement it
 * is retried once at once after a connection reset, like the reads.
 */
import { performance } from 'node:perf_hooks';
import { ApiError } from '@qsen/core/errors';
import type { Uint64 } from '@qsen/core/ids';
import type { CallOutcome, OrderContent } from '../orders/order.js';
import { isDuplicateIdReason, parseAnswer, readCancelAnswer, readPlacedOrder, type CancelAnswer, type PlaceAnswer, type PlacedOrder } from './answers.js';
import { classifyTransportFailure, deliveryOfStatus, senebiFailure, shouldRetryAtOnce, type SenebiOperation } from './delivery.js';
import { createHttpsTransport } from './https-transport.js';
import { TransportFailure, type SenebiReply, type SenebiRequest, type SenebiTransport } from './transport.js';
import { toWireValue, type WireObject } from './wire.js';

export type { SenebiOperation } from './delivery.js';
export { SENEBI_ORDER_STATES, isDuplicateIdReason, readCancelAnswer, type CancelAnswer, type PlaceAnswer, type PlacedOrder, type SenebiOrderState } from './answers.js';

/** What the adapter needs. */
export interface SenebiClientOptions {
  /** Base URL, e.g. https://senebi.example:443 */
  readonly url: string;
  /** PEM of the CA that signs SENEBI's server certificate. */
  readonly ca: string;
  /** PEM of the agent's certificate. */
  readonly cert: string;
  /** PEM of the agent's private key, decrypted in memory (never logged). */
  readonly key: string;
  readonly timeoutMs: number;
  /** Called after every call with its duration. */
  readonly onCall?: (operation: SenebiOperation, ms: number, outcome: CallOutcome) => void;
  /** Most sockets kept to SENEBI. */
  readonly maxSockets?: number;
  /** Most bytes of one answer body read (`[senebi] max_answer_bytes`); a larger answer is a failure with delivery `unknown`. */
  readonly maxAnswerBytes?: number;
  /** The HTTP client (default: the production https transport built from the fields above). */
  readonly transport?: SenebiTransport;
}

/** The SENEBI client. */
export interface SenebiClient {
  /** POST /senebi/v1/orders: SENEBI's record of this copy, or `duplicate` when it already held the id. */
  placeOrder(order: OrderContent): Promise<PlaceAnswer>;
  /** GET /senebi/v1/orders/ID: the order, or null when SENEBI does not have it. */
  getOrder(id: Uint64): Promise<PlacedOrder | null>;
  /**
   * POST /senebi/v1/orders/ID/cancel. Failures are ApiErrors with `details.delivery` as for
   * placeOrder (`unknown`: the cancel may have committed; SENEBI's record by id, or the same
   * cancel again, tells).
   */
  cancelOrder(id: Uint64): Promise<CancelAnswer>;
  /** GET /senebi/v1/orders?date= (raw parsed items, numbers exact). */
  listOrders(date: string): Promise<unknown[]>;
  /** GET /senebi/v1/operations?date= (raw parsed items, numbers exact). */
  listOperations(date: string): Promise<unknown[]>;
  /** GET /senebi/v1/ping. */
  ping(): Promise<{ answer: WireObject; latencyMs: number }>;
  /** Closes the kept-alive sockets. */
  close(): void;
}

/** Creates the SENEBI client. */
export function createSenebiClient(options: SenebiClientOptions): SenebiClient {
  const transport = options.transport ?? createHttpsTransport(options);

  async function call(operation: SenebiOperation, request: SenebiRequest, judge: (response: SenebiReply) => void): Promise<SenebiReply> {
    const started = performance.now();
    let outcome: CallOutcome = 'ok';
    try {
      let response: SenebiReply | undefined;
      for (let attempt = 1; response === undefined; attempt += 1) {
        try {
          response = await transport.send(request);
        } catch (err) {
          const failure = err instanceof TransportFailure ? err : new TransportFailure(String(err), { written: true, timedOut: false, code: 'unknown' }, err);
          if (shouldRetryAtOnce(operation, failure, attempt)) continue;
          throw classifyTransportFailure(operation, failure);
        }
      }
      judge(response);
      return response;
    } catch (err) {
      outcome = err instanceof ApiError && err.code === 'SENEBI_TIMEOUT' ? 'timeout' : 'error';
      throw err;
    } finally {
      options.onCall?.(operation, performance.now() - started, outcome);
    }
  }

  function requireSuccess(operation: SenebiOperation, accept: readonly number[] = [200]) {
    return (response: SenebiReply): void => {
      if (accept.includes(response.status)) return;
      throw senebiFailure('SENEBI_ERROR', operation, deliveryOfStatus(response.status), `SENEBI answered HTTP ${response.status}`, { httpStatus: response.status });
    };
  }

  async function list(operation: 'listOrders' | 'listOperations', path: string, field: string, date: string): Promise<unknown[]> {
    const response = await call(operation, { method: 'GET', path: `${path}?date=${encodeURIComponent(date)}` }, requireSuccess(operation));
    const items = parseAnswer(operation, response)[field];
    if (!Array.isArray(items)) throw senebiFailure('SENEBI_ERROR', operation, 'unknown', `SENEBI answer has no ${field} list`);
    return items;
  }

  return {
    async placeOrder(order) {
      const body = JSON.stringify(order);
      const response = await call('placeOrder', { method: 'POST', path: '/senebi/v1/orders', body }, requireSuccess('placeOrder', [200, 201]));
      const placed = readPlacedOrder('placeOrder', parseAnswer('placeOrder', response), order.id);
      if (placed.status === 'rejected' && isDuplicateIdReason(placed.senebi['reason'])) return { kind: 'duplicate', senebi: placed.senebi };
      return { kind: 'placed', ...placed };
    },
    async getOrder(id) {
      const response = await call('getOrder', { method: 'GET', path: `/senebi/v1/orders/${id}` }, requireSuccess('getOrder', [200, 404]));
      if (response.status === 404) return null;
      return readPlacedOrder('getOrder', parseAnswer('getOrder', response), id);
    },
    async cancelOrder(id) {
      let answer: CancelAnswer | undefined;
      await call('cancelOrder', { method: 'POST', path: `/senebi/v1/orders/${id}/cancel`, body: '{}' }, (response) => {
        answer = readCancelAnswer(response, id);
      });
      return answer as CancelAnswer;
    },
    listOrders: (date) => list('listOrders', '/senebi/v1/orders', 'orders', date),
    listOperations: (date) => list('listOperations', '/senebi/v1/operations', 'operations', date),
    async ping() {
      const started = performance.now();
      const response = await call('ping', { method: 'GET', path: '/senebi/v1/ping' }, requireSuccess('ping'));
      const latencyMs = performance.now() - started;
      return { answer: toWireValue(parseAnswer('ping', response)) as WireObject, latencyMs };
    },
    close() {
      transport.close();
    },
  };
}
