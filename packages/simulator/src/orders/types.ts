/**
 * The simulator's records. Ids are exact Uint64 strings; quantities and prices are exact
 * decimal strings as the agent sent them; times are ISO instants (UTC).
 */
// The wire's vocabulary is written here again rather than taken from core's ORDER_CURRENCIES:
// the simulator plays SENEBI's side of the contract, and a list shared with qsen could not catch
// a wrong one.
import type { Uint64 } from '@qsen/core';
import type { TradeDate } from '../trade-date/trade-date.js';

/** The fields of an order as the agent sends them (all text, validated). */
export interface OrderFields {
  readonly instrument: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: string;
  readonly price: string;
  readonly currency: 'ARS' | 'USD' | 'EXT';
  readonly settlement: 'T0' | 'T1';
  readonly counterparty: string;
}

/** Names of the order fields, in wire order. */
export const ORDER_FIELD_NAMES = ['instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty'] as const;

/** Where a stored order came from. */
export type OrderOrigin = 'agent' | 'seed' | 'self_counter';

/**
 * The life of an accepted order (docs/api.md §8): `accepted` while it rests, then `matched` (the
 * counterparty entered its side: it traded in full) or `cancelled` (the agent withdrew it). Both
 * are final; the first to commit wins.
 */
export type LiveStatus = 'accepted' | 'matched' | 'cancelled';

/** An order the exchange accepted, in its current state. */
export interface AcceptedOrder extends OrderFields {
  readonly id: Uint64;
  readonly status: LiveStatus;
  readonly time: string;
  readonly tradeDate: TradeDate;
  readonly origin: OrderOrigin;
  /** When it matched (status `matched`). */
  readonly matchedAt?: string;
  /** When it was cancelled (status `cancelled`). */
  readonly cancelledAt?: string;
}

/** An order the exchange rejected: the fields it could read, as text, and the reason. */
export interface RejectedOrder extends Partial<Record<(typeof ORDER_FIELD_NAMES)[number], string>> {
  readonly id: Uint64;
  readonly status: 'rejected';
  readonly reason: string;
  readonly time: string;
  readonly tradeDate: TradeDate;
  readonly origin: OrderOrigin;
}

/** A stored order. */
export type StoredOrder = AcceptedOrder | RejectedOrder;

/** A trade: the agent's order met by a counter order (the order's fields, as the order has them). */
export interface StoredOperation extends OrderFields {
  readonly id: Uint64;
  readonly orderId: Uint64;
  readonly counterOrderId: Uint64;
  readonly time: string;
  readonly tradeDate: TradeDate;
}
