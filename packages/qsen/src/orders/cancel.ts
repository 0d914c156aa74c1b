/**
 * The cancel desk: POST /qsen/v1/cancelOrder's rules and the journal-before-forward discipline
 * for cancels (docs/qsen.md, "Cancel"):
 *
 * - Only orders qsen holds, inside the id range; any other id is 404 ORDER_NOT_FOUND, the same
 *   answer byte for byte (nothing is asked of SENEBI).
 * - An order whose own delivery is uncertain is reconciled by id first (the desk's
 *   resolveDelivery); still uncertain, the cancel is not forwarded: 409 ORDER_DELIVERY_UNKNOWN.
 * - A rejected order, or one known not to have reached SENEBI, is 409 ORDER_NOT_CANCELLABLE.
 * - A first cancel is journaled (`requested`, fsync) before it is forwarded; SENEBI's answer is
 *   journaled after. A cancel whose answer was lost (timeout, 5xx, reset, crash) is `unknown`,
 *   and its retry sends the idempotent cancel again: SENEBI answers the same again, so the
 *   retry learns the final result. At start, every uncertain cancel is read from SENEBI's
 *   record by id (cancelled or matched settles it; resting proves nothing, since a held cancel
 *   may still commit).
 * - A final result (cancelled, or refused because the order matched) is answered again from
 *   qsen's record to every later cancel, never sent again.
 * - The kill switch does not stop cancels (cancelling reduces risk); outside the trading window a
 *   cancel that would go to SENEBI is 409 MARKET_CLOSED, as sendOrder; a replay is answered.
 * - A cancel never changes the risk consumption (docs/risk.md, "Release").
 */
import type { LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import type { IdRange, Uint64 } from '@qsen/core/ids';
import { ApiError } from '@qsen/core/errors';
import { codeOfError, qsenErrors } from '../errors.js';
import type { Journal } from '../journal/journal.js';
import type { CancelRecord } from '../journal/records.js';
import type { CancelAnswer, SenebiClient } from '../senebi/client.js';
import type { WireObject } from '../senebi/wire.js';
import { applyRecord, type OrderBook, type OrderEntry } from './book.js';
import { cancelResultOfCode, decideCancelStep, isCancellableId, judgeCancelLookup, readCancelRequest, orderNotFound, type CancelResult } from './cancel-rules.js';
import type { ContradictionKind, OrderDesk } from './desk.js';
import { restateFailure } from './failures.js';
import { UNCERTAIN_CANCEL_STATES, type CancelState } from './order.js';
import { defaultRetryDelay, reconcileByLookup, waitAtMost } from './reconcile.js';
import { differingFields } from './validation.js';

/** What the cancel desk needs. */
export interface CancelDeskDeps {
  readonly journal: Journal;
  /** The order book the order desk keeps (cancels are recorded in its entries). */
  readonly book: OrderBook;
  readonly senebi: Pick<SenebiClient, 'cancelOrder' | 'getOrder'>;
  readonly desk: Pick<OrderDesk, 'resolveDelivery' | 'isStopped'>;
  readonly range: IdRange;
  /** Tells whether the trading window is open at an instant (epoch ms). */
  readonly isMarketOpen: (nowMs: number) => boolean;
  readonly clock: Clock;
  /** Called once per cancel answer with its closed-set result (metrics). */
  readonly onResult?: (result: CancelResult) => void;
  /** Called for every contradiction between SENEBI's answers. */
  readonly onContradiction?: (kind: CancelContradiction) => void;
  readonly log?: LogSink;
  /** Delay before retrying a failed start-up lookup (attempt counts from 1). */
  readonly retryDelayMs?: (attempt: number) => number;
  /** How long a cancel waits for the start-up lookup of its id before answering 503 RECONCILING (default 5000 ms). */
  readonly reconcileWaitMs?: number;
}

/** Contradictions a cancel can meet: SENEBI denies holding an order it accepted, calls it rejected, or its cancelled record differs. */
export type CancelContradiction = Extract<ContradictionKind, 'record_differs'> | 'cancel_order_missing' | 'cancel_refused_rejected';

/** What one cancel came to: the answer or the error, the order id when it could be read (for the audit), and whether it came from qsen's record. */
export type CancelOutcome =
  | { readonly orderId: Uint64 | null; readonly answer: { order: WireObject }; readonly replayed?: { readonly originalTime: string } }
  | { readonly orderId: Uint64 | null; readonly error: unknown; readonly replayed?: { readonly originalTime: string } };

/** The cancel desk. */
export interface CancelDesk {
  /** Handles one cancelOrder body (parsed lossless JSON); never throws. */
  cancelOrder(body: unknown): Promise<CancelOutcome>;
  /** Cancels one in-range order by id (the kill switch's mass cancel); never throws. */
  cancel(id: Uint64): Promise<CancelOutcome>;
  /** Reads SENEBI's record of every uncertain cancel; resolves when all were asked (or qsen stopped). */
  reconcile(): Promise<void>;
  /** Cancels whose SENEBI call is running now. */
  inFlightCount(): number;
  /** Waits for the running cancels to finish. */
  drain(): Promise<void>;
}

/** What a settled cancel answers: the cancelled order, or the refusal. */
type Settled = { readonly answer: { order: WireObject } } | { readonly error: ApiError };


/** The answer body of a cancelled order: qsen's order, status `cancelled`, SENEBI's cancelled record. */
export function describeCancelled(entry: OrderEntry): WireObject {
  const senebi = entry.cancel?.senebi;
  const cancelledAt = senebi?.['cancelledAt'];
  return {
    ...(entry.order ?? {}),
    receivedAt: entry.receivedAt,
    status: 'cancelled',
    cancelRequestedAt: entry.cancel?.requestedAt ?? null,
    cancelledAt: typeof cancelledAt === 'string' ? cancelledAt : null,
    ...(senebi ? { senebi } : {}),
  };
}

/** 409 ORDER_NOT_CANCELLABLE with the order's state. */
function notCancellable(id: Uint64, status: 'matched' | 'rejected' | 'not_sent'): ApiError {
  return qsenErrors.create('ORDER_NOT_CANCELLABLE', `the order is ${status}`, { id, status });
}

/** Creates the cancel desk over the order desk's book. */
export function createCancelDesk(deps: CancelDeskDeps): CancelDesk {
  const { journal, book, senebi, clock } = deps;
  const retryDelay = deps.retryDelayMs ?? defaultRetryDelay;
  const inFlight = new Map<Uint64, Promise<Settled>>();
  /** Start-up lookups under way, by id: a cancel of the id waits for its lookup, then decides. */
  const reconciling = new Map<Uint64, Promise<void>>();
  const iso = (): string => new Date(clock.now()).toISOString();

  function setCancel(id: Uint64, cancel: CancelState, extra: { senebi?: WireObject; error?: string } = {}): OrderEntry {
    const record: CancelRecord = { type: 'cancel', id, cancel, ...extra, at: iso() };
    journal.append(record);
    return applyRecord(book, record);
  }

  async function recordIntent(id: Uint64): Promise<void> {
    const record: CancelRecord = { type: 'cancel', id, cancel: 'requested', at: iso() };
    try {
      await journal.appendDurable(record);
    } catch (err) {
      throw qsenErrors.create('JOURNAL_UNAVAILABLE', 'the order journal cannot be written; the cancel was not forwarded', undefined, err);
    }
    applyRecord(book, record);
  }

  function contradiction(id: Uint64, kind: CancelContradiction, meta: Record<string, unknown> = {}): ApiError {
    deps.onContradiction?.(kind);
    deps.log?.error('SENEBI contradicts itself about a cancelled order; the cancel stays unknown', { orderId: id, kind, ...meta });
    setCancel(id, 'unknown', { error: 'SENEBI_CONTRADICTION' });
    return qsenErrors.create('SENEBI_ERROR', 'SENEBI\'s answers about this order contradict each other; the cancel\'s result is unknown', { delivery: 'unknown', problem: kind });
  }

  /** Takes SENEBI's answer to a cancel as the cancel's result, after checking it is about the order qsen holds. */
  function settleAnswer(id: Uint64, answer: CancelAnswer): Settled {
    switch (answer.kind) {
      case 'cancelled': {
        const entry = book.get(id);
        const differs = entry?.order ? differingFields(entry.order, answer.senebi) : [];
        if (differs.length > 0) return { error: contradiction(id, 'record_differs', { fields: differs }) };
        return { answer: { order: describeCancelled(setCancel(id, 'cancelled', { senebi: answer.senebi })) } };
      }
      case 'not_cancellable':
        if (answer.status === 'rejected') return { error: contradiction(id, 'cancel_refused_rejected') };
        setCancel(id, 'matched');
        return { error: notCancellable(id, 'matched') };
      case 'not_found':
        return { error: contradiction(id, 'cancel_order_missing') };
    }
  }

  /** Sends the cancel to SENEBI; `first`: no earlier copy can have arrived (so a not_sent failure proves it did not happen). */
  async function send(id: Uint64, first: boolean): Promise<Settled> {
    if (!deps.isMarketOpen(clock.now())) throw qsenErrors.create('MARKET_CLOSED', undefined, { at: iso() });
    if (first) await recordIntent(id);
    let answer: CancelAnswer;
    try {
      answer = await senebi.cancelOrder(id);
    } catch (err) {
      const sentNot = first && err instanceof ApiError && err.details?.['delivery'] === 'not_sent';
      const code = err instanceof ApiError ? err.code : 'SENEBI_ERROR';
      setCancel(id, sentNot ? 'not_sent' : 'unknown', { error: code });
      deps.log?.warn('cancel not confirmed by SENEBI', { orderId: id, state: sentNot ? 'not_sent' : 'unknown', code });
      throw restateFailure(err, sentNot ? 'not_sent' : 'unknown');
    }
    return settleAnswer(id, answer);
  }

  /** The answer of a cancel whose result qsen already holds. */
  function replayOf(id: Uint64, entry: OrderEntry, result: 'cancelled' | 'matched'): Settled {
    if (result === 'matched') return { error: notCancellable(id, 'matched') };
    return { answer: { order: describeCancelled(entry) } };
  }

  async function run(id: Uint64): Promise<{ settled: Settled; replayed: boolean }> {
    let entry = book.get(id);
    let step = decideCancelStep(entry);
    if (step.kind === 'resolve_order') {
      try {
        entry = await deps.desk.resolveDelivery(id);
      } catch (err) {
        if (err instanceof ApiError && (err.code === 'SENEBI_ERROR' || err.code === 'SENEBI_TIMEOUT')) {
          throw restateFailure(err, 'not_sent', { problem: 'ORDER_DELIVERY_UNKNOWN' });
        }
        throw err;
      }
      step = decideCancelStep(entry);
    }
    switch (step.kind) {
      case 'not_found':
        throw orderNotFound();
      case 'resolve_order':
        throw qsenErrors.create('ORDER_DELIVERY_UNKNOWN', undefined, { id, orderStatus: entry?.state ?? 'unknown' });
      case 'refuse':
        throw notCancellable(id, step.status);
      case 'replay':
        return { settled: replayOf(id, entry as OrderEntry, step.result), replayed: true };
      case 'forward':
        if (deps.desk.isStopped()) throw qsenErrors.create('SHUTTING_DOWN');
        return { settled: await send(id, true), replayed: false };
      case 'resend':
        if (deps.desk.isStopped()) throw qsenErrors.create('SHUTTING_DOWN');
        deps.log?.info('cancel whose result is unknown: sending the idempotent cancel again', { orderId: id });
        return { settled: await send(id, false), replayed: false };
    }
  }

  /** Waits (bounded) for the start-up lookup of the id, if one runs. */
  async function waitForLookup(id: Uint64): Promise<void> {
    const lookup = reconciling.get(id);
    if (!lookup) return;
    await waitAtMost(lookup, deps.reconcileWaitMs ?? 5000);
    if (reconciling.has(id)) throw qsenErrors.create('RECONCILING');
  }

  /** A cancel answered with an error before (or instead of) a settled result. */
  function refuse(orderId: Uint64 | null, error: unknown): CancelOutcome {
    deps.onResult?.(resultOfError(error));
    return { orderId, error };
  }

  async function runCancel(id: Uint64): Promise<CancelOutcome> {
    try {
      await waitForLookup(id);
      const running = inFlight.get(id);
      if (running) {
        // A cancel joining one under way answers its result, never sends again.
        const settled = await running;
        const at = book.get(id)?.cancel?.updatedAt ?? iso();
        return finish(id, settled, { originalTime: at });
      }
      let replayed = false;
      const work = run(id).then((r) => {
        replayed = r.replayed;
        return r.settled;
      });
      inFlight.set(id, work);
      let settled: Settled;
      try {
        settled = await work;
      } finally {
        if (inFlight.get(id) === work) inFlight.delete(id);
      }
      const entry = book.get(id);
      return finish(id, settled, replayed ? { originalTime: entry?.cancel?.updatedAt ?? iso() } : undefined);
    } catch (error) {
      return refuse(id, error);
    }
  }

  function finish(id: Uint64, settled: Settled, replayed: { originalTime: string } | undefined): CancelOutcome {
    if ('error' in settled) {
      deps.onResult?.(replayed ? 'replayed' : resultOfError(settled.error));
      return { orderId: id, error: settled.error, ...(replayed ? { replayed } : {}) };
    }
    deps.onResult?.(replayed ? 'replayed' : 'cancelled');
    return { orderId: id, answer: settled.answer, ...(replayed ? { replayed } : {}) };
  }

  const resultOfError = (error: unknown): CancelResult => cancelResultOfCode(codeOfError(error));

  async function cancelOrder(body: unknown): Promise<CancelOutcome> {
    let id: Uint64;
    try {
      id = readCancelRequest(body);
    } catch (error) {
      return refuse(null, error);
    }
    return cancel(id);
  }

  async function cancel(id: Uint64): Promise<CancelOutcome> {
    // An id qsen holds no order for is answered at once, exactly as one outside the range.
    if (!isCancellableId(id, deps.range, (held) => book.has(held))) return refuse(id, orderNotFound());
    return runCancel(id);
  }

  async function reconcile(): Promise<void> {
    await reconcileByLookup({
      subject: 'cancel',
      ids: [...book.unsettled()].filter(([, e]) => e.cancel !== undefined && UNCERTAIN_CANCEL_STATES.includes(e.cancel.state)).map(([id]) => id),
      lookup: (id) => senebi.getOrder(id),
      apply: (id, found) => {
        const verdict = judgeCancelLookup(found);
        if (verdict.kind === 'cancelled') settleAnswer(id, { kind: 'cancelled', senebi: verdict.senebi });
        else if (verdict.kind === 'matched') setCancel(id, 'matched');
        else setCancel(id, 'unknown', { error: verdict.error });
        return book.get(id)?.cancel?.state;
      },
      isStopped: () => deps.desk.isStopped(),
      retryDelayMs: retryDelay,
      log: deps.log,
      around: async (id, reconcileId) => {
        // A cancel of the id under way (a platform retry) already settles it.
        const running = inFlight.get(id);
        if (running) {
          await running.catch(() => undefined);
          return;
        }
        const work = reconcileId();
        reconciling.set(id, work);
        try {
          await work;
        } finally {
          reconciling.delete(id);
        }
      },
    });
  }

  return {
    cancelOrder,
    cancel,
    reconcile,
    inFlightCount: () => inFlight.size,
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight.values()]);
    },
  };
}
