/**
 * The SENEBI wire endpoints (docs/api.md §8): order submission, orders and operations by
 * trade date, one order by id, ping. Ids are written as bare JSON numbers.
 */
import { Router, type Request } from 'express';
import { parseUint64 } from '@qsen/core';
import type { SimulatorStore } from '../store/store.js';
import { toWireOperation, toWireOrder, wireId } from '../orders/wire.js';
import { isTradeDate, type TradeDate } from '../trade-date/trade-date.js';
import { simulatorErrors } from '../errors.js';
import { getFaultDecision, sendWire } from '../http/respond.js';
import { methodNotAllowed } from '../http/errors.js';

/** What the wire routes need. */
export interface SenebiRoutesDeps {
  readonly store: SimulatorStore;
  readonly now: () => Date;
  /** Resolves once the store's changes are durable. */
  readonly persist: () => Promise<void>;
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
export function createSenebiRouter(deps: SenebiRoutesDeps): Router {
  const router = Router();
  const { store } = deps;

  router.post('/senebi/v1/orders', async (req, res) => {
    const decision = getFaultDecision(req);
    const outcome = store.submitOrder(req.body as unknown, decision?.outcome === 'reject' ? decision.reason : undefined);
    await deps.persist();
    if (outcome.kind === 'invalid_request') {
      throw simulatorErrors.create('INVALID_REQUEST', outcome.message, { field: outcome.field });
    }
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
    const id = parseUint64(req.params['id']);
    if (!id.ok) throw simulatorErrors.create('INVALID_REQUEST', `the order id is not an unsigned 64-bit integer (${id.problem})`, { field: 'id' });
    const order = store.getOrder(id.value);
    if (!order) throw simulatorErrors.create('ORDER_NOT_FOUND', undefined, { id: wireId(id.value) });
    sendWire(req, res, 200, { order: toWireOrder(order) });
  });
  router.all('/senebi/v1/orders/:id', methodNotAllowed);

  router.get('/senebi/v1/operations', async (req, res) => {
    const date = listingDate(req, store);
    const operations = store.listOperations(date);
    await deps.persist();
    sendWire(req, res, 200, { operations: operations.map(toWireOperation) });
  });
  router.all('/senebi/v1/operations', methodNotAllowed);

  router.get('/senebi/v1/ping', (req, res) => {
    sendWire(req, res, 200, { ok: true, time: deps.now().toISOString() });
  });
  router.all('/senebi/v1/ping', methodNotAllowed);
  return router;
}
