/**
 * cancelOrder's pure decisions (docs/qsen.md, "Cancel"): reading the request, and what a cancel
 * does given what qsen knows of the order and of an earlier cancel. No I/O; tested with literal
 * inputs (packages/qsen/test/cancel-rules.test.ts).
 */
import { isInRange, parseUint64, type IdRange, type Uint64 } from '@qsen/core/ids';
import { ApiError } from '@qsen/core/errors';
import { qsenErrors } from '../errors.js';
import type { OrderEntry } from './book.js';
import { UNCERTAIN_STATES } from './order.js';

/**
 * The answer to a cancel of an id qsen holds no order for. An id outside the range gets exactly
 * this answer too (no id echoed), so the platform learns nothing of ids outside its range.
 */
export function orderNotFound(): ApiError {
  return qsenErrors.create('ORDER_NOT_FOUND');
}

/** Reads `{"id": "..."}` (string or JSON number, exact); 400 INVALID_REQUEST. The fence is the desk's (`isInRange`, then the book). */
export function readCancelRequest(body: unknown): Uint64 {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw qsenErrors.create('INVALID_REQUEST', 'the body must be a JSON object', { field: '(body)', problem: 'not an object' });
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'id') throw qsenErrors.create('INVALID_REQUEST', `unknown field '${key}'`, { field: key, problem: 'unknown field' });
  }
  if (fields['id'] === undefined) throw qsenErrors.create('INVALID_REQUEST', "missing field 'id'", { field: 'id', problem: 'missing' });
  const id = parseUint64(fields['id']);
  if (!id.ok) throw qsenErrors.create('INVALID_REQUEST', `invalid field 'id': ${id.problem}`, { field: 'id', problem: id.problem });
  return id.value;
}

/** Tells whether a cancel of `id` may go further: inside the range and held by qsen (else 404 ORDER_NOT_FOUND, the same for both). */
export function isCancellableId(id: Uint64, range: IdRange, holds: (id: Uint64) => boolean): boolean {
  return isInRange(id, range) && holds(id);
}

/** What a cancel does, given the order's entry in the book. */
export type CancelStep =
  /** qsen holds no order with this id: 404 ORDER_NOT_FOUND. */
  | { readonly kind: 'not_found' }
  /** The order's own delivery is uncertain: reconcile it by id first, then decide again. */
  | { readonly kind: 'resolve_order' }
  /** The order can never be cancelled (it is rejected, or never reached SENEBI): 409 ORDER_NOT_CANCELLABLE. */
  | { readonly kind: 'refuse'; readonly status: 'rejected' | 'not_sent' }
  /** An earlier cancel came to a final result: answered again from qsen's record, never sent again. */
  | { readonly kind: 'replay'; readonly result: 'cancelled' | 'matched' }
  /** Forward the cancel: a first one (or one after a cancel known not to have arrived), journaled first. */
  | { readonly kind: 'forward' }
  /** An earlier cancel's fate is unknown (no answer, crash): send the idempotent cancel again. */
  | { readonly kind: 'resend' };

/** Decides the next step of a cancel from the order's entry (undefined: none). */
export function decideCancelStep(entry: OrderEntry | undefined): CancelStep {
  if (!entry) return { kind: 'not_found' };
  if (UNCERTAIN_STATES.includes(entry.state)) return { kind: 'resolve_order' };
  if (entry.state === 'rejected' || entry.state === 'not_sent') return { kind: 'refuse', status: entry.state };
  switch (entry.cancel?.state) {
    case undefined:
    case 'not_sent':
      return { kind: 'forward' };
    case 'cancelled':
    case 'matched':
      return { kind: 'replay', result: entry.cancel.state };
    case 'requested':
    case 'unknown':
      return { kind: 'resend' };
  }
}

/**
 * The closed set of cancel results (the `result` label of qsen_cancels_total): `cancelled` (SENEBI
 * cancelled it now), `not_cancellable` (409: matched, rejected, never sent), `not_found` (404, out
 * of range included), `replayed` (answered again from qsen's record), `refused` (another refusal:
 * 400, MARKET_CLOSED, ORDER_DELIVERY_UNKNOWN, SHUTTING_DOWN, ...), `failed` (SENEBI or the journal
 * failed: 502/503/504).
 */
export const CANCEL_RESULTS = ['cancelled', 'not_cancellable', 'not_found', 'replayed', 'refused', 'failed'] as const;

/** One cancel result. */
export type CancelResult = (typeof CANCEL_RESULTS)[number];

/** The result label of a cancel that ended in an error code (pure). */
export function cancelResultOfCode(code: string): CancelResult {
  if (code === 'ORDER_NOT_CANCELLABLE') return 'not_cancellable';
  if (code === 'ORDER_NOT_FOUND') return 'not_found';
  if (code === 'SENEBI_ERROR' || code === 'SENEBI_TIMEOUT' || code === 'JOURNAL_UNAVAILABLE' || code === 'INTERNAL_ERROR') return 'failed';
  return 'refused';
}
