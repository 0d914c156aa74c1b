/**
 * POST /qsen/v1/cancelOrder (docs/api.md §4, docs/qsen.md "Cancel"): the platform withdraws a
 * resting order. The desk decides; this route audits and answers.
 */
import express from 'express';
import { defineRoute, getCaller, sendJson } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import type { IdRange } from '@qsen/core/ids';
import { ApiError } from '@qsen/core/errors';
import { outcomeOfErrorCode } from '../audit/audit.js';
import type { CancelDesk, CancelOutcome } from '../orders/cancel.js';
import { fenceOrderAnswer } from '../orders/listings.js';

/** What the cancel route needs. */
export interface CancelRoutesDeps {
  readonly cancels: Pick<CancelDesk, 'cancelOrder'>;
  readonly range: IdRange;
  readonly audit: AuditSink;
}

/**
 * The audit line of a cancel (pure): `done` when SENEBI cancelled it now, `replayed` when the
 * answer came from qsen's record, else `refused` / `failed` with the code (and the order's
 * state for ORDER_NOT_CANCELLABLE).
 */
export function describeCancelOutcome(outcome: CancelOutcome): { outcome: 'done' | 'replayed' | 'refused' | 'failed'; code?: string; details: Record<string, unknown> } {
  const details: Record<string, unknown> = { orderId: outcome.orderId, ...(outcome.replayed ? { originalTime: outcome.replayed.originalTime } : {}) };
  if ('answer' in outcome) return { outcome: outcome.replayed ? 'replayed' : 'done', details: { ...details, status: 'cancelled' } };
  const code = outcome.error instanceof ApiError ? outcome.error.code : 'INTERNAL_ERROR';
  const status = outcome.error instanceof ApiError ? outcome.error.details?.['status'] : undefined;
  const delivery = outcome.error instanceof ApiError ? outcome.error.details?.['delivery'] : undefined;
  return {
    outcome: outcome.replayed ? 'replayed' : outcomeOfErrorCode(code),
    code,
    details: { ...details, ...(typeof status === 'string' ? { status } : {}), ...(typeof delivery === 'string' ? { delivery } : {}) },
  };
}

/** The cancel route. */
export function createCancelRoutes(deps: CancelRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/cancelOrder', {
    POST: {
      roles: ['platform'],
      handler: async (req, res) => {
        const caller = getCaller(req);
        const outcome = await deps.cancels.cancelOrder(req.body);
        deps.audit.record({ action: 'cancelOrder', subject: caller.subject ?? '', requestId: caller.requestId, ...describeCancelOutcome(outcome) });
        if ('error' in outcome) throw outcome.error;
        sendJson(res, { order: fenceOrderAnswer(outcome.answer.order, deps.range) });
      },
    },
  }, { stateChange: 'cancelOrder', direct: true });
  return router;
}
