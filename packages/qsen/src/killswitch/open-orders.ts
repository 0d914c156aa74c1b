/**
 * Which orders a mass cancel pulls (docs/qsen.md, "Pulling resting orders"): a pure decision
 * over qsen's journal (the order book) and SENEBI's listing of the trading day.
 *
 * - Only ids inside the range are ever considered; an out-of-range order in SENEBI's listing
 *   is ignored as if it were not there.
 * - Journal orders of the trading day that are not known closed (`rejected`, `not_sent`,
 *   `cancelled`, `matched`) are candidates: accepted (resting as far as qsen knows) and the
 *   uncertain ones (possibly at SENEBI). Orders of earlier days are not: SENEBI orders live for
 *   their day.
 * - In-range orders SENEBI lists as `accepted` (resting) that qsen's journal knows are candidates
 *   too, whatever the journal says of them.
 * - In-range orders SENEBI lists as `accepted` that the journal does not know at all are
 *   *orphans* (placed with the agent's certificate outside qsen, or a journal restored from an
 *   older backup): the range is reserved for the flow qsen carries and the kill switch exists to
 *   stop all of it, so they are pulled too, straight at SENEBI (qsen has no record to cancel
 *   through), and reported in their own list (docs/api.md, "Orphans").
 * - SENEBI's listing gives the current state: `matched` is reported as already matched without
 *   a call, `cancelled` and `rejected` are not open and left alone; `accepted` or absent from the
 *   listing (or no listing at all) is a target: its cancel goes through the cancel path, which
 *   finds out the rest.
 */
import { compareUint64, isInRange, parseUint64, type IdRange, type Uint64 } from '@qsen/core/ids';

/** Journal states after which an order is known not to be resting at SENEBI. */
export const CLOSED_JOURNAL_STATES: readonly string[] = ['rejected', 'not_sent', 'cancelled', 'matched'];

/** One journaled order as the selection sees it. */
export interface JournaledOrder {
  readonly id: Uint64;
  readonly state: string;
  /** The trading day it was received on (local date). */
  readonly tradingDay: string;
  /** When qsen received it (ISO). */
  readonly receivedAt: string;
}

/** One order of SENEBI's listing (raw: the id may be any JSON value). */
export interface ListedOrder {
  readonly id: unknown;
  readonly status: unknown;
}

/** What the mass cancel does with each order. */
export interface OpenOrderSelection {
  /** To cancel, ascending. */
  readonly targets: Uint64[];
  /** Listed as matched by SENEBI (no call), ascending. */
  readonly alreadyMatched: Uint64[];
  /** Listed resting in the range by SENEBI, unknown to the journal: cancelled straight at SENEBI, ascending. */
  readonly orphans: Uint64[];
}

/** Selects the orders to pull; `listing` is undefined when SENEBI's listing could not be read. */
export function selectOpenOrders(journal: readonly JournaledOrder[], listing: readonly ListedOrder[] | undefined, range: IdRange, today: string): OpenOrderSelection {
  const listed = new Map<Uint64, string>();
  for (const order of listing ?? []) {
    const id = parseUint64(order.id);
    if (!id.ok || !isInRange(id.value, range)) continue;
    listed.set(id.value, typeof order.status === 'string' ? order.status : '');
  }
  const journaled = new Set<Uint64>();
  const candidates = new Set<Uint64>();
  for (const order of journal) {
    journaled.add(order.id);
    if (order.tradingDay !== today || !isInRange(order.id, range) || CLOSED_JOURNAL_STATES.includes(order.state)) continue;
    candidates.add(order.id);
  }
  const orphans: Uint64[] = [];
  for (const [id, status] of listed) {
    if (status !== 'accepted') continue;
    if (journaled.has(id)) candidates.add(id);
    else orphans.push(id);
  }
  const targets: Uint64[] = [];
  const alreadyMatched: Uint64[] = [];
  for (const id of candidates) {
    const status = listed.get(id);
    if (status === 'matched') alreadyMatched.push(id);
    // accepted, absent, or a status qsen does not know: the cancel path asks SENEBI.
    else if (status !== 'cancelled' && status !== 'rejected') targets.push(id);
  }
  targets.sort(compareUint64);
  alreadyMatched.sort(compareUint64);
  orphans.sort(compareUint64);
  return { targets, alreadyMatched, orphans };
}
