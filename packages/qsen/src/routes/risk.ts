/**
 * The risk controls' endpoints: GET /qsen/v1/risk (every role: the limits in force, today's
 * usage and headroom), and the operator's changes: POST /qsen/v1/risk/reload (re-read conf.toml's
 * [risk] and the reference prices file), /qsen/v1/risk/override (a temporary limit with a reason
 * and an expiry) and /qsen/v1/risk/reference-prices (reference prices for the collar).
 */
import express from 'express';
import { defineRoute, ROLES, getCaller, sendJson } from '@qsen/core/http';
import { qsenErrors } from '../errors.js';
import type { Actor, RiskControls } from '../risk/controls.js';
import { isReason, MAX_REASON } from '../risk/overrides.js';

/** What the risk routes need. */
export interface RiskRoutesDeps {
  readonly risk: RiskControls;
}

function actorOf(req: express.Request): Actor {
  const caller = getCaller(req);
  return { subject: caller.subject ?? '', requestId: caller.requestId };
}

function bodyOf(req: express.Request): Record<string, unknown> {
  return (req.body ?? {}) as Record<string, unknown>;
}

/** An optional or required reason (1 to 500 characters). */
function readReason(value: unknown, required: boolean): string {
  if (value === undefined && !required) return '';
  if (!isReason(value)) {
    throw qsenErrors.create('INVALID_REQUEST', `invalid field 'reason': a string of 1 to ${MAX_REASON} characters`, { field: 'reason', problem: `a string of 1 to ${MAX_REASON} characters` });
  }
  return value;
}

/** The risk routes. */
export function createRiskRoutes(deps: RiskRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/risk', {
    GET: { roles: ROLES, handler: (_req, res) => sendJson(res, deps.risk.view()) },
  });
  defineRoute(router, '/qsen/v1/risk/reload', {
    POST: {
      roles: ['operator'],
      bodyFields: ['reason'],
      handler: (req, res) => {
        const reason = readReason(bodyOf(req)['reason'], false);
        const outcome = deps.risk.reload(actorOf(req), reason);
        if (!outcome.ok) {
          throw qsenErrors.create('RISK_CONFIG_INVALID', `the limits in force are kept: ${outcome.problems.join('; ')}`, { problems: outcome.problems });
        }
        sendJson(res, { ok: true, changes: outcome.changes });
      },
    },
  });
  defineRoute(router, '/qsen/v1/risk/override', {
    POST: {
      roles: ['operator'],
      bodyFields: ['limit', 'value', 'reason', 'expiresAt'],
      handler: (req, res) => sendJson(res, { override: deps.risk.override(bodyOf(req), actorOf(req)) }),
    },
  });
  defineRoute(router, '/qsen/v1/risk/reference-prices', {
    POST: {
      roles: ['operator'],
      bodyFields: ['prices', 'reason'],
      handler: (req, res) => {
        const body = bodyOf(req);
        const reason = readReason(body['reason'], true);
        const prices = body['prices'];
        if (prices === null || typeof prices !== 'object' || Array.isArray(prices) || Object.keys(prices).length === 0) {
          throw qsenErrors.create('INVALID_REQUEST', "invalid field 'prices': an object of instrument: \"price\", at least one", { field: 'prices', problem: 'an object of instrument: "price", at least one' });
        }
        const count = deps.risk.setReferencePrices(prices as Record<string, unknown>, reason, actorOf(req));
        sendJson(res, { ok: true, updated: count });
      },
    },
  });
  return router;
}
