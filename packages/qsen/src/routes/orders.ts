/**
 * POST /qsen/v1/sendOrder, /getBilateralOrders, /getBilateralOperations (docs/api.md §4).
 */
import express from 'express';
import { ApiError, defineRoute, getCaller, isValidLocalDate, localDateOf, sendJson, type Clock, type IdRange } from '@qsen/core';
import type { AuditSink } from '../audit/audit.js';
import { qsenErrors } from '../errors.js';
import type { OrderDesk } from '../orders/desk.js';
import { fenceOperations, fenceOrders } from '../orders/listings.js';
import type { SenebiClient } from '../senebi/client.js';

/** What the order routes need. */
export interface OrderRoutesDeps {
  readonly desk: OrderDesk;
  readonly senebi: Pick<SenebiClient, 'listOrders' | 'listOperations'>;
  readonly range: IdRange;
  readonly timezone: string;
  readonly clock: Clock;
  readonly audit: AuditSink;
}

/** Reads `{}` or `{"date": "YYYY-MM-DD"}` (default: today in the schedule's zone). */
export function readListingDate(body: unknown, timezone: string, nowMs: number): string {
  const fields = (body ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'date') throw qsenErrors.create('INVALID_REQUEST', `unknown field '${key}'`, { field: key, problem: 'unknown field' });
  }
  const date = fields['date'];
  if (date === undefined) return localDateOf(timezone, nowMs);
  if (typeof date !== 'string' || !isValidLocalDate(date)) throw qsenErrors.create('INVALID_REQUEST', "invalid field 'date': must be YYYY-MM-DD", { field: 'date', problem: 'must be YYYY-MM-DD' });
  return date;
}

/** The order routes. */
export function createOrderRoutes(deps: OrderRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/sendOrder', {
    POST: {
      roles: ['platform'],
      handler: async (req, res) => {
        const caller = getCaller(req);
        const outcome = await deps.desk.sendOrder(req.body);
        const { orderId } = outcome;
        if ('error' in outcome) {
          const code = outcome.error instanceof ApiError ? outcome.error.code : 'INTERNAL_ERROR';
          // A risk refusal is audited as "refused", with the limit, the value and the maximum.
          if (code === 'RISK_LIMIT_EXCEEDED' && outcome.error instanceof ApiError) {
            deps.audit.record({ action: 'sendOrder', subject: caller.subject ?? '', outcome: 'refused', requestId: caller.requestId, details: { orderId, code, ...outcome.error.details } });
          } else {
            deps.audit.record({ action: 'sendOrder', subject: caller.subject ?? '', outcome: code, requestId: caller.requestId, details: { orderId } });
          }
          throw outcome.error;
        }
        deps.audit.record({ action: 'sendOrder', subject: caller.subject ?? '', outcome: String(outcome.answer.order['status']), requestId: caller.requestId, details: { orderId } });
        sendJson(res, outcome.answer);
      },
    },
  });
  defineRoute(router, '/qsen/v1/getBilateralOrders', {
    POST: {
      roles: ['platform', 'operator', 'auditor'],
      handler: async (req, res) => {
        const date = readListingDate(req.body, deps.timezone, deps.clock.now());
        const orders = await deps.senebi.listOrders(date);
        sendJson(res, { date, orders: fenceOrders(orders, deps.range) });
      },
    },
  });
  defineRoute(router, '/qsen/v1/getBilateralOperations', {
    POST: {
      roles: ['platform', 'operator', 'auditor'],
      handler: async (req, res) => {
        const date = readListingDate(req.body, deps.timezone, deps.clock.now());
        const operations = await deps.senebi.listOperations(date);
        sendJson(res, { date, operations: fenceOperations(operations, deps.range) });
      },
    },
  });
  return router;
}
