/**
 * The SENEBI wire endpoints (docs/api.md §8): order submission, orders and operations by
 * trade date, one order by id (with its current state), cancel, ping. Ids are written as bare
 * JSON numbers.
 */
import { Router, type Request } from 'express';
import { setTimeout as delay } from 'node:timers/promises';
import { parseUint64, type Clock, type Uint64 } from '@qsen/core';
import type { SimulatorStore } from '../store/store.js';
import { toWireOperation, toWireOrder, wireId } from '../orders/wire.js';
import { isTradeDate, type TradeDate } from '../trade-date/trade-date.js';
import { simulatorErrors } from '../errors.js';
import { endProcessing, getFaultDecision, sendWire } from '../http/respond.js';
import { methodNotAllowed } from '../http/errors.js';
import { submittedOrderId } from '../http/faults.js';
import type { IdSequencer } from '../records/sequencer.js';
import type { LaterMatches } from '../business/later-matches.js';

/** What the wire routes need. */
export interface SenebiRoutesDeps {
  readonly store: SimulatorStore;
  readonly clock: Clock;
  /** Resolves once the store's changes are durable. */
  readonly persist: () => Promise<void>;
  /** Processes the submissions of one id in arrival order. */
  readonly sequencer: IdSequencer;
  /** Arms the later match of an order that rests after its submission. */
  readonly laterMatches: LaterMatches;
}

/** The order id in a path (400 INVALID_REQUEST when it is not an unsigned 64-bit integer). */
function pathOrderId(req: Request): Uint64 {
  const id = parseUint64(req.params['id']);
  if (!id.ok) throw simulatorErrors.create('INVALID_REQUEST', `the order id is not an unsigned 64-bit integer (${id.problem})`, { field: 'id' });
  return id.value;
}

/** The trade date of a listing request: ?date=YYYY-MM-DD, or today. */
function listingDate(req: Request, store: SimulatorStore): TradeDate {
  const raw: unknown = req.query['date'];
  if (raw === undefined) return store.today();
  if (typeof raw !== 'string' || !isTradeDate(raw)) {
    throw simulatorErrors.create('INVALID_REQUEST', 'date must be a calendar date YYYY-MM-DD', { field: 'date' });
  }
  return raw;
}

/** Creates the router of the wire endpoints. */
export function createSenebiRoutes(deps: SenebiRoutesDeps): Router {
  const router = Router();
  const { store } = deps;

  router.post('/senebi/v1/orders', async (req, res) => {
    const decision = getFaultDecision(req);
    const commit = (): ReturnType<SimulatorStore['submitOrder']> => {
      const result = store.submitOrder(req.body as unknown, decision?.outcome === 'reject' ? decision.reason : undefined);
      endProcessing(req);
      return result;
    };
    const id = submittedOrderId(req);
    const processMs = decision?.processMs ?? 0;
    // Submissions of one id go through its sequencer: a copy held in processing keeps a resend waiting.
    const outcome = id === undefined ? commit() : await deps.sequencer.run(id, async () => {
      if (processMs > 0) await delay(processMs);
      return commit();
    });
    await deps.persist();
    if (outcome.kind === 'invalid_request') {
      throw simulatorErrors.create('INVALID_REQUEST', outcome.message, { field: outcome.field });
    }
    if (outcome.stored && store.getOrder(outcome.order.id)?.status === 'accepted') deps.laterMatches.arm(outcome.order.id);
    // The answer to a submission is what the exchange decided then: `accepted` or `rejected`.
    sendWire(req, res, 200, { order: toWireOrder(outcome.order) });
  });
  router.get('/senebi/v1/orders', async (req, res) => {
    const date = listingDate(req, store);
    const orders = store.listOrders(date);
    await deps.persist();
    sendWire(req, res, 200, { orders: orders.map(toWireOrder) });
  });
  router.all('/senebi/v1/orders', methodNotAllowed);

  router.get('/senebi/v1/orders/:id', (req, res) => {
    const id = pathOrderId(req);
    const order = store.getOrder(id);
    if (!order) throw simulatorErrors.create('ORDER_NOT_FOUND', undefined, { id: wireId(id) });
    sendWire(req, res, 200, { order: toWireOrder(order) });
  });
  router.all('/senebi/v1/orders/:id', methodNotAllowed);

  router.post('/senebi/v1/orders/:id/cancel', async (req, res) => {
    const id = pathOrderId(req);
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw simulatorErrors.create('INVALID_REQUEST', 'the body must be a JSON object', { field: '(body)' });
    const unknownField = Object.keys(body)[0];
    if (unknownField !== undefined) throw simulatorErrors.create('INVALID_REQUEST', `unknown field ${unknownField}`, { field: unknownField });
    const decision = getFaultDecision(req);
    // Behind any submission of the id in process; first to commit wins between a cancel and a match.
    const outcome = await deps.sequencer.run(id, async () => {
      if ((decision?.processMs ?? 0) > 0) await delay(decision?.processMs ?? 0);
      if (decision?.outcome === 'cancel_race') store.matchResting(id);
      return store.cancelOrder(id);
    });
    await deps.persist();
    if (outcome.kind === 'not_found') throw simulatorErrors.create('ORDER_NOT_FOUND', undefined, { id: wireId(id) });
    if (outcome.kind === 'not_cancellable') {
      throw simulatorErrors.create('ORDER_NOT_CANCELLABLE', `the order is ${outcome.status}`, { id: wireId(id), status: outcome.status });
    }
    sendWire(req, res, 200, { order: toWireOrder(outcome.order) });
  });
  router.all('/senebi/v1/orders/:id/cancel', methodNotAllowed);

  router.get('/senebi/v1/operations', async (req, res) => {
    const date = listingDate(req, store);
    const operations = store.listOperations(date);
    await deps.persist();
    sendWire(req, res, 200, { operations: operations.map(toWireOperation) });
  });
  router.all('/senebi/v1/operations', methodNotAllowed);

  router.get('/senebi/v1/ping', (req, res) => {
    sendWire(req, res, 200, { ok: true, time: new Date(deps.clock.now()).toISOString() });
  });
  router.all('/senebi/v1/ping', methodNotAllowed);
  return router;
}
