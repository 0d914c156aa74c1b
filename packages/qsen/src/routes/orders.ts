/**
 * POST /qsen/v1/sendOrder, /cancelOrder, /getBilateralOrders, /getBilateralOperations (docs/api.md
 * §4; docs/qsen.md "Cancel"). The desks decide; these routes audit and answer. The hot path: each
 * is declared `direct` (core's direct table answers its exact path without express's router), so
 * the handlers use only Node's request and response, `req.body` and core's helpers.
 */
import express from 'express';
import { defineRoute, ROLES, getCaller, sendJson } from '@qsen/core/http';
import type { AuditEntry, AuditSink } from '@qsen/core/logging';
import { isValidLocalDate, localDateOf, type Clock } from '@qsen/core/schedule';
import type { IdRange } from '@qsen/core/ids';
import { ApiError } from '@qsen/core/errors';
import { outcomeOfErrorCode } from '../audit/audit.js';
import { codeOfError, qsenErrors } from '../errors.js';
import type { CancelDesk, CancelOutcome } from '../orders/cancel.js';
import type { OrderDesk, SendOutcome } from '../orders/desk.js';
import { fenceOperations, fenceOrderAnswer, fenceOrders } from '../orders/listings.js';
import type { SenebiClient } from '../senebi/client.js';
import { classifySenebiReason } from '../senebi/reasons.js';
import { isJsonObject } from '../senebi/wire.js';

/** What the order routes need. */
export interface OrderRoutesDeps {
  readonly desk: Pick<OrderDesk, 'sendOrder'>;
  readonly cancels: Pick<CancelDesk, 'cancelOrder'>;
  readonly senebi: Pick<SenebiClient, 'listOrders' | 'listOperations'>;
  readonly range: IdRange;
  readonly timezone: string;
  readonly clock: Clock;
  readonly audit: AuditSink;
}

/** What an order call's audit line says besides the action and the caller. */
type AuditedOutcome = Pick<AuditEntry, 'outcome' | 'code' | 'details'>;

/** Reads `{}` or `{"date": "YYYY-MM-DD"}` (default: today in the schedule's zone); the route refuses other fields. */
function readListingDate(body: unknown, timezone: string, nowMs: number): string {
  const date = ((body ?? {}) as Record<string, unknown>)['date'];
  if (date === undefined) return localDateOf(timezone, nowMs);
  if (typeof date !== 'string' || !isValidLocalDate(date)) throw qsenErrors.create('INVALID_REQUEST', "invalid field 'date': must be YYYY-MM-DD", { field: 'date', problem: 'must be YYYY-MM-DD' });
  return date;
}

/**
 * The audit line of a sendOrder (pure): `replayed` when the answer came from qsen's record,
 * `accepted`, `rejected` with SENEBI's reason classified, or `refused` / `failed` with the code
 * (a risk refusal keeps the limit, the value and the maximum in the details).
 */
export function describeSendOutcome(outcome: SendOutcome): AuditedOutcome {
  const { orderId } = outcome;
  if ('error' in outcome) {
    const code = codeOfError(outcome.error);
    const limit = code === 'RISK_LIMIT_EXCEEDED' && outcome.error instanceof ApiError ? outcome.error.details : undefined;
    return { outcome: outcomeOfErrorCode(code), code, details: { orderId, ...(limit ? { code, ...limit } : {}) } };
  }
  const { order } = outcome.answer;
  const echo = order['senebi'];
  const reason = isJsonObject(echo) && typeof echo['reason'] === 'string' ? echo['reason'] : undefined;
  const accepted = order['status'] === 'accepted';
  const details = {
    orderId,
    ...(outcome.replayed ? { originalTime: outcome.replayed.originalTime, status: order['status'] } : {}),
    ...(reason !== undefined && !accepted ? { reason } : {}),
  };
  if (outcome.replayed) return { outcome: 'replayed', details };
  if (accepted) return { outcome: 'accepted', details };
  return { outcome: 'rejected', code: classifySenebiReason(reason ?? ''), details };
}

/**
 * The audit line of a cancel (pure): `done` when SENEBI cancelled it now, `replayed` when the
 * answer came from qsen's record, else `refused` / `failed` with the code (and the order's
 * state for ORDER_NOT_CANCELLABLE).
 */
export function describeCancelOutcome(outcome: CancelOutcome): AuditedOutcome {
  const details: Record<string, unknown> = { orderId: outcome.orderId, ...(outcome.replayed ? { originalTime: outcome.replayed.originalTime } : {}) };
  if ('answer' in outcome) return { outcome: outcome.replayed ? 'replayed' : 'done', details: { ...details, status: 'cancelled' } };
  const code = codeOfError(outcome.error);
  const status = outcome.error instanceof ApiError ? outcome.error.details?.['status'] : undefined;
  const delivery = outcome.error instanceof ApiError ? outcome.error.details?.['delivery'] : undefined;
  return {
    outcome: outcome.replayed ? 'replayed' : outcomeOfErrorCode(code),
    code,
    details: { ...details, ...(typeof status === 'string' ? { status } : {}), ...(typeof delivery === 'string' ? { delivery } : {}) },
  };
}

/** The order routes. */
export function createOrderRoutes(deps: OrderRoutesDeps): express.Router {
  const router = express.Router();
  /** A platform call a desk answers with one order: audited under `action`, answered fenced. */
  const defineOrderCall = <O extends SendOutcome | CancelOutcome>(path: string, action: 'sendOrder' | 'cancelOrder', run: (body: unknown) => Promise<O>, describe: (outcome: O) => AuditedOutcome): void => {
    defineRoute(router, path, {
      POST: {
        roles: ['platform'],
        handler: async (req, res) => {
          const caller = getCaller(req);
          const outcome = await run(req.body);
          deps.audit.record({ action, subject: caller.subject ?? '', requestId: caller.requestId, ...describe(outcome) });
          if ('error' in outcome) throw outcome.error;
          sendJson(res, { order: fenceOrderAnswer(outcome.answer.order, deps.range) });
        },
      },
    }, { stateChange: action, direct: true });
  };
  defineOrderCall('/qsen/v1/sendOrder', 'sendOrder', (body) => deps.desk.sendOrder(body), describeSendOutcome);
  defineOrderCall('/qsen/v1/cancelOrder', 'cancelOrder', (body) => deps.cancels.cancelOrder(body), describeCancelOutcome);

  const listings = [
    { path: '/qsen/v1/getBilateralOrders', key: 'orders', list: (date: string) => deps.senebi.listOrders(date), fence: fenceOrders },
    { path: '/qsen/v1/getBilateralOperations', key: 'operations', list: (date: string) => deps.senebi.listOperations(date), fence: fenceOperations },
  ];
  for (const { path, key, list, fence } of listings) {
    defineRoute(router, path, {
      POST: {
        roles: ROLES,
        bodyFields: ['date'],
        handler: async (req, res) => {
          const date = readListingDate(req.body, deps.timezone, deps.clock.now());
          sendJson(res, { date, [key]: fence(await list(date), deps.range) });
        },
      },
    }, { direct: true });
  }
  return router;
}
