/**
 * Reading SENEBI's answers (pure): an order's record checked to be about the id asked, a cancel's
 * answer, an error body. Anything unreadable or off is an ambiguous failure (`unknown`).
 */
import { parseUint64, type Uint64 } from '@qsen/core/ids';
import { parseJsonLossless } from '@qsen/core/json';
import { senebiFailure, type SenebiOperation } from './delivery.js';
import type { SenebiReply } from './transport.js';
import { isJsonObject, toWireValue, type WireObject } from './wire.js';

/** An order's state at SENEBI: resting (`accepted`), then `matched` or `cancelled`; or `rejected`. */
export type SenebiOrderState = 'accepted' | 'matched' | 'cancelled' | 'rejected';

/** Every SENEBI order state. */
export const SENEBI_ORDER_STATES: readonly SenebiOrderState[] = ['accepted', 'matched', 'cancelled', 'rejected'];

/** SENEBI's record of an order: its state there and the record itself. */
export interface PlacedOrder {
  /** The delivery verdict: SENEBI accepted the order (whatever happened to it since) or rejected it. */
  readonly status: 'accepted' | 'rejected';
  /** Its state at SENEBI now. */
  readonly state: SenebiOrderState;
  /** SENEBI's order object in wire form (numbers as strings). */
  readonly senebi: WireObject;
}

/**
 * How SENEBI answered a cancel: the order is cancelled (now, or already before: SENEBI answers
 * the same again), it cannot be cancelled because it matched or was rejected, or SENEBI has no
 * order with that id.
 */
export type CancelAnswer =
  | { readonly kind: 'cancelled'; readonly senebi: WireObject }
  | { readonly kind: 'not_cancellable'; readonly status: 'matched' | 'rejected' }
  | { readonly kind: 'not_found' };

/** How SENEBI answered a POST of an order: its record, or a refusal because it already holds the id. */
export type PlaceAnswer = ({ readonly kind: 'placed' } & PlacedOrder) | { readonly kind: 'duplicate'; readonly senebi: WireObject };

/** Tells whether a rejection reason is SENEBI's refusal of an id it already holds ("duplicate order id", DUPLICATE_ORDER_ID, ...). */
export function isDuplicateIdReason(reason: unknown): boolean {
  return typeof reason === 'string' && /duplicate/i.test(reason);
}

/** Parses an answer body losslessly; an unreadable answer is an ambiguous failure. */
export function parseAnswer(operation: SenebiOperation, response: SenebiReply): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseJsonLossless(response.body);
  } catch (err) {
    throw senebiFailure('SENEBI_ERROR', operation, 'unknown', 'SENEBI answered with invalid JSON', { httpStatus: response.status }, err);
  }
  if (!isJsonObject(value)) throw senebiFailure('SENEBI_ERROR', operation, 'unknown', 'SENEBI answered with an unexpected body', { httpStatus: response.status });
  return value;
}

/** Reads `{"order": {...}}` into a PlacedOrder, checking that it is the order asked about. */
export function readPlacedOrder(operation: SenebiOperation, body: Record<string, unknown>, id: Uint64): PlacedOrder {
  const order = isJsonObject(body['order']) ? body['order'] : body;
  if (!isJsonObject(order) || order['id'] === undefined) throw senebiFailure('SENEBI_ERROR', operation, 'unknown', 'SENEBI answer has no order');
  const answeredId = parseUint64(order['id']);
  if (!answeredId.ok || answeredId.value !== id) throw senebiFailure('SENEBI_ERROR', operation, 'unknown', 'SENEBI answered about another order id');
  const state = order['status'];
  if (!SENEBI_ORDER_STATES.includes(state as SenebiOrderState)) throw senebiFailure('SENEBI_ERROR', operation, 'unknown', 'SENEBI answer has no valid order status');
  const senebi = toWireValue(order) as WireObject;
  senebi['id'] = id;
  return { status: state === 'rejected' ? 'rejected' : 'accepted', state: state as SenebiOrderState, senebi };
}

/** The error code and details of an error answer, when it has the contract's body. */
function readErrorBody(response: SenebiReply): { code?: string; details: Record<string, unknown> } {
  try {
    const body: unknown = parseJsonLossless(response.body);
    const error = isJsonObject(body) && isJsonObject(body['error']) ? body['error'] : undefined;
    if (!error) return { details: {} };
    const code = typeof error['code'] === 'string' ? error['code'] : undefined;
    const details = isJsonObject(error['details']) ? error['details'] : {};
    return { ...(code !== undefined ? { code } : {}), details };
  } catch {
    return { details: {} };
  }
}

/** Reads SENEBI's answer to a cancel (200, 404 ORDER_NOT_FOUND, 409 ORDER_NOT_CANCELLABLE); anything else is an ambiguous failure. */
export function readCancelAnswer(response: SenebiReply, id: Uint64): CancelAnswer {
  if (response.status === 200) {
    const placed = readPlacedOrder('cancelOrder', parseAnswer('cancelOrder', response), id);
    if (placed.state !== 'cancelled') throw senebiFailure('SENEBI_ERROR', 'cancelOrder', 'unknown', `SENEBI answered a cancel with status ${placed.state}`, { httpStatus: 200, problem: 'cancel_not_cancelled' });
    return { kind: 'cancelled', senebi: placed.senebi };
  }
  const { code, details } = readErrorBody(response);
  const answeredId = details['id'] === undefined ? undefined : parseUint64(details['id']);
  const sameId = answeredId === undefined || (answeredId.ok && answeredId.value === id);
  if (response.status === 404 && code === 'ORDER_NOT_FOUND' && sameId) return { kind: 'not_found' };
  const status = details['status'];
  if (response.status === 409 && code === 'ORDER_NOT_CANCELLABLE' && sameId && (status === 'matched' || status === 'rejected')) return { kind: 'not_cancellable', status };
  // A 4xx other than these means SENEBI refused the request itself; a 5xx or an odd answer leaves the cancel's fate open.
  const delivery = response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 404 ? 'not_sent' : 'unknown';
  throw senebiFailure('SENEBI_ERROR', 'cancelOrder', delivery, `SENEBI answered a cancel with HTTP ${response.status}${code !== undefined ? ` ${code}` : ''}`, { httpStatus: response.status });
}

