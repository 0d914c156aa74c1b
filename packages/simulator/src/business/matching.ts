/**
 * Matching of an accepted order by its counterparty: at acceptance, with a probability (seeded
 * PRNG), the order trades in full; one that does not rests until a later match (the
 * `match_after_ms` delay or the admin route) or a cancel, whichever commits first. When the
 * counterparty is the agent itself, the counter order is one of the agent's own orders with an
 * id outside the reserved range, so both legs are the agent's.
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

/** Decides (one PRNG draw when the probability is above 0) whether an order trades at acceptance. */
export function matchesAtAcceptance(prng: Prng, probability: number): boolean {
  return probability > 0 && prng.next() < probability;
}

/** The delay before a resting order's later match, or undefined when later matches are off. */
export function laterMatchDelay(prng: Prng, settings: { readonly match_after_ms?: number; readonly match_jitter_ms?: number }): number | undefined {
  const after = settings.match_after_ms ?? 0;
  if (after <= 0) return undefined;
  const jitter = settings.match_jitter_ms ?? 0;
  return after + (jitter > 0 ? prng.int(0, jitter) : 0);
}

/** What matching needs from the store. */
export interface MatchContext {
  readonly prng: Prng;
  readonly agentCode: string;
  readonly range: IdRange;
  readonly nextOperationId: () => Uint64;
  readonly allocateOwnOutsideId: () => Uint64;
}

/** The trade of a resting order met in full by its counterparty now (`time`): the operations and any self counter order. */
export function matchOrder(order: AcceptedOrder, time: string, ctx: MatchContext): MatchResult {
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
    time,
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
    status: 'matched',
    time,
    matchedAt: time,
  };
  return { orders: [counter], operations: [leg(order, counter.id), leg(counter, order.id)] };
}
