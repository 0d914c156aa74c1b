/**
 * GET /qsen/v1/console (internal, loopback only): what the kans' browser console (docs/console.md)
 * shows of qsen. A kan reads it over loopback and hands it to an operator's or auditor's browser
 * that already passed the kan's mutual TLS and role gate: the kill switch, whether orders are
 * taken, the trading window and the risk controls' usage (the body of GET /qsen/v1/risk). It
 * changes nothing; the halt and resume of the console go through the halt marker (qsen-admin's
 * path, killswitch.ts), never through this route.
 */
import express from 'express';
import { defineRoute, sendJson } from '@qsen/core/http';
import type { Clock } from '@qsen/core/schedule';
import type { RiskControls } from '../risk/controls.js';
import { buildStatus, type QsenFacts } from '../status/report.js';

/** What the console view needs. */
export interface ConsoleViewDeps {
  readonly facts: QsenFacts;
  readonly risk: Pick<RiskControls, 'view'>;
  readonly clock: Clock;
  readonly pid: number;
}

/** The fields of the status body the console shows (the rest stays behind the role gate). */
const SHOWN = ['pid', 'startedAt', 'uptimeSeconds', 'acceptingOrders', 'notAccepting', 'halted', 'killSwitch', 'reconciling', 'window'] as const;

/** Builds the console view at the instant nowMs (pure but for the sources it reads). */
export function buildConsoleView(deps: ConsoleViewDeps, nowMs: number): Record<string, unknown> {
  const status = buildStatus(deps.facts, nowMs, deps.pid);
  return { ...Object.fromEntries(SHOWN.map((key) => [key, status[key]])), risk: deps.risk.view() };
}

/** The internal console-view route. */
export function createConsoleViewRoutes(deps: ConsoleViewDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/console', {
    GET: { roles: 'internal', handler: (_req, res) => sendJson(res, buildConsoleView(deps, deps.clock.now())) },
  });
  return router;
}
