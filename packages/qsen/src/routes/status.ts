/**
 * GET /qsen/v1/status, GET /qsen/v1/config, POST /qsen/v1/ping/senebi, GET /qsen/v1/ping
 * (internal, loopback only), and the metrics paths.
 */
import express from 'express';
import type { Registry } from 'prom-client';
import { redactConfig, type QsenConfig } from '@qsen/core/config';
import { defineRoute, ROLES, sendJson } from '@qsen/core/http';
import { metricsHandler } from '@qsen/core/metrics';
import { uptimeSeconds, type Clock } from '@qsen/core/schedule';
import type { SenebiClient } from '../senebi/client.js';
import { buildStatus, type QsenFacts } from '../status/report.js';

/** What the status routes need. */
export interface StatusRoutesDeps {
  readonly config: QsenConfig;
  readonly clock: Clock;
  readonly facts: QsenFacts;
  readonly senebi: Pick<SenebiClient, 'ping'>;
  readonly registry: Registry;
  readonly pid: number;
}

/** The status, config, ping and metrics routes. */
export function createStatusRoutes(deps: StatusRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/qsen/v1/status', {
    GET: { roles: ROLES, handler: (_req, res) => sendJson(res, buildStatus(deps.facts, deps.clock.now(), deps.pid)) },
  });
  defineRoute(router, '/qsen/v1/config', {
    GET: { roles: ROLES, handler: (_req, res) => sendJson(res, redactConfig(deps.config)) },
  });
  defineRoute(router, '/qsen/v1/ping/senebi', {
    POST: {
      roles: ROLES,
      bodyFields: [],
      handler: async (_req, res) => {
        const { answer, latencyMs } = await deps.senebi.ping();
        sendJson(res, { ok: true, url: deps.config.senebi.url, latencyMs: Math.round(latencyMs * 1000) / 1000, senebi: answer });
      },
    },
  });
  defineRoute(router, '/qsen/v1/ping', {
    GET: {
      roles: 'internal',
      handler: (_req, res) => sendJson(res, {
        ok: true,
        pid: deps.pid,
        uptimeSeconds: uptimeSeconds(deps.facts.startedAtMs, deps.clock.now()),
        reconciling: deps.facts.isReconciling(),
        ...deps.facts.acceptance(),
      }),
    },
  });
  const metrics = metricsHandler(deps.registry);
  for (const path of ['/qsen/v1/metrics/process', '/qsen/v1/metrics/golang']) {
    defineRoute(router, path, { GET: { roles: ROLES, handler: (req, res) => metrics(req, res) } });
  }
  return router;
}
