/**
 * Matching of an accepted order by its counterparty: with a probability (seeded PRNG) the order
 * trades in full. When the counterparty is the agent itself, the counter order is one of the
 * agent's own orders with an id outside the reserved range, so both legs are the agent's.
 */
import type { IdRange, Uint64 } from '@qsen/core';
import type { Prng } from '../random/prng.js';
import type { AcceptedOrder, StoredOperation } from '../orders/types.js';
import { isSameAgentCode } from '../orders/validate.js';
import { foreignOrderId } from './seed.js';

/** What matching one order produced (possibly nothing). */
export interface MatchResult {
  /** Counter orders the agent itself placed (self trades). */
  readonly orders: AcceptedOrder[];
  readonly operations: StoredOperation[];
}

/** What matching needs from the store. */
export interface MatchContext {
  readonly prng: Prng;
  readonly probability: number;
  readonly agentCode: string;
  readonly range: IdRange;
  readonly nextOperationId: () => Uint64;
  readonly allocateOwnOutsideId: () => Uint64;
}

/** Decides whether and how an accepted order trades. */
export function matchOrder(order: AcceptedOrder, ctx: MatchContext): MatchResult {
  if (ctx.probability <= 0 || ctx.prng.next() >= ctx.probability) return { orders: [], operations: [] };
  const leg = (own: AcceptedOrder, counterOrderId: Uint64): StoredOperation => ({
    id: ctx.nextOperationId(),
    orderId: own.id,
    counterOrderId,
    instrument: own.instrument,
    side: own.side,
    quantity: own.quantity,
    price: own.price,
    currency: own.currency,
    settlement: own.settlement,
    counterparty: own.counterparty,
    time: own.time,
    tradeDate: own.tradeDate,
  });
  if (!isSameAgentCode(order.counterparty, ctx.agentCode)) {
    return { orders: [], operations: [leg(order, foreignOrderId(ctx.prng, ctx.range))] };
  }
  const counter: AcceptedOrder = {
    ...order,
    id: ctx.allocateOwnOutsideId(),
    side: order.side === 'buy' ? 'sell' : 'buy',
    origin: 'self_counter',
  };
  return { orders: [counter], operations: [leg(order, counter.id), leg(counter, order.id)] };
}
