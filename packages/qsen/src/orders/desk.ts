/**
 * The order desk: sendOrder's rules in order (validation with the fence, idempotency, kill switch,
 * trading window), the journal-before-forward discipline, and the reasoning about orders whose
 * delivery is unknown, at start and when the platform retries (docs/qsen.md, "Unknown deliveries"):
 *
 * - A SENEBI timeout, a 5xx or a connection lost after sending leaves the order `unknown` (the
 *   platform gets 504 / 502 with `details.delivery = "unknown"`).
 * - A 404 for an id whose earlier copy may still arrive is not proof of absence: the order stays
 *   `unknown`. A retry may resend it, because SENEBI refuses a second order with an id it holds.
 * - That refusal (`duplicate`) proves an earlier copy arrived: the desk reads SENEBI's record by
 *   id, retrying for up to `recordReadMs`, and answers from it, never "rejected". Unreadable in
 *   time, the order stays `unknown` and the platform gets 502 / 504 again.
 * - SENEBI's record is checked against the order's content; a record that differs is a
 *   contradiction: logged, counted, the order stays `unknown`, and the answer is 502 with
 *   `details.delivery = "unknown"`. qsen never answers a final state it cannot trust.
 * - While start-up reconciliation is pending, sendOrder waits for it up to `reconcileWaitMs`, then
 *   answers 503 RECONCILING; nothing is forwarded before every uncertain order was asked by id.
 * - MARKET_CLOSED is decided with the injected clock against the configured window.
 */
import type { LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import type { IdRange, Uint64 } from '@qsen/core/ids';
import { ApiError, errorMessage } from '@qsen/core/errors';
import { qsenErrors } from '../errors.js';
import type { Journal } from '../journal/journal.js';
import type { JournalRecord } from '../journal/records.js';
import type { KillSwitch } from '../killswitch/killswitch.js';
import type { PlacedOrder, SenebiClient } from '../senebi/client.js';
import type { WireObject } from '../senebi/wire.js';
import { applyRecord, describeEntry, type OrderBook, type OrderEntry } from './book.js';
import { restateFailure } from './failures.js';
import { FINAL_STATES, UNCERTAIN_STATES, type OrderContent, type OrderState } from './order.js';
import { defaultRetryDelay, reconcileByLookup, sleep, waitAtMost } from './reconcile.js';
import { checkOrder, differingFields, isSameOrder } from './validation.js';

/** Kinds of contradiction between SENEBI's answers (the `kind` label of the counter). */
export type ContradictionKind = 'record_differs' | 'duplicate_without_record';

/**
 * The pre-trade risk gate (risk/controls.ts). `admit` decides and reserves synchronously, or
 * throws 422 RISK_LIMIT_EXCEEDED; `settle` hears every state the desk records (a rejection or a
 * not_sent gives the consumption back, unknown keeps it).
 */
export interface RiskGate {
  admit(order: OrderContent): void;
  /** Counts an order that was admitted before and may be at SENEBI (a resend), without checking it again. */
  keep(order: OrderContent): void;
  settle(id: Uint64, state: OrderState): void;
}

/** What the desk needs. */
export interface OrderDeskDeps {
  readonly journal: Journal;
  /** The order book rebuilt from the journal (the desk keeps it current). */
  readonly book: OrderBook;
  readonly senebi: Pick<SenebiClient, 'placeOrder' | 'getOrder'>;
  readonly range: IdRange;
  readonly killSwitch: Pick<KillSwitch, 'isHalted'>;
  /** Tells whether the trading window is open at an instant (epoch ms). */
  readonly isMarketOpen: (nowMs: number) => boolean;
  readonly clock: Clock;
  /** How long sendOrder waits for start-up reconciliation before answering RECONCILING. */
  readonly reconcileWaitMs: number;
  /** How long the desk keeps reading SENEBI's record after a duplicate-id refusal (default 5000 ms). */
  readonly recordReadMs?: number;
  /** Called once per sendOrder outcome that is not a replay: `accepted`, or `rejected` with a reason. */
  readonly onOutcome?: (status: 'accepted' | 'rejected', reason: string) => void;
  /** Called for every contradiction between SENEBI's answers. */
  readonly onContradiction?: (kind: ContradictionKind) => void;
  readonly log?: LogSink;
  /** The pre-trade risk checks; absent: none. */
  readonly risk?: RiskGate;
  /** Delay before retrying a failed lookup (attempt counts from 1). */
  readonly retryDelayMs?: (attempt: number) => number;
}

/** What one sendOrder came to: the answer or the error, with the order id when it could be read (for the audit). */
export type SendOutcome =
  | {
      readonly orderId: Uint64 | null;
      readonly answer: { order: WireObject };
      /** Set when the answer came from qsen's record (an identical resend, or one joining a call already under way): never sent again. `originalTime` is when the order was first received. */
      readonly replayed?: { readonly originalTime: string | null };
    }
  | { readonly orderId: Uint64 | null; readonly error: unknown };

/** The desk. */
export interface OrderDesk {
  /** Handles one sendOrder body (parsed lossless JSON); never throws. */
  sendOrder(body: unknown): Promise<SendOutcome>;
  /** Asks SENEBI by id about every uncertain order of the book; resolves when all were asked. */
  reconcile(): Promise<void>;
  /** True until reconcile() has asked about everything. */
  isReconciling(): boolean;
  /** True once stop() was called. */
  isStopped(): boolean;
  /** Orders whose SENEBI call is running now. */
  inFlightCount(): number;
  /** Waits for the running orders to finish (graceful shutdown) and the journal to be flushed. */
  drain(): Promise<void>;
  /** Refuses new orders (503 SHUTTING_DOWN) and stops reconciliation retries. */
  stop(): void;
  /**
   * For a cancel (orders/cancel.ts): waits for start-up reconciliation (503 RECONCILING after
   * `reconcileWaitMs`) and for a sendOrder of the id under way, then, if the order's delivery is
   * still uncertain, asks SENEBI by id and settles it when found. Returns the entry as it stands
   * (undefined: qsen holds no such order). A failed lookup throws SENEBI_ERROR / SENEBI_TIMEOUT.
   */
  resolveDelivery(id: Uint64): Promise<OrderEntry | undefined>;
}

/** A SENEBI failure re-stated about the order: whatever the failed call was, the order's delivery is unknown. */
const deliveryUnknown = (err: unknown, extra: Record<string, unknown> = {}): ApiError => restateFailure(err, 'unknown', extra);

/** Creates the order desk over a recovered order book. */
export function createOrderDesk(deps: OrderDeskDeps): OrderDesk {
  const { journal, book, senebi, range, clock } = deps;
  const recordReadMs = deps.recordReadMs ?? 5000;
  const retryDelay = deps.retryDelayMs ?? defaultRetryDelay;
  const inFlight = new Map<Uint64, Promise<{ order: WireObject; fresh: boolean }>>();
  let reconciling = [...book.unsettled()].some(([, e]) => UNCERTAIN_STATES.includes(e.state));
  let stopped = false;
  let markReconciled: () => void = () => undefined;
  const reconciled = new Promise<void>((resolve) => {
    markReconciled = resolve;
  });
  if (!reconciling) markReconciled();

  const iso = (): string => new Date(clock.now()).toISOString();

  /** Journals a record and applies it to the book: durable ones first reach the disk. */
  async function recordDurable(record: JournalRecord): Promise<OrderEntry> {
    try {
      await journal.appendDurable(record);
    } catch (err) {
      throw qsenErrors.create('JOURNAL_UNAVAILABLE', undefined, undefined, err);
    }
    return applyRecord(book, record);
  }

  function setState(id: Uint64, state: OrderState, extra: { senebi?: WireObject; error?: string } = {}): OrderEntry {
    const record: JournalRecord = { type: 'state', id, state, ...extra, at: iso() };
    journal.append(record);
    const entry = applyRecord(book, record);
    deps.risk?.settle(id, state);
    return entry;
  }

  function contradiction(id: Uint64, kind: ContradictionKind, meta: Record<string, unknown>): ApiError {
    deps.onContradiction?.(kind);
    deps.log?.error('SENEBI contradicts itself about an order; it stays unknown', { orderId: id, kind, ...meta });
    setState(id, 'unknown', { error: 'SENEBI_CONTRADICTION' });
    return qsenErrors.create('SENEBI_ERROR', 'SENEBI\'s answers about this order contradict each other; its state is unknown', { delivery: 'unknown', problem: kind });
  }

  /** Takes SENEBI's record as the order's state, after checking it is the order qsen holds. */
  function settle(id: Uint64, placed: PlacedOrder): OrderEntry {
    const entry = book.get(id);
    const differs = entry?.order ? differingFields(entry.order, placed.senebi) : [];
    if (differs.length > 0) throw contradiction(id, 'record_differs', { fields: differs });
    return setState(id, placed.status, { senebi: placed.senebi });
  }

  async function waitForReconciliation(): Promise<void> {
    if (!reconciling) return;
    await waitAtMost(reconciled, deps.reconcileWaitMs);
    if (reconciling) throw qsenErrors.create('RECONCILING');
  }

  /** After a duplicate-id refusal: SENEBI holds an earlier copy, so its record is read (bounded) and answered. */
  async function readHeldRecord(id: Uint64): Promise<OrderEntry> {
    const deadline = clock.now() + recordReadMs;
    let lastError: unknown;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const found = await senebi.getOrder(id);
        if (found) {
          deps.log?.info('duplicate-id refusal: answered from SENEBI\'s record of the earlier copy', { orderId: id, state: found.status });
          return settle(id, found);
        }
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      if (stopped || clock.now() + retryDelay(attempt) > deadline) break;
      await sleep(retryDelay(attempt));
    }
    if (lastError !== undefined) {
      setState(id, 'unknown', { error: lastError instanceof ApiError ? lastError.code : 'SENEBI_ERROR' });
      throw deliveryUnknown(lastError, { problem: 'DUPLICATE_RECORD_UNREADABLE' });
    }
    throw contradiction(id, 'duplicate_without_record', { waitedMs: recordReadMs });
  }

  /** Forwards an order: new, `not_sent`, or `unknown` and not found at SENEBI (a resend SENEBI deduplicates). */
  async function forward(order: OrderContent, existing: OrderEntry | undefined): Promise<OrderEntry> {
    const id = order.id;
    if (deps.killSwitch.isHalted()) throw qsenErrors.create('HALTED');
    if (!deps.isMarketOpen(clock.now())) throw qsenErrors.create('MARKET_CLOSED', undefined, { at: iso() });
    // An earlier copy may still reach SENEBI: then no failure of this copy can make the order not_sent.
    const earlierCopyPossible = existing !== undefined && UNCERTAIN_STATES.includes(existing.state);
    // Risk: after validation and the fence, before the journal; synchronous with the reservation, so
    // concurrent orders cannot share the last unit of a limit. Nothing refused is journaled or sent.
    // An order that may already be at SENEBI passed the check when it was first admitted: refusing
    // its resend now would answer 422 for an order SENEBI may hold, so it is only counted.
    if (earlierCopyPossible) deps.risk?.keep(order);
    else deps.risk?.admit(order);
    try {
      if (!existing) await recordDurable({ type: 'order', id, order, at: iso() });
      else if (!earlierCopyPossible) await recordDurable({ type: 'state', id, state: 'received', at: iso() });
    } catch (err) {
      if (!earlierCopyPossible) deps.risk?.settle(id, 'not_sent');
      throw err;
    }
    setState(id, 'sent');
    let answer;
    try {
      answer = await senebi.placeOrder(order);
    } catch (err) {
      const sentNot = err instanceof ApiError && err.details?.['delivery'] === 'not_sent' && !earlierCopyPossible;
      const code = err instanceof ApiError ? err.code : 'SENEBI_ERROR';
      setState(id, sentNot ? 'not_sent' : 'unknown', { error: code });
      deps.log?.warn('order not confirmed by SENEBI', { orderId: id, state: sentNot ? 'not_sent' : 'unknown', code });
      if (sentNot) throw err;
      throw deliveryUnknown(err);
    }
    if (answer.kind === 'duplicate') {
      deps.log?.info('SENEBI refused a copy as a duplicate id: an earlier copy arrived', { orderId: id, resend: earlierCopyPossible });
      return readHeldRecord(id);
    }
    return settle(id, answer);
  }

  async function handle(order: OrderContent, existing: OrderEntry | undefined): Promise<OrderEntry> {
    const id = order.id;
    if (existing && UNCERTAIN_STATES.includes(existing.state)) {
      let found;
      try {
        found = await senebi.getOrder(id);
      } catch (err) {
        throw deliveryUnknown(err);
      }
      if (found) {
        deps.log?.info('order reconciled by id on retry', { orderId: id, state: found.status });
        return settle(id, found);
      }
      deps.log?.info('order not found at SENEBI on retry: resending (SENEBI refuses a second copy of an id)', { orderId: id });
    }
    return forward(order, existing);
  }

  function reasonOf(order: WireObject): string {
    const senebiAnswer = order['senebi'];
    const reason = senebiAnswer && typeof senebiAnswer === 'object' ? (senebiAnswer as Record<string, unknown>)['reason'] : undefined;
    return typeof reason === 'string' && reason !== '' ? `SENEBI:${reason}` : 'SENEBI_REJECTED';
  }

  /** The entry of an id whose content journal damage destroyed gets the platform's content back. */
  async function restoreContent(order: OrderContent, existing: OrderEntry): Promise<void> {
    if (existing.senebi && differingFields(order, existing.senebi).length > 0) throw qsenErrors.create('DUPLICATE_ORDER_ID', undefined, { id: order.id });
    await recordDurable({ type: 'order', id: order.id, order, at: iso() });
    deps.log?.info('order content restored from the platform\'s retry after journal damage', { orderId: order.id });
  }

  async function place(order: OrderContent): Promise<{ order: WireObject; fresh: boolean }> {
    if (stopped) throw qsenErrors.create('SHUTTING_DOWN');
    await waitForReconciliation();
    const id = order.id;
    const running = inFlight.get(id);
    if (running) {
      const existing = book.get(id);
      if (existing?.order && !isSameOrder(existing.order, order)) throw qsenErrors.create('DUPLICATE_ORDER_ID', undefined, { id });
      return { ...(await running), fresh: false };
    }
    const work = (async () => {
      const existing = book.get(id);
      if (existing && !existing.order) await restoreContent(order, existing);
      else if (existing?.order && !isSameOrder(existing.order, order)) throw qsenErrors.create('DUPLICATE_ORDER_ID', undefined, { id });
      if (existing && FINAL_STATES.includes(existing.state)) return { order: describeEntry(existing), fresh: false };
      return { order: describeEntry(await handle(order, existing)), fresh: true };
    })();
    inFlight.set(id, work);
    try {
      return await work;
    } finally {
      inFlight.delete(id);
    }
  }

  async function sendOrder(body: unknown): Promise<SendOutcome> {
    const checked = checkOrder(body, range);
    const orderId = checked.ok ? checked.order.id : checked.id;
    try {
      if (!checked.ok) throw checked.error;
      const result = await place(checked.order);
      if (result.fresh) {
        if (result.order['status'] === 'accepted') deps.onOutcome?.('accepted', 'accepted');
        else deps.onOutcome?.('rejected', reasonOf(result.order));
      }
      if (result.fresh) return { orderId, answer: { order: result.order } };
      const receivedAt = result.order['receivedAt'];
      return { orderId, answer: { order: result.order }, replayed: { originalTime: typeof receivedAt === 'string' ? receivedAt : null } };
    } catch (error) {
      deps.onOutcome?.('rejected', error instanceof ApiError ? error.code : 'INTERNAL_ERROR');
      return { orderId, error };
    }
  }

  async function flushQuietly(): Promise<void> {
    try {
      await journal.flush();
    } catch (err) {
      deps.log?.warn('journal flush failed; the records stay queued and are retried', { error: errorMessage(err) });
    }
  }

  async function reconcile(): Promise<void> {
    await reconcileByLookup({
      subject: 'order',
      ids: [...book.unsettled()].filter(([, e]) => UNCERTAIN_STATES.includes(e.state)).map(([id]) => id),
      lookup: (id) => senebi.getOrder(id),
      apply: (id, found) => {
        if (!found) {
          // Not proof of absence (a copy sent before the restart may still arrive): the retry decides.
          return setState(id, 'unknown', { error: 'NOT_FOUND_AT_SENEBI' }).state;
        }
        try {
          return settle(id, found).state;
        } catch {
          // a contradiction: logged and counted, the order stays unknown for the platform's retry
          return book.get(id)?.state;
        }
      },
      isStopped: () => stopped,
      retryDelayMs: retryDelay,
      log: deps.log,
    });
    await flushQuietly();
    if (!stopped) {
      reconciling = false;
      markReconciled();
    }
  }

  async function resolveDelivery(id: Uint64): Promise<OrderEntry | undefined> {
    if (stopped) throw qsenErrors.create('SHUTTING_DOWN');
    await waitForReconciliation();
    const running = inFlight.get(id);
    if (running) await running.catch(() => undefined);
    const entry = book.get(id);
    if (!entry || !UNCERTAIN_STATES.includes(entry.state)) return entry;
    const found = await senebi.getOrder(id);
    if (!found) return entry;
    deps.log?.info('order reconciled by id before a cancel', { orderId: id, state: found.status });
    return settle(id, found);
  }

  return {
    sendOrder,
    reconcile,
    resolveDelivery,
    isReconciling: () => reconciling,
    isStopped: () => stopped,
    inFlightCount: () => inFlight.size,
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()]);
      await flushQuietly();
    },
    stop() {
      stopped = true;
    },
  };
}
