/**
 * The cancel decision of SENEBI's book (docs/api.md §8): a resting order (`accepted`) is
 * cancelled; one already cancelled answers the same again (a retry after a lost answer is
 * safe); a matched or rejected order cannot be cancelled; an unknown id is not found. Pure.
 */
import type { StoredOrder } from '../orders/types.js';

/** What a cancel request does to the book. */
export type CancelDecision =
  | { readonly kind: 'not_found' }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'already_cancelled' }
  | { readonly kind: 'not_cancellable'; readonly status: 'matched' | 'rejected' };

/** Decides a cancel request for the order held under its id (undefined: none). */
export function decideCancel(order: StoredOrder | undefined): CancelDecision {
  if (order === undefined) return { kind: 'not_found' };
  switch (order.status) {
    case 'accepted':
      return { kind: 'cancel' };
    case 'cancelled':
      return { kind: 'already_cancelled' };
    case 'matched':
    case 'rejected':
      return { kind: 'not_cancellable', status: order.status };
  }
}
