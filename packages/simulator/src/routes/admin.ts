/**
 * The admin API, answered only to loopback peers (others get 404 as for an unknown path):
 * faults and matching at run time, reset, counters, one order's history, and the counterparty's
 * match of a resting order at a chosen instant.
 */
import { Router } from 'express';
import { compareUint64, isLoopbackAddress, parseUint64, stringifyJsonLossless, type Uint64, type LogSink } from '@qsen/core';
import type { Response } from 'express';
import type { SimulatorStore } from '../store/store.js';
import type { SimulatorCounters } from '../counters/counters.js';
import type { FaultEngine } from '../faults/engine.js';
import { parseFaultSettings } from '../faults/settings.js';
import { matchingSchema } from '../config/settings.js';
import { toWireOrder, wireId } from '../orders/wire.js';
import { simulatorErrors } from '../errors.js';
import { readJsonBody } from '../http/body.js';
import { methodNotAllowed, notFound } from '../http/errors.js';
import type { ProcessingTracker } from '../records/processing.js';
import { buildOrderRecord, type OrderRecord } from '../records/order-record.js';
import { toWireOperation } from '../orders/wire.js';

/** What the admin routes need. */
export interface AdminRoutesDeps {
  readonly store: SimulatorStore;
  readonly counters: SimulatorCounters;
  readonly processing: ProcessingTracker;
  readonly engine: FaultEngine;
  readonly logger: LogSink;
  readonly persist: () => Promise<void>;
  /** Puts the simulator back to its state at a first start. */
  readonly reset: () => Promise<void>;
}

/** Sends a JSON body (ids as bare numbers). */
function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(stringifyJsonLossless(body));
}

/** Creates the router of the admin API. */
export function createAdminRoutes(deps: AdminRoutesDeps): Router {
  const router = Router();
  router.use('/admin', (req, res, next) => {
    if (isLoopbackAddress(req.socket.remoteAddress)) next();
    else notFound(req, res);
  });

  router.get('/admin/v1/faults', (_req, res) => sendJson(res, 200, deps.engine.settings));
  router.put('/admin/v1/faults', readJsonBody, (req, res) => {
    const parsed = parseFaultSettings(req.body as unknown);
    if (!parsed.ok) throw simulatorErrors.create('INVALID_FAULTS', `the fault settings are not valid: ${parsed.problems.join('; ')}`, { problems: parsed.problems });
    deps.engine.replace(parsed.value);
    deps.logger.info('faults replaced', { faults: parsed.value });
    sendJson(res, 200, parsed.value);
  });
  router.all('/admin/v1/faults', methodNotAllowed);

  router.get('/admin/v1/matching', (_req, res) => sendJson(res, 200, deps.store.matching));
  router.put('/admin/v1/matching', readJsonBody, (req, res) => {
    const parsed = matchingSchema.safeParse(req.body as unknown);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw simulatorErrors.create('INVALID_REQUEST', `the matching settings are not valid: ${problems.join('; ')}`, { problems });
    }
    deps.store.setMatching(parsed.data);
    deps.logger.info('matching replaced', { matching: parsed.data });
    sendJson(res, 200, parsed.data);
  });
  router.all('/admin/v1/matching', methodNotAllowed);

  router.post('/admin/v1/reset', async (_req, res) => {
    await deps.reset();
    sendJson(res, 200, { ok: true, ...deps.store.sizes() });
  });
  router.all('/admin/v1/reset', methodNotAllowed);

  router.get('/admin/v1/counters', (_req, res) => {
    sendJson(res, 200, { ...deps.counters.snapshot(), stored: deps.store.sizes() });
  });
  router.all('/admin/v1/counters', methodNotAllowed);

  const recordOf = (id: Uint64): OrderRecord => buildOrderRecord({
    id,
    order: deps.store.getOrder(id),
    history: deps.store.historyOf(id),
    received: deps.counters.ordersReceivedFor(id),
    pending: deps.processing.pendingFor(id),
    cancels: deps.counters.cancelsReceivedFor(id),
  });
  const wireRecord = (record: OrderRecord): Record<string, unknown> => ({ ...record, id: wireId(record.id) });

  router.get('/admin/v1/records', (_req, res) => {
    const ids = deps.counters.receivedIds().sort(compareUint64);
    sendJson(res, 200, { pending: deps.processing.total(), records: ids.map((id) => wireRecord(recordOf(id))) });
  });
  router.all('/admin/v1/records', methodNotAllowed);

  router.get('/admin/v1/orders/:id', (req, res) => {
    const id = parseUint64(req.params['id']);
    if (!id.ok) throw simulatorErrors.create('INVALID_REQUEST', `the order id is not an unsigned 64-bit integer (${id.problem})`, { field: 'id' });
    const order = deps.store.getOrder(id.value);
    const history = deps.store.historyOf(id.value);
    const record = recordOf(id.value);
    if (!order && history.length === 0 && record.received === 0) throw simulatorErrors.create('ORDER_NOT_FOUND', undefined, { id: wireId(id.value) });
    sendJson(res, 200, { ...wireRecord(record), order: order ? toWireOrder(order) : null, history });
  });
  router.all('/admin/v1/orders/:id', methodNotAllowed);

  // The counterparty enters its side now: a resting order trades in full (409 ORDER_NOT_RESTING
  // otherwise). The counterparty's entry is not the agent's input, so it does not queue behind the
  // id's sequencer: during a held cancel (`slow_cancel`) it commits first.
  router.post('/admin/v1/orders/:id/match', async (req, res) => {
    const id = parseUint64(req.params['id']);
    if (!id.ok) throw simulatorErrors.create('INVALID_REQUEST', `the order id is not an unsigned 64-bit integer (${id.problem})`, { field: 'id' });
    const outcome = deps.store.matchResting(id.value);
    await deps.persist();
    if (outcome.kind === 'not_resting') {
      if (!outcome.order) throw simulatorErrors.create('ORDER_NOT_FOUND', undefined, { id: wireId(id.value) });
      throw simulatorErrors.create('ORDER_NOT_RESTING', `the order is ${outcome.order.status}`, { id: wireId(id.value), status: outcome.order.status });
    }
    deps.logger.info('resting order matched (admin)', { id: id.value });
    sendJson(res, 200, { order: toWireOrder(outcome.order), operations: outcome.operations.map(toWireOperation) });
  });
  router.all('/admin/v1/orders/:id/match', methodNotAllowed);
  return router;
}
