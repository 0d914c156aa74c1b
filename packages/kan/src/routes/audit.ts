/**
 * GET /kan/v1/audit/verify: the hash chains of the audit trail, with each chain's first broken
 * or missing link. GET /kan/v1/audit?from=&to=&action=&subject=&id=&limit=: the matching
 * entries as NDJSON (one JSON object a line), streamed in time order in bounded memory.
 * Every role may read both (docs/auditor.md).
 */
import express from 'express';
import { ROLES, defineRoute, sendJson } from '@qsen/core/http';
import { AUDIT_ACTIONS, queryAuditTrail, verifyAuditTrail, type AuditQuery } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { kanErrors } from '../errors.js';
import { readIntegerQuery, readQuery } from './query.js';

/** What the audit routes need. */
export interface AuditRoutesDeps {
  readonly dir: string;
  readonly retentionDays: number;
  /** The clock of the answers' times (injectable). */
  readonly clock: Clock;
}

/** Matches returned at most by one query unless `limit` says otherwise. */
export const DEFAULT_AUDIT_LIMIT = 10_000;
/** The largest `limit`. */
export const MAX_AUDIT_LIMIT = 1_000_000;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Reads a time bound: an ISO 8601 instant, or a UTC date (`to`: the end of that day). */
export function parseTimeBound(name: string, text: string, endOfDay: boolean): number {
  const isDate = DATE.test(text);
  const ms = Date.parse(isDate ? `${text}T00:00:00.000Z` : text);
  if (!Number.isFinite(ms) || (!isDate && !/^\d{4}-\d{2}-\d{2}T/.test(text))) {
    throw kanErrors.create('INVALID_PARAMETER', `${name} must be an ISO 8601 time or a YYYY-MM-DD date`, { parameter: name });
  }
  return isDate && endOfDay ? ms + DAY_MS : ms;
}

/** Reads the query of GET /kan/v1/audit (400 INVALID_PARAMETER naming the parameter). */
export function readAuditQuery(req: express.Request): { query: AuditQuery; limit: number } {
  const from = readQuery(req, 'from');
  const to = readQuery(req, 'to');
  const action = readQuery(req, 'action');
  const subject = readQuery(req, 'subject');
  const id = readQuery(req, 'id');
  const actions = action === undefined ? undefined : action.split(',');
  for (const a of actions ?? []) {
    if (!(AUDIT_ACTIONS as readonly string[]).includes(a)) throw kanErrors.create('INVALID_PARAMETER', `action must be one of ${AUDIT_ACTIONS.join(', ')}`, { parameter: 'action' });
  }
  for (const [name, value] of [['subject', subject], ['id', id]] as const) {
    if (value !== undefined && (value.length === 0 || value.length > 500)) throw kanErrors.create('INVALID_PARAMETER', `${name} must be 1 to 500 characters`, { parameter: name });
  }
  const query: AuditQuery = {
    ...(from !== undefined ? { fromMs: parseTimeBound('from', from, false) } : {}),
    ...(to !== undefined ? { toMs: parseTimeBound('to', to, true) } : {}),
    ...(actions !== undefined ? { actions } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(id !== undefined ? { id } : {}),
  };
  const limit = readIntegerQuery(req, 'limit', DEFAULT_AUDIT_LIMIT, 1, MAX_AUDIT_LIMIT) ?? DEFAULT_AUDIT_LIMIT;
  return { query, limit };
}

/** Writes one chunk, waiting for the socket when its buffer is full; false once the client is gone. */
async function writeChunk(res: express.Response, text: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(text)) return true;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}

/** The audit endpoints. */
export function createAuditRoutes(deps: AuditRoutesDeps): express.Router {
  const router = express.Router();
  defineRoute(router, '/kan/v1/audit/verify', {
    GET: {
      roles: ROLES,
      handler: async (req, res) => {
        const chain = readQuery(req, 'chain');
        sendJson(res, await verifyAuditTrail(deps.dir, { retentionDays: deps.retentionDays, nowMs: deps.clock.now(), ...(chain !== undefined ? { chain } : {}) }));
      },
    },
  });
  defineRoute(router, '/kan/v1/audit', {
    GET: {
      roles: ROLES,
      handler: async (req, res) => {
        const { query, limit } = readAuditQuery(req);
        res.status(200);
        res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
        let count = 0;
        for await (const match of queryAuditTrail(deps.dir, query)) {
          if (count >= limit) {
            await writeChunk(res, `${JSON.stringify({ truncated: true, limit })}\n`);
            break;
          }
          count += 1;
          if (!(await writeChunk(res, `${JSON.stringify({ ...match.entry, file: match.file, line: match.line })}\n`))) return;
        }
        res.end();
      },
    },
  });
  return router;
}
