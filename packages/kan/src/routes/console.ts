/**
 * The operators' and auditors' browser console (docs/console.md), on every kan's own port,
 * behind the same mutual TLS and role gate as the rest of the kan API (the route table):
 *   GET  /kan/v1/console/               the page (operator, auditor)
 *   GET  /kan/v1/console/assets/NAME    its module scripts and stylesheet, from a fixed list
 *   GET  /kan/v1/console/session        who is looking, what they may do, the schedule
 *   GET  /kan/v1/console/qsen           qsen's kill switch, acceptance, window and risk usage
 *                                       (read over loopback from qsen's internal console view)
 *   GET  /kan/v1/console/nodes          each node's pid and uptime, from its internal ping
 *   POST /kan/v1/console/halt|resume    the kill switch through qsen's halt marker (operator only;
 *                                       Content-Type application/json; audited; cross-site refused)
 * Every other panel reads the kan API the page already may call on its own origin (status, logs,
 * logs/tail, audit, audit/verify, restart_qsen, restart_kan). Every answer carries the strict
 * Content-Security-Policy of console/headers.ts.
 */
import express from 'express';
import type { TLSSocket } from 'node:tls';
import type { ScheduleConfig } from '@qsen/core/config';
import { defineRoute, getCaller, sendJson } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { httpErrors } from '@qsen/core/errors';
import { CONSOLE_BASE, loadConsoleAssets, renderConsolePage, type ConsoleAsset } from '@qsen/console';
import { kanErrors } from '../errors.js';
import { CONSOLE_HEADERS } from '../console/headers.js';
import { QSEN_CONSOLE_PATH, readLoopbackJson, type LoopbackSource } from '../console/loopback-read.js';
import { CONSOLE_HALT_ROLES, CONSOLE_ROLES, describeSession } from '../console/session.js';
import { switchKillSwitch } from '../console/kill-switch.js';

/** What the console routes need. */
export interface ConsoleRoutesDeps {
  readonly selfIndex: number;
  readonly schedule: ScheduleConfig;
  /** `[paths] data`: where qsen's halt marker lives. */
  readonly dataDir: string;
  /** How to read the nodes' internal routes over loopback. */
  readonly loopback: LoopbackSource;
  /** The nodes' ports: qsen's and the three kans'. */
  readonly ports: { readonly qsen: number; readonly kans: readonly number[] };
  readonly audit: AuditSink;
  /** The clock of the answers' times (injectable). */
  readonly clock: Clock;
  /** The static files (default: loadConsoleAssets()). */
  readonly assets?: ReadonlyMap<string, ConsoleAsset>;
}

const MAX_REASON = 500;

/** The optional reason of a halt or resume: a string of at most 500 characters. */
function readReason(body: unknown): string | undefined {
  const reason = ((body ?? {}) as Record<string, unknown>)['reason'];
  if (reason === undefined || reason === null || reason === '') return undefined;
  if (typeof reason !== 'string' || reason.length > MAX_REASON) {
    throw httpErrors.create('INVALID_REQUEST', `invalid field 'reason': a string of at most ${MAX_REASON} characters`, { field: 'reason', problem: `a string of at most ${MAX_REASON} characters` });
  }
  return reason;
}

/** The expiry of the caller's client certificate, when the connection has one. */
function clientNotAfter(req: express.Request): string | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  return cert && typeof cert.valid_to === 'string' ? cert.valid_to : undefined;
}

/** The console's routes. */
export function createConsoleRoutes(deps: ConsoleRoutesDeps): express.Router {
  const router = express.Router();
  const assets = deps.assets ?? loadConsoleAssets();
  const page = Buffer.from(renderConsolePage(deps.selfIndex), 'utf8');

  router.use(CONSOLE_BASE, (_req, res, next) => {
    for (const [name, value] of Object.entries(CONSOLE_HEADERS)) res.setHeader(name, value);
    next();
  });

  const send = (res: express.Response, type: string, body: Buffer): void => {
    res.status(200).setHeader('Content-Type', type);
    res.setHeader('Content-Length', String(body.length));
    res.end(body);
  };

  defineRoute(router, `${CONSOLE_BASE}/`, { GET: { roles: CONSOLE_ROLES, handler: (_req, res) => send(res, 'text/html; charset=utf-8', page) } });

  defineRoute(router, `${CONSOLE_BASE}/assets/:name`, {
    GET: {
      roles: CONSOLE_ROLES,
      handler: (req, res) => {
        const asset = assets.get(String(req.params['name'] ?? ''));
        if (asset === undefined) throw httpErrors.create('NOT_FOUND');
        send(res, asset.type, asset.body);
      },
    },
  });

  defineRoute(router, `${CONSOLE_BASE}/session`, {
    GET: {
      roles: CONSOLE_ROLES,
      handler: (req, res) => {
        const caller = getCaller(req);
        if (caller.role === undefined) throw httpErrors.create('FORBIDDEN');
        sendJson(res, describeSession({ role: caller.role, subject: caller.subject ?? '', kan: deps.selfIndex, schedule: deps.schedule, clientNotAfter: clientNotAfter(req), nowMs: deps.clock.now() }));
      },
    },
  });

  defineRoute(router, `${CONSOLE_BASE}/qsen`, {
    GET: {
      roles: CONSOLE_ROLES,
      handler: async (_req, res) => {
        const answer = await readLoopbackJson(deps.loopback, deps.ports.qsen, QSEN_CONSOLE_PATH);
        sendJson(res, answer.reachable ? { reachable: true, view: answer.body } : answer);
      },
    },
  });

  defineRoute(router, `${CONSOLE_BASE}/nodes`, {
    GET: {
      roles: CONSOLE_ROLES,
      handler: async (_req, res) => {
        const targets = [{ name: 'qsen', port: deps.ports.qsen, path: '/qsen/v1/ping' }, ...deps.ports.kans.map((port, i) => ({ name: `kan${i}`, port, path: '/kan/v1/ping' }))];
        const nodes = await Promise.all(targets.map(async ({ name, port, path }) => {
          const answer = await readLoopbackJson(deps.loopback, port, path);
          if (!answer.reachable) return { name, port, reachable: false, error: answer.error };
          const { pid, uptimeSeconds } = answer.body;
          return { name, port, reachable: true, pid: typeof pid === 'number' ? pid : null, uptimeSeconds: typeof uptimeSeconds === 'number' ? uptimeSeconds : null };
        }));
        sendJson(res, { nodes });
      },
    },
  });

  for (const action of ['halt', 'resume'] as const) {
    defineRoute(router, `${CONSOLE_BASE}/${action}`, {
      POST: {
        roles: CONSOLE_HALT_ROLES,
        bodyFields: ['reason'],
        handler: (req, res) => {
          const caller = getCaller(req);
          const subject = caller.subject ?? 'unknown';
          const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
          if (type !== 'application/json') {
            deps.audit.record({ action, subject, outcome: 'refused', code: 'JSON_BODY_REQUIRED', requestId: caller.requestId, details: { channel: 'console' } });
            throw kanErrors.create('JSON_BODY_REQUIRED', undefined, { contentType: type === '' ? null : (type ?? '').slice(0, 100) });
          }
          const state = switchKillSwitch({ dataDir: deps.dataDir, audit: deps.audit, kan: deps.selfIndex, clock: deps.clock }, { action, subject, requestId: caller.requestId, reason: readReason(req.body) });
          sendJson(res, { killSwitch: state, requestId: caller.requestId });
        },
      },
    }, { stateChange: action });
  }
  return router;
}
