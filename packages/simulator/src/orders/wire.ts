/**
 * The wire form of docs/api.md §8: ids as bare JSON numbers (LosslessNumber, written by
 * stringifyJsonLossless), quantities and prices as exact decimal strings.
 */
import { LosslessNumber, type Uint64 } from '@qsen/core';
import { ORDER_FIELD_NAMES, type StoredOperation, type StoredOrder } from './types.js';

/** An id as a bare JSON number. */
export function wireId(id: Uint64): LosslessNumber {
  return new LosslessNumber(id);
}

/** The wire object of an order. */
export function toWireOrder(order: StoredOrder): Record<string, unknown> {
  const wire: Record<string, unknown> = { id: wireId(order.id) };
  for (const name of ORDER_FIELD_NAMES) {
    const value = order[name];
    if (value !== undefined) wire[name] = value;
  }
  wire['status'] = order.status;
  if (order.status === 'rejected') wire['reason'] = order.reason;
  wire['time'] = order.time;
  wire['tradeDate'] = order.tradeDate;
  if (order.status !== 'rejected') {
    if (order.matchedAt !== undefined) wire['matchedAt'] = order.matchedAt;
    if (order.cancelledAt !== undefined) wire['cancelledAt'] = order.cancelledAt;
  }
  return wire;
}

/** The wire object of an operation. */
export function toWireOperation(operation: StoredOperation): Record<string, unknown> {
  return {
    id: wireId(operation.id),
    orderId: wireId(operation.orderId),
    counterOrderId: wireId(operation.counterOrderId),
    instrument: operation.instrument,
    side: operation.side,
    quantity: operation.quantity,
    price: operation.price,
    currency: operation.currency,
    settlement: operation.settlement,
    counterparty: operation.counterparty,
    time: operation.time,
  };
}
