/**
 * The simulated exchange's book for the agent: orders and operations by id and trade date,
 * each order's history, seeding of the agent's other business, and matching. In memory; every
 * change goes through apply() and is reported to onChange, which the persistence layer journals.
 */
import { compareUint64, type Clock, type IdRange, type Uint64 } from '@qsen/core';
import { createPrng, type Prng } from '../random/prng.js';
import { previousDate, tradeDateOf, type TradeDate } from '../trade-date/trade-date.js';
import { LISTED_SYMBOLS } from '../orders/instruments.js';
import { validateOrder } from '../orders/validate.js';
import type { AcceptedOrder, RejectedOrder, StoredOperation, StoredOrder } from '../orders/types.js';
import { planSeededBusiness } from '../business/seed.js';
import { laterMatchDelay, matchesAtAcceptance, matchOrder } from '../business/matching.js';
import { decideCancel } from '../business/cancel.js';
import { createOutsideIdAllocator, type OutsideIdAllocator } from '../business/ids.js';

/** The steps of an order's life in the admin history. */
export const ORDER_EVENTS = [
  'received', 'accepted', 'rejected', 'duplicate', 'matched', 'fault', 'seeded', 'counter_order',
  'cancel_received', 'cancelled', 'cancel_refused',
] as const;

/** One step in an order's life, for the admin history. */
export interface OrderEvent {
  readonly at: string;
  readonly event: (typeof ORDER_EVENTS)[number];
  readonly detail?: string;
}

/**
 * Matching knobs: probability that an accepted order trades at acceptance, the PRNG seed, and
 * the later match of a resting order (`match_after_ms` plus up to `match_jitter_ms`, drawn from
 * the same PRNG; 0 = off: a resting order rests until cancelled or matched by the admin route).
 */
export interface MatchingSettings {
  readonly probability: number;
  readonly seed: number;
  readonly match_after_ms?: number;
  readonly match_jitter_ms?: number;
}

/** The store as plain data (persisted). */
export interface StoreSnapshot {
  readonly businessSeed: number;
  readonly seededDates: TradeDate[];
  readonly nextOperationSeq: string;
  readonly orders: StoredOrder[];
  readonly operations: StoredOperation[];
  readonly history: Record<string, OrderEvent[]>;
}

/** One change to the store, as journaled (replaying the changes rebuilds the store). */
export type StoreChange =
  | { readonly t: 'order'; readonly order: StoredOrder }
  | { readonly t: 'operation'; readonly operation: StoredOperation }
  | { readonly t: 'event'; readonly id: Uint64; readonly event: OrderEvent }
  | { readonly t: 'seeded'; readonly date: TradeDate }
  | { readonly t: 'opseq'; readonly next: string }
  | { readonly t: 'reset'; readonly businessSeed: number };

/** How the store is built. */
export interface StoreOptions {
  readonly range: IdRange;
  /** The agent's own participant code (self trades when an order's counterparty equals it). */
  readonly agentCode: string;
  readonly businessSeed: number;
  readonly matching: MatchingSettings;
  /** The clock of trade dates and order times. */
  readonly clock: Clock;
  /** Receives every change (the persistence layer journals them). */
  readonly onChange?: (change: StoreChange) => void;
}

/** The answer to one order submission. */
export type SubmitOutcome =
  | { readonly kind: 'invalid_request'; readonly field: string; readonly message: string }
  | { readonly kind: 'answered'; readonly order: StoredOrder; readonly stored: boolean };

/** The answer to one cancel request (docs/api.md §8). */
export type CancelOutcome =
  | { readonly kind: 'not_found' }
  | { readonly kind: 'cancelled'; readonly order: AcceptedOrder; readonly first: boolean }
  | { readonly kind: 'not_cancellable'; readonly order: StoredOrder; readonly status: 'matched' | 'rejected' };

/** What a match request did: the order traded now, or it was not resting (absent, matched, cancelled, rejected). */
export type LaterMatchOutcome =
  | { readonly kind: 'matched'; readonly order: AcceptedOrder; readonly operations: readonly StoredOperation[] }
  | { readonly kind: 'not_resting'; readonly order: StoredOrder | undefined };

/** The first operation id of SENEBI's own sequence for live trades. */
const FIRST_OPERATION_SEQ = 5_100_000_000_000_000_001n;

/** Sorts records by time, then by id. */
function byTimeThenId<T extends { readonly time: string; readonly id: Uint64 }>(a: T, b: T): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : compareUint64(a.id, b.id);
}

/** An empty snapshot (a store to replay a journal into). */
export function emptyStoreSnapshot(businessSeed: number): StoreSnapshot {
  return { businessSeed, seededDates: [], nextOperationSeq: FIRST_OPERATION_SEQ.toString(), orders: [], operations: [], history: {} };
}

/** The simulated exchange's records for the agent. */
export interface SimulatorStore {
  /** The trade date of now. */
  today(): TradeDate;
  /** The matching knobs in force. */
  readonly matching: MatchingSettings;
  /** Replaces the matching knobs and restarts the matching PRNG from the seed. */
  setMatching(settings: MatchingSettings): void;
  /** Forgets everything and seeds again (today and the day before), as at a first start. */
  reset(): void;
  /** Applies one change without reporting it (journal replay). */
  apply(change: StoreChange): void;
  /** Handles one order submission (already parsed JSON; the caller records 'received'), optionally forced to a rejection. */
  submitOrder(body: unknown, forcedRejectReason?: string): SubmitOutcome;
  /**
   * The delay before a later match of an order that rests after its submission, drawn now
   * (undefined: later matches are off). The caller arms the timer and calls matchResting.
   */
  drawLaterMatchDelay(): number | undefined;
  /** Handles one cancel request: first to commit wins between a cancel and a match. */
  cancelOrder(id: Uint64): CancelOutcome;
  /** The counterparty enters its side of a resting order now: it trades in full (nothing happens to an order that is not resting). */
  matchResting(id: Uint64): LaterMatchOutcome;
  /** One order by id. */
  getOrder(id: Uint64): StoredOrder | undefined;
  /** An order's history (empty when the id was never seen). */
  historyOf(id: Uint64): readonly OrderEvent[];
  /** Appends a step to an order's history. */
  recordEvent(id: Uint64, event: OrderEvent['event'], detail?: string): void;
  /** All of the agent's orders of a date (seeding the date first if needed), by time. */
  listOrders(date: TradeDate): StoredOrder[];
  /** All of the agent's operations of a date (seeding the date first if needed), by time. */
  listOperations(date: TradeDate): StoredOperation[];
  /** Seeds the agent's other business for a date not seeded yet (never a future date). */
  ensureSeeded(date: TradeDate): boolean;
  /** Counts of what the store holds. */
  sizes(): { orders: number; operations: number; seededDates: number };
  /** The store as plain data. */
  snapshot(): StoreSnapshot;
}

/** Builds the store from a snapshot, or seeds it as at a first start when there is none. */
export function createSimulatorStore(options: StoreOptions, from?: StoreSnapshot): SimulatorStore {
  const orders = new Map<Uint64, StoredOrder>();
  const ordersByDate = new Map<TradeDate, Uint64[]>();
  const operationsByDate = new Map<TradeDate, StoredOperation[]>();
  const history = new Map<Uint64, OrderEvent[]>();
  const seededDates = new Set<TradeDate>();
  let nextOperationSeq = FIRST_OPERATION_SEQ;
  let matchingSettings: MatchingSettings = options.matching;
  let matchingPrng: Prng = createPrng(options.matching.seed);
  let businessSeed = options.businessSeed;
  const outsideIds: OutsideIdAllocator = createOutsideIdAllocator(options.range, (candidate) => orders.has(candidate));

  const nowDate = (): Date => new Date(options.clock.now());
  const today = (): TradeDate => tradeDateOf(nowDate());

  const setMatching = (settings: MatchingSettings): void => {
    matchingSettings = settings;
    matchingPrng = createPrng(settings.seed);
  };

  const apply = (change: StoreChange): void => {
    switch (change.t) {
      case 'order': {
        const known = orders.has(change.order.id);
        orders.set(change.order.id, change.order);
        if (!known) {
          const list = ordersByDate.get(change.order.tradeDate) ?? [];
          list.push(change.order.id);
          ordersByDate.set(change.order.tradeDate, list);
        }
        return;
      }
      case 'operation': {
        const list = operationsByDate.get(change.operation.tradeDate) ?? [];
        list.push(change.operation);
        operationsByDate.set(change.operation.tradeDate, list);
        return;
      }
      case 'event': {
        const events = history.get(change.id) ?? [];
        events.push(change.event);
        history.set(change.id, events);
        return;
      }
      case 'seeded':
        seededDates.add(change.date);
        return;
      case 'opseq':
        nextOperationSeq = BigInt(change.next);
        return;
      case 'reset':
        orders.clear();
        ordersByDate.clear();
        operationsByDate.clear();
        history.clear();
        seededDates.clear();
        nextOperationSeq = FIRST_OPERATION_SEQ;
        businessSeed = change.businessSeed;
        outsideIds.restart();
    }
  };

  const commit = (change: StoreChange): void => {
    apply(change);
    options.onChange?.(change);
  };
  const addOrder = (order: StoredOrder): void => commit({ t: 'order', order });
  const addOperation = (operation: StoredOperation): void => commit({ t: 'operation', operation });
  const recordEvent = (id: Uint64, event: OrderEvent['event'], detail?: string): void => {
    commit({ t: 'event', id, event: { at: nowDate().toISOString(), event, ...(detail !== undefined ? { detail } : {}) } });
  };

  const ensureSeeded = (date: TradeDate): boolean => {
    if (seededDates.has(date) || date > today()) return false;
    const plan = planSeededBusiness({
      date,
      seed: businessSeed,
      range: options.range,
      agentCode: options.agentCode,
      primary: seededDates.size === 0,
      isTaken: (id) => orders.has(id),
    });
    commit({ t: 'seeded', date });
    for (const order of plan.orders) {
      addOrder(order);
      recordEvent(order.id, 'seeded', date);
    }
    for (const operation of plan.operations) addOperation(operation);
    return true;
  };

  const seedInitial = (): void => {
    const now = today();
    ensureSeeded(now);
    ensureSeeded(previousDate(now));
  };

  /** Trades a resting order in full at `time`: its operations, any self counter order, and its new state. */
  const fill = (order: AcceptedOrder, time: string): { matched: AcceptedOrder; operations: readonly StoredOperation[] } => {
    const match = matchOrder(order, time, {
      prng: matchingPrng,
      agentCode: options.agentCode,
      range: options.range,
      nextOperationId: () => {
        const id = nextOperationSeq.toString() as Uint64;
        commit({ t: 'opseq', next: (nextOperationSeq + 1n).toString() });
        return id;
      },
      allocateOwnOutsideId: () => outsideIds.allocate(),
    });
    const matched: AcceptedOrder = { ...order, status: 'matched', matchedAt: time };
    addOrder(matched);
    for (const counter of match.orders) {
      addOrder(counter);
      recordEvent(counter.id, 'counter_order', `counter order of ${order.id}`);
    }
    for (const operation of match.operations) {
      addOperation(operation);
      recordEvent(operation.orderId, 'matched', `operation ${operation.id}`);
    }
    return { matched, operations: match.operations };
  };

  if (from) {
    businessSeed = from.businessSeed;
    nextOperationSeq = BigInt(from.nextOperationSeq);
    for (const date of from.seededDates) seededDates.add(date);
    for (const order of from.orders) apply({ t: 'order', order });
    for (const operation of from.operations) apply({ t: 'operation', operation });
    for (const [id, events] of Object.entries(from.history)) history.set(id as Uint64, [...events]);
  } else {
    seedInitial();
  }

  return {
    today,
    get matching() {
      return matchingSettings;
    },
    setMatching,
    reset() {
      commit({ t: 'reset', businessSeed: options.businessSeed });
      setMatching(options.matching);
      seedInitial();
    },
    apply,
    submitOrder(body, forcedRejectReason) {
      const validation = validateOrder(body, LISTED_SYMBOLS);
      if (validation.kind === 'invalid_request') return validation;
      const now = nowDate();
      const time = now.toISOString();
      const tradeDate = tradeDateOf(now);
      ensureSeeded(tradeDate);
      const id = validation.id;

      const existing = orders.get(id);
      if (existing) {
        const echo = validation.kind === 'valid' ? validation.fields : validation.echo;
        recordEvent(id, 'duplicate');
        const answer: RejectedOrder = { id, ...echo, status: 'rejected', reason: 'duplicate order id', time, tradeDate, origin: 'agent' };
        return { kind: 'answered', order: answer, stored: false };
      }
      if (validation.kind === 'rejected' || forcedRejectReason !== undefined) {
        const echo = validation.kind === 'valid' ? validation.fields : validation.echo;
        const reason = validation.kind === 'rejected' ? validation.reason : (forcedRejectReason ?? '');
        const rejected: RejectedOrder = { id, ...echo, status: 'rejected', reason, time, tradeDate, origin: 'agent' };
        addOrder(rejected);
        recordEvent(id, 'rejected', reason);
        return { kind: 'answered', order: rejected, stored: true };
      }
      const order: AcceptedOrder = { id, ...validation.fields, status: 'accepted', time, tradeDate, origin: 'agent' };
      addOrder(order);
      recordEvent(id, 'accepted');
      // The answer to the submission says `accepted` either way; the order's state is read by id.
      if (matchesAtAcceptance(matchingPrng, matchingSettings.probability)) fill(order, time);
      return { kind: 'answered', order, stored: true };
    },
    drawLaterMatchDelay: () => laterMatchDelay(matchingPrng, matchingSettings),
    cancelOrder(id) {
      const order = orders.get(id);
      const decision = decideCancel(order);
      switch (decision.kind) {
        case 'not_found':
          return decision;
        case 'not_cancellable':
          recordEvent(id, 'cancel_refused', decision.status);
          return { kind: 'not_cancellable', order: order as StoredOrder, status: decision.status };
        case 'already_cancelled':
          return { kind: 'cancelled', order: order as AcceptedOrder, first: false };
        case 'cancel': {
          const cancelled: AcceptedOrder = { ...(order as AcceptedOrder), status: 'cancelled', cancelledAt: nowDate().toISOString() };
          addOrder(cancelled);
          recordEvent(id, 'cancelled');
          return { kind: 'cancelled', order: cancelled, first: true };
        }
      }
    },
    matchResting(id) {
      const order = orders.get(id);
      if (order === undefined || order.status !== 'accepted') return { kind: 'not_resting', order };
      const { matched, operations } = fill(order, nowDate().toISOString());
      return { kind: 'matched', order: matched, operations };
    },
    getOrder: (id) => orders.get(id),
    historyOf: (id) => history.get(id) ?? [],
    recordEvent,
    listOrders(date) {
      ensureSeeded(date);
      const ids = ordersByDate.get(date) ?? [];
      return ids.map((id) => orders.get(id)).filter((o): o is StoredOrder => o !== undefined).sort(byTimeThenId);
    },
    listOperations(date) {
      ensureSeeded(date);
      return [...(operationsByDate.get(date) ?? [])].sort(byTimeThenId);
    },
    ensureSeeded,
    sizes() {
      let operations = 0;
      for (const list of operationsByDate.values()) operations += list.length;
      return { orders: orders.size, operations, seededDates: seededDates.size };
    },
    snapshot() {
      const operations: StoredOperation[] = [];
      for (const list of operationsByDate.values()) operations.push(...list);
      return {
        businessSeed,
        seededDates: [...seededDates],
        nextOperationSeq: nextOperationSeq.toString(),
        orders: [...orders.values()],
        operations,
        history: Object.fromEntries(history),
      };
    },
  };
}
