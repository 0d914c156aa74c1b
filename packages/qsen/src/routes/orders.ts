/**
 * POST /qsen/v1/sendOrder, /getBilateralOrders, /getBilateralOperations (docs/api.md §4). The hot
 * path: each is declared `direct` (core's direct table answers its exact path without express's
 * router), so the handlers use only Node's request and response, `req.body` and core's helpers.
 */
import express from 'express';
import { defineRoute, ROLES, getCaller, sendJson } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import { isValidLocalDate, localDateOf, type Clock } from '@qsen/core/schedule';
import type { IdRange } from '@qsen/core/ids';
import { ApiError } from '@qsen/core/errors';
import { outcomeOfErrorCode } from '../audit/audit.js';
import { qsenErrors } from '../errors.js';
import type { OrderDesk } from '../orders/desk.js';
import { fenceOperations, fenceOrderAnswer, fenceOrders } from '../orders/listings.js';
import type { SenebiClient } from '../senebi/client.js';
import { classifySenebiReason } from '../senebi/reasons.js';
import { isJsonObject, type WireObject } from '../senebi/wire.js';

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

/** A sendOrder answer as the audit sees it: `replayed` when it came from qsen's record. */
export interface OrderAnswer {
  readonly order: WireObject;
  readonly replayed?: { readonly originalTime: string | null };
}

/** The audit outcome of a sendOrder answer (pure): replayed, accepted or rejected (with its code). */
export function describeOrderOutcome(result: OrderAnswer): { outcome: 'replayed' | 'accepted' | 'rejected'; code?: string } {
  if (result.replayed) return { outcome: 'replayed' };
  if (result.order['status'] === 'accepted') return { outcome: 'accepted' };
  const echo = result.order['senebi'];
  const reason = isJsonObject(echo) && typeof echo['reason'] === 'string' ? echo['reason'] : '';
  return { outcome: 'rejected', code: classifySenebiReason(reason) };
}

/** What the audit line says of an answer beyond its outcome: the original time and status of a replay, SENEBI's reason text. */
function describeOrderDetails(result: OrderAnswer): Record<string, unknown> {
  const echo = result.order['senebi'];
  const reason = isJsonObject(echo) && typeof echo['reason'] === 'string' ? echo['reason'] : undefined;
  return {
    ...(result.replayed ? { originalTime: result.replayed.originalTime, status: result.order['status'] } : {}),
    ...(reason !== undefined && result.order['status'] !== 'accepted' ? { reason } : {}),
  };
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
        const who = { action: 'sendOrder', subject: caller.subject ?? '', requestId: caller.requestId } as const;
        if ('error' in outcome) {
          const code = outcome.error instanceof ApiError ? outcome.error.code : 'INTERNAL_ERROR';
          // A risk refusal keeps the limit, the value and the maximum in the details.
          const limit = code === 'RISK_LIMIT_EXCEEDED' && outcome.error instanceof ApiError ? outcome.error.details : undefined;
          deps.audit.record({ ...who, outcome: outcomeOfErrorCode(code), code, details: { orderId, ...(limit ? { code, ...limit } : {}) } });
          throw outcome.error;
        }
        const result = { order: outcome.answer.order, ...(outcome.replayed ? { replayed: outcome.replayed } : {}) };
        deps.audit.record({ ...who, ...describeOrderOutcome(result), details: { orderId, ...describeOrderDetails(result) } });
        sendJson(res, { order: fenceOrderAnswer(outcome.answer.order, deps.range) });
      },
    },
  }, { stateChange: 'sendOrder', direct: true });
  defineRoute(router, '/qsen/v1/getBilateralOrders', {
    POST: {
      roles: ROLES,
      handler: async (req, res) => {
        const date = readListingDate(req.body, deps.timezone, deps.clock.now());
        const orders = await deps.senebi.listOrders(date);
        sendJson(res, { date, orders: fenceOrders(orders, deps.range) });
      },
    },
  }, { direct: true });
  defineRoute(router, '/qsen/v1/getBilateralOperations', {
    POST: {
      roles: ROLES,
      handler: async (req, res) => {
        const date = readListingDate(req.body, deps.timezone, deps.clock.now());
        const operations = await deps.senebi.listOperations(date);
        sendJson(res, { date, operations: fenceOperations(operations, deps.range) });
      },
    },
  }, { direct: true });
  return router;
}
