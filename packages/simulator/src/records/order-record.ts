/**
 * SENEBI's own record of one order id, for a checker: how many submissions carried it, how many
 * of them the exchange accepted, refused as duplicates or rejected, which faults touched them,
 * how many are still in process, and the state the exchange holds. Pure: built from the store's
 * history, the counters and the processing tracker.
 */
import type { Uint64 } from '@qsen/core';
import type { OrderEvent } from '../store/store.js';
import type { StoredOrder } from '../orders/types.js';

/** One id's record as the admin API serves it. */
export interface OrderRecord {
  readonly id: Uint64;
  /** Submissions that reached the simulator with this id (whatever happened next). */
  readonly received: number;
  /** Submissions that the exchange accepted (stored as accepted): more than 1 would be a double acceptance. */
  readonly accepted: number;
  /** Submissions stored as rejected (validation or the `reject` fault). */
  readonly rejected: number;
  /** Submissions refused with "duplicate order id" (the id was already held). */
  readonly duplicates: number;
  /** Submissions received and not yet committed nor ended by a fault. */
  readonly pending: number;
  /** Faults injected on requests carrying this id, by kind. */
  readonly faults: Readonly<Record<string, number>>;
  /** Cancel requests that reached the simulator with this id (whatever happened next). */
  readonly cancels: number;
  /** Cancels that committed (0 or 1: a repeated cancel of a cancelled order changes nothing). */
  readonly cancelled: number;
  /** Cancels refused because the order had matched or was rejected (409 ORDER_NOT_CANCELLABLE). */
  readonly cancelRefused: number;
  /** The state the exchange holds: `accepted` (resting), `matched`, `cancelled`, `rejected`, or `absent` (never stored). */
  readonly status: StoredOrder['status'] | 'absent';
  /** When it matched / was cancelled, where set. */
  readonly matchedAt?: string;
  readonly cancelledAt?: string;
}

/** Builds the record of one id. */
export function buildOrderRecord(input: {
  readonly id: Uint64;
  readonly order: StoredOrder | undefined;
  readonly history: readonly OrderEvent[];
  readonly received: number;
  readonly pending: number;
  readonly cancels: number;
}): OrderRecord {
  let accepted = 0;
  let rejected = 0;
  let duplicates = 0;
  let cancelled = 0;
  let cancelRefused = 0;
  const faults: Record<string, number> = {};
  const order = input.order;
  for (const event of input.history) {
    if (event.event === 'accepted') accepted += 1;
    else if (event.event === 'rejected') rejected += 1;
    else if (event.event === 'duplicate') duplicates += 1;
    else if (event.event === 'cancelled') cancelled += 1;
    else if (event.event === 'cancel_refused') cancelRefused += 1;
    else if (event.event === 'fault') {
      const kind = event.detail ?? 'unknown';
      faults[kind] = (faults[kind] ?? 0) + 1;
    }
  }
  return {
    id: input.id,
    received: input.received,
    accepted,
    rejected,
    duplicates,
    pending: input.pending,
    faults,
    cancels: input.cancels,
    cancelled,
    cancelRefused,
    status: order ? order.status : 'absent',
    ...(order && order.status !== 'rejected' && order.matchedAt !== undefined ? { matchedAt: order.matchedAt } : {}),
    ...(order && order.status !== 'rejected' && order.cancelledAt !== undefined ? { cancelledAt: order.cancelledAt } : {}),
  };
}
