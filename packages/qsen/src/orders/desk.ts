/**
 * The order desk: sendOrder's rules in order (fence, validation, idempotency, kill switch, trading
 * window), the journal-before-forward discipline, and the reconciliation of uncertain orders with
 * SENEBI by id, at start and when the platform retries an order whose answer was lost.
 *
 * Decisions (docs/qsen.md):
 * - While start-up reconciliation is pending, sendOrder waits for it up to `reconcileWaitMs`, then
 *   answers 503 RECONCILING; nothing is forwarded before every uncertain order is settled.
 * - A SENEBI timeout, a 5xx or a connection lost after sending leaves the order `unknown` (the
 *   platform gets 504 / 502 with `details.delivery = "unknown"`). A retry with the same id and
 *   content first asks SENEBI for the order by id: found, its state is taken and answered; absent,
 *   the order is forwarded (once).
 * - A refused connection or a 4xx answer means SENEBI did not take it: `not_sent`, and the retry
 *   goes through.
 * - MARKET_CLOSED is decided with the injected clock against the configured window.
 */
import { ApiError, isInRange, type IdRange, type Uint64 } from '@qsen/core';
import { qsenErrors } from '../errors.js';
import type { Journal } from '../journal/journal.js';
import type { OrderState } from '../journal/records.js';
import type { KillSwitch } from '../killswitch/killswitch.js';
import type { PlacedOrder, SenebiClient } from '../senebi/client.js';
import type { WireObject } from '../senebi/wire.js';
import { describeEntry, FINAL_STATES, UNCERTAIN_STATES, type OrderEntry } from './book.js';
import { isSameOrder, readOrderId, validateOrder, type OrderContent } from './validation.js';

/** A source of the current time in epoch milliseconds (a ManualClock in tests). */
export interface NowSource {
  now(): number;
}

/** Where the desk reports what it does. */
export interface DeskLog {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/** What the desk needs. */
export interface OrderDeskDeps {
  readonly journal: Journal;
  /** The order book rebuilt from the journal (the desk keeps it current). */
  readonly book: Map<Uint64, OrderEntry>;
  readonly senebi: Pick<SenebiClient, 'placeOrder' | 'getOrder'>;
  readonly range: IdRange;
  readonly killSwitch: Pick<KillSwitch, 'isHalted'>;
  /** Tells whether the trading window is open at an instant (epoch ms). */
  readonly isMarketOpen: (nowMs: number) => boolean;
  readonly clock: NowSource;
  /** How long sendOrder waits for start-up reconciliation before answering RECONCILING. */
  readonly reconcileWaitMs: number;
  /** Called once per sendOrder outcome that is not a replay: `accepted`, or `rejected` with a reason. */
  readonly onOutcome?: (status: 'accepted' | 'rejected', reason: string) => void;
  readonly log?: DeskLog;
  /** Delay before retrying a failed reconciliation lookup (attempt counts from 1). */
  readonly retryDelayMs?: (attempt: number) => number;
}

/** The desk. */
export interface OrderDesk {
  /** Handles one sendOrder body (parsed lossless JSON): `{order}` or an ApiError; `replayed` when answered from the record. */
  sendOrder(body: unknown): Promise<{ order: WireObject; replayed?: true }>;
  /** Settles every uncertain order of the book with SENEBI by id; resolves when all are settled. */
  reconcile(): Promise<void>;
  /** True until reconcile() has settled everything. */
  isReconciling(): boolean;
  /** Orders whose SENEBI call is running now. */
  inFlightCount(): number;
  /** Waits for the running orders to finish (graceful shutdown) and the journal to be flushed. */
  drain(): Promise<void>;
  /** Refuses new orders (503 SHUTTING_DOWN) and stops reconciliation retries. */
  stop(): void;
}

const defaultRetryDelay = (attempt: number): number => Math.min(2000, 100 * 2 ** Math.min(attempt, 5));

/** Creates the order desk over a recovered order book. */
export function createOrderDesk(deps: OrderDeskDeps): OrderDesk {
  const { journal, book, senebi, range, clock } = deps;
  const inFlight = new Map<Uint64, Promise<{ order: WireObject }>>();
  let reconciling = [...book.values()].some((e) => UNCERTAIN_STATES.includes(e.state));
  let stopped = false;
  let markReconciled: () => void = () => undefined;
  const reconciled = new Promise<void>((resolve) => {
    markReconciled = resolve;
  });
  if (!reconciling) markReconciled();

  const iso = (): string => new Date(clock.now()).toISOString();

  function setState(id: Uint64, entry: OrderEntry, state: OrderState, extra: { senebi?: WireObject; error?: string } = {}): void {
    entry.state = state;
    entry.updatedAt = iso();
    if (extra.senebi) entry.senebi = extra.senebi;
    if (extra.error !== undefined) entry.error = extra.error;
    else delete entry.error;
    journal.append({ type: 'state', id, state, ...extra, at: entry.updatedAt });
  }

  function settle(id: Uint64, entry: OrderEntry, placed: PlacedOrder): void {
    setState(id, entry, placed.status, { senebi: placed.senebi });
  }

  async function waitForReconciliation(): Promise<void> {
    if (!reconciling) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reconciled, new Promise<void>((resolve) => { timer = setTimeout(resolve, deps.reconcileWaitMs); })]);
    clearTimeout(timer);
    if (reconciling) throw qsenErrors.create('RECONCILING');
  }

  function report(status: 'accepted' | 'rejected', reason: string): void {
    deps.onOutcome?.(status, reason);
  }

  /** Forwards an order (new, not_sent, or unknown and confirmed absent at SENEBI). */
  async function forward(order: OrderContent, existing: OrderEntry | undefined): Promise<{ order: WireObject }> {
    const id = order.id;
    if (deps.killSwitch.isHalted()) throw qsenErrors.create('HALTED');
    if (!deps.isMarketOpen(clock.now())) throw qsenErrors.create('MARKET_CLOSED', undefined, { at: iso() });
    const at = iso();
    let entry = existing;
    try {
      if (!entry) {
        entry = { order, state: 'received', receivedAt: at, updatedAt: at };
        book.set(id, entry);
        await journal.appendDurable({ type: 'order', id, order, at });
      } else {
        entry.state = 'received';
        entry.updatedAt = at;
        await journal.appendDurable({ type: 'state', id, state: 'received', at });
      }
    } catch (err) {
      if (entry) entry.state = 'not_sent';
      throw qsenErrors.create('JOURNAL_UNAVAILABLE', undefined, undefined, err);
    }
    setState(id, entry, 'sent');
    let placed: PlacedOrder;
    try {
      placed = await senebi.placeOrder(order);
    } catch (err) {
      const delivery = err instanceof ApiError && err.details?.['delivery'] === 'not_sent' ? 'not_sent' : 'unknown';
      const code = err instanceof ApiError ? err.code : 'SENEBI_ERROR';
      setState(id, entry, delivery, { error: code });
      deps.log?.warn('order not confirmed by SENEBI', { orderId: id, state: delivery, code });
      throw err instanceof ApiError ? err : qsenErrors.create('SENEBI_ERROR', undefined, { delivery }, err);
    }
    settle(id, entry, placed);
    return { order: describeEntry(entry) };
  }

  async function handle(order: OrderContent, existing: OrderEntry | undefined): Promise<{ order: WireObject; fresh: boolean }> {
    const id = order.id;
    if (existing && UNCERTAIN_STATES.includes(existing.state)) {
      const found = await senebi.getOrder(id);
      if (found) {
        settle(id, existing, found);
        deps.log?.info('order reconciled by id on retry', { orderId: id, state: found.status });
        return { order: describeEntry(existing), fresh: true };
      }
      setState(id, existing, 'not_sent');
    }
    return { ...(await forward(order, existing)), fresh: true };
  }

  function reasonOf(order: WireObject): string {
    const senebiAnswer = order['senebi'];
    const reason = senebiAnswer && typeof senebiAnswer === 'object' ? (senebiAnswer as Record<string, unknown>)['reason'] : undefined;
    return typeof reason === 'string' && reason !== '' ? `SENEBI:${reason}` : 'SENEBI_REJECTED';
  }

  async function sendOrder(body: unknown): Promise<{ order: WireObject; replayed?: true }> {
    try {
      if (stopped) throw qsenErrors.create('SHUTTING_DOWN');
      const id = readOrderId(body);
      if (!isInRange(id, range)) throw qsenErrors.create('ID_OUT_OF_RANGE', undefined, { id, min: range.min, max: range.max });
      const order = validateOrder(body);
      await waitForReconciliation();
      const existing = book.get(id);
      if (existing && !isSameOrder(existing.order, order)) throw qsenErrors.create('DUPLICATE_ORDER_ID', undefined, { id });
      const running = inFlight.get(id);
      if (running) return { ...(await running), replayed: true };
      if (existing && FINAL_STATES.includes(existing.state)) return { order: describeEntry(existing), replayed: true };
      const work = handle(order, existing).then((result) => {
        if (result.fresh) {
          if (result.order['status'] === 'accepted') report('accepted', 'accepted');
          else report('rejected', reasonOf(result.order));
        }
        return { order: result.order };
      });
      inFlight.set(id, work);
      try {
        return await work;
      } finally {
        inFlight.delete(id);
      }
    } catch (err) {
      report('rejected', err instanceof ApiError ? err.code : 'INTERNAL_ERROR');
      throw err;
    }
  }

  async function reconcileOne(id: Uint64, entry: OrderEntry): Promise<void> {
    for (let attempt = 1; !stopped; attempt += 1) {
      try {
        const found = await senebi.getOrder(id);
        if (found) settle(id, entry, found);
        else setState(id, entry, 'not_sent');
        deps.log?.info('order reconciled at start', { orderId: id, state: entry.state });
        return;
      } catch (err) {
        const delay = (deps.retryDelayMs ?? defaultRetryDelay)(attempt);
        deps.log?.warn('reconciliation lookup failed; retrying', { orderId: id, attempt, code: err instanceof ApiError ? err.code : 'UNKNOWN', delayMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async function reconcile(): Promise<void> {
    const pending = [...book.entries()].filter(([, e]) => UNCERTAIN_STATES.includes(e.state));
    if (pending.length > 0) deps.log?.info('reconciling uncertain orders with SENEBI', { count: pending.length });
    const workers = Array.from({ length: Math.min(8, pending.length) }, async () => {
      for (let next = pending.shift(); next && !stopped; next = pending.shift()) await reconcileOne(next[0], next[1]);
    });
    await Promise.all(workers);
    await journal.flush();
    if (!stopped) {
      reconciling = false;
      markReconciled();
    }
  }

  return {
    sendOrder,
    reconcile,
    isReconciling: () => reconciling,
    inFlightCount: () => inFlight.size,
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()]);
      await journal.flush();
    },
    stop() {
      stopped = true;
    },
  };
}
