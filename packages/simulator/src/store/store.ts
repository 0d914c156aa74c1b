/**
 * The simulated exchange's book for the agent: orders and operations by id and trade date,
 * each order's history, seeding of the agent's other business, and matching. In memory; every
 * change goes through apply() and is reported to onChange, which the persistence layer journals.
 */
import { compareUint64, type IdRange, type Uint64 } from '@qsen/core';
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
  readonly now: () => Date;
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

/** The simulated exchange's records for the agent. */
export class SimulatorStore {
  private readonly orders = new Map<Uint64, StoredOrder>();
  private readonly ordersByDate = new Map<TradeDate, Uint64[]>();
  private readonly operationsByDate = new Map<TradeDate, StoredOperation[]>();
  private readonly history = new Map<Uint64, OrderEvent[]>();
  private readonly seededDates = new Set<TradeDate>();
  private nextOperationSeq = FIRST_OPERATION_SEQ;
  private matchingPrng: Prng;
  private matchingSettings: MatchingSettings;
  private businessSeed: number;
  private readonly outsideIds: OutsideIdAllocator;

  /** Builds the store from a snapshot, or seeds it as at a first start when there is none. */
  constructor(private readonly options: StoreOptions, snapshot?: StoreSnapshot) {
    this.matchingSettings = options.matching;
    this.matchingPrng = createPrng(options.matching.seed);
    this.businessSeed = options.businessSeed;
    this.outsideIds = createOutsideIdAllocator(options.range, (candidate) => this.orders.has(candidate));
    if (snapshot) this.load(snapshot);
    else this.seedInitial();
  }

  /** An empty snapshot (a store to replay a journal into). */
  static emptySnapshot(businessSeed: number): StoreSnapshot {
    return { businessSeed, seededDates: [], nextOperationSeq: FIRST_OPERATION_SEQ.toString(), orders: [], operations: [], history: {} };
  }

  /** The trade date of now. */
  today(): TradeDate {
    return tradeDateOf(this.options.now());
  }

  /** The matching knobs in force. */
  get matching(): MatchingSettings {
    return this.matchingSettings;
  }

  /** Replaces the matching knobs and restarts the matching PRNG from the seed. */
  setMatching(settings: MatchingSettings): void {
    this.matchingSettings = settings;
    this.matchingPrng = createPrng(settings.seed);
  }

  /** Forgets everything and seeds again (today and the day before), as at a first start. */
  reset(): void {
    this.commit({ t: 'reset', businessSeed: this.options.businessSeed });
    this.setMatching(this.options.matching);
    this.seedInitial();
  }

  /** Applies one change without reporting it (journal replay). */
  apply(change: StoreChange): void {
    switch (change.t) {
      case 'order': {
        const known = this.orders.has(change.order.id);
        this.orders.set(change.order.id, change.order);
        if (!known) {
          const list = this.ordersByDate.get(change.order.tradeDate) ?? [];
          list.push(change.order.id);
          this.ordersByDate.set(change.order.tradeDate, list);
        }
        return;
      }
      case 'operation': {
        const list = this.operationsByDate.get(change.operation.tradeDate) ?? [];
        list.push(change.operation);
        this.operationsByDate.set(change.operation.tradeDate, list);
        return;
      }
      case 'event': {
        const events = this.history.get(change.id) ?? [];
        events.push(change.event);
        this.history.set(change.id, events);
        return;
      }
      case 'seeded':
        this.seededDates.add(change.date);
        return;
      case 'opseq':
        this.nextOperationSeq = BigInt(change.next);
        return;
      case 'reset':
        this.orders.clear();
        this.ordersByDate.clear();
        this.operationsByDate.clear();
        this.history.clear();
        this.seededDates.clear();
        this.nextOperationSeq = FIRST_OPERATION_SEQ;
        this.businessSeed = change.businessSeed;
        this.outsideIds.restart();
    }
  }

  /** Handles one order submission (already parsed JSON; the caller records 'received'), optionally forced to a rejection. */
  submitOrder(body: unknown, forcedRejectReason?: string): SubmitOutcome {
    const validation = validateOrder(body, LISTED_SYMBOLS);
    if (validation.kind === 'invalid_request') return validation;
    const now = this.options.now();
    const time = now.toISOString();
    const tradeDate = tradeDateOf(now);
    this.ensureSeeded(tradeDate);
    const id = validation.id;

    const existing = this.orders.get(id);
    if (existing) {
      const echo = validation.kind === 'valid' ? validation.fields : validation.echo;
      this.recordEvent(id, 'duplicate');
      const answer: RejectedOrder = { id, ...echo, status: 'rejected', reason: 'duplicate order id', time, tradeDate, origin: 'agent' };
      return { kind: 'answered', order: answer, stored: false };
    }
    if (validation.kind === 'rejected' || forcedRejectReason !== undefined) {
      const echo = validation.kind === 'valid' ? validation.fields : validation.echo;
      const reason = validation.kind === 'rejected' ? validation.reason : (forcedRejectReason ?? '');
      const rejected: RejectedOrder = { id, ...echo, status: 'rejected', reason, time, tradeDate, origin: 'agent' };
      this.addOrder(rejected);
      this.recordEvent(id, 'rejected', reason);
      return { kind: 'answered', order: rejected, stored: true };
    }
    const order: AcceptedOrder = { id, ...validation.fields, status: 'accepted', time, tradeDate, origin: 'agent' };
    this.addOrder(order);
    this.recordEvent(id, 'accepted');
    // The answer to the submission says `accepted` either way; the order's state is read by id.
    if (matchesAtAcceptance(this.matchingPrng, this.matchingSettings.probability)) this.fill(order, time);
    return { kind: 'answered', order, stored: true };
  }

  /**
   * The delay before a later match of an order that rests after its submission, drawn now
   * (undefined: later matches are off). The caller arms the timer and calls matchResting.
   */
  drawLaterMatchDelay(): number | undefined {
    return laterMatchDelay(this.matchingPrng, this.matchingSettings);
  }

  /** Handles one cancel request: first to commit wins between a cancel and a match. */
  cancelOrder(id: Uint64): CancelOutcome {
    const order = this.orders.get(id);
    const decision = decideCancel(order);
    switch (decision.kind) {
      case 'not_found':
        return decision;
      case 'not_cancellable':
        this.recordEvent(id, 'cancel_refused', decision.status);
        return { kind: 'not_cancellable', order: order as StoredOrder, status: decision.status };
      case 'already_cancelled':
        return { kind: 'cancelled', order: order as AcceptedOrder, first: false };
      case 'cancel': {
        const cancelled: AcceptedOrder = { ...(order as AcceptedOrder), status: 'cancelled', cancelledAt: this.options.now().toISOString() };
        this.addOrder(cancelled);
        this.recordEvent(id, 'cancelled');
        return { kind: 'cancelled', order: cancelled, first: true };
      }
    }
  }

  /** The counterparty enters its side of a resting order now: it trades in full (nothing happens to an order that is not resting). */
  matchResting(id: Uint64): LaterMatchOutcome {
    const order = this.orders.get(id);
    if (order === undefined || order.status !== 'accepted') return { kind: 'not_resting', order };
    const { matched, operations } = this.fill(order, this.options.now().toISOString());
    return { kind: 'matched', order: matched, operations };
  }

  /** Trades a resting order in full at `time`: its operations, any self counter order, and its new state. */
  private fill(order: AcceptedOrder, time: string): { matched: AcceptedOrder; operations: readonly StoredOperation[] } {
    const match = matchOrder(order, time, {
      prng: this.matchingPrng,
      agentCode: this.options.agentCode,
      range: this.options.range,
      nextOperationId: () => {
        const id = this.nextOperationSeq.toString() as Uint64;
        this.commit({ t: 'opseq', next: (this.nextOperationSeq + 1n).toString() });
        return id;
      },
      allocateOwnOutsideId: () => this.outsideIds.allocate(),
    });
    const matched: AcceptedOrder = { ...order, status: 'matched', matchedAt: time };
    this.addOrder(matched);
    for (const counter of match.orders) {
      this.addOrder(counter);
      this.recordEvent(counter.id, 'counter_order', `counter order of ${order.id}`);
    }
    for (const operation of match.operations) {
      this.addOperation(operation);
      this.recordEvent(operation.orderId, 'matched', `operation ${operation.id}`);
    }
    return { matched, operations: match.operations };
  }

  /** One order by id. */
  getOrder(id: Uint64): StoredOrder | undefined {
    return this.orders.get(id);
  }

  /** An order's history (empty when the id was never seen). */
  historyOf(id: Uint64): readonly OrderEvent[] {
    return this.history.get(id) ?? [];
  }

  /** Appends a step to an order's history. */
  recordEvent(id: Uint64, event: OrderEvent['event'], detail?: string): void {
    this.commit({ t: 'event', id, event: { at: this.options.now().toISOString(), event, ...(detail !== undefined ? { detail } : {}) } });
  }

  /** All of the agent's orders of a date (seeding the date first if needed), by time. */
  listOrders(date: TradeDate): StoredOrder[] {
    this.ensureSeeded(date);
    const ids = this.ordersByDate.get(date) ?? [];
    return ids.map((id) => this.orders.get(id)).filter((o): o is StoredOrder => o !== undefined).sort(byTimeThenId);
  }

  /** All of the agent's operations of a date (seeding the date first if needed), by time. */
  listOperations(date: TradeDate): StoredOperation[] {
    this.ensureSeeded(date);
    return [...(this.operationsByDate.get(date) ?? [])].sort(byTimeThenId);
  }

  /** Seeds the agent's other business for a date not seeded yet (never a future date). */
  ensureSeeded(date: TradeDate): boolean {
    if (this.seededDates.has(date) || date > this.today()) return false;
    const plan = planSeededBusiness({
      date,
      seed: this.businessSeed,
      range: this.options.range,
      agentCode: this.options.agentCode,
      primary: this.seededDates.size === 0,
      isTaken: (id) => this.orders.has(id),
    });
    this.commit({ t: 'seeded', date });
    for (const order of plan.orders) {
      this.addOrder(order);
      this.recordEvent(order.id, 'seeded', date);
    }
    for (const operation of plan.operations) this.addOperation(operation);
    return true;
  }

  /** Counts of what the store holds. */
  sizes(): { orders: number; operations: number; seededDates: number } {
    let operations = 0;
    for (const list of this.operationsByDate.values()) operations += list.length;
    return { orders: this.orders.size, operations, seededDates: this.seededDates.size };
  }

  /** The store as plain data. */
  snapshot(): StoreSnapshot {
    const operations: StoredOperation[] = [];
    for (const list of this.operationsByDate.values()) operations.push(...list);
    return {
      businessSeed: this.businessSeed,
      seededDates: [...this.seededDates],
      nextOperationSeq: this.nextOperationSeq.toString(),
      orders: [...this.orders.values()],
      operations,
      history: Object.fromEntries(this.history),
    };
  }

  private seedInitial(): void {
    const today = this.today();
    this.ensureSeeded(today);
    this.ensureSeeded(previousDate(today));
  }

  private load(snapshot: StoreSnapshot): void {
    this.businessSeed = snapshot.businessSeed;
    this.nextOperationSeq = BigInt(snapshot.nextOperationSeq);
    for (const date of snapshot.seededDates) this.seededDates.add(date);
    for (const order of snapshot.orders) this.apply({ t: 'order', order });
    for (const operation of snapshot.operations) this.apply({ t: 'operation', operation });
    for (const [id, events] of Object.entries(snapshot.history)) this.history.set(id as Uint64, [...events]);
  }

  private commit(change: StoreChange): void {
    this.apply(change);
    this.options.onChange?.(change);
  }

  private addOrder(order: StoredOrder): void {
    this.commit({ t: 'order', order });
  }

  private addOperation(operation: StoredOperation): void {
    this.commit({ t: 'operation', operation });
  }
}
