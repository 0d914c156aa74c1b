/**
 * Log endpoints: list, download one (streamed, Content-Length) or all (streamed .tar.gz), tail
 * by bytes or lines from the end, truncate (collapse-range or the rotated-files fallback).
 */
import type express from 'express';
import { pipeline } from 'node:stream/promises';
import { defineRoute, getCaller, sendJson, ROLES, httpErrors } from '@qsen/core';
import { kanErrors } from '../errors.js';
import type { AuditSink } from '../audit.js';
import type { LogSink } from '../log-sink.js';
import type { KanMetrics } from '../metrics/kan-metrics.js';
import { listLogs, openLogFile, resolveLogName } from '../logs/names.js';
import { DEFAULT_TAIL_BYTES, MAX_TAIL_BYTES, MAX_TAIL_LINES, findByteTail, findLineTail } from '../logs/tail.js';
import { DEFAULT_KEEP_BYTES, truncateLog, type TruncateResult } from '../logs/truncate.js';
import { streamLogArchive } from '../logs/archive.js';
import { readIntegerQuery, readQuery } from './query.js';

/** What the log routes need. */
export interface LogRoutesDeps {
  readonly dir: string;
  readonly audit: AuditSink;
  readonly logger: LogSink;
  readonly metrics?: KanMetrics;
  readonly now: () => number;
}

/** Streams [start, end) of an open log file as the answer (Content-Length exact). */
async function sendRange(res: express.Response, path: string, start: number, end: number, headers: Record<string, string>): Promise<void> {
  const handle = await openLogFile(path);
  try {
    res.status(200);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Content-Length', String(end - start));
    if (end <= start) { res.end(); return; }
    await pipeline(handle.createReadStream({ start, end: end - 1, autoClose: false }), res);
  } finally {
    await handle.close();
  }
}

/** Mounts the log endpoints. */
export function mountLogRoutes(app: express.Express, deps: LogRoutesDeps): void {
  defineRoute(app, '/kan/v1/logs', {
    GET: {
      roles: ROLES,
      handler: async (req, res) => {
        const file = readQuery(req, 'file');
        if (file === undefined) { sendJson(res, await listLogs(deps.dir)); return; }
        if (file === 'all') {
          const { stream } = await streamLogArchive(deps.dir);
          const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
          res.status(200);
          res.setHeader('Content-Type', 'application/gzip');
          res.setHeader('Content-Disposition', `attachment; filename="qsen-logs-${stamp}.tar.gz"`);
          await pipeline(stream, res);
          return;
        }
        const path = await resolveLogName(deps.dir, file);
        const handle = await openLogFile(path);
        let size: number;
        try {
          size = (await handle.stat()).size;
        } finally {
          await handle.close();
        }
        await sendRange(res, path, 0, size, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `attachment; filename="${file}"` });
      },
    },
  });

  defineRoute(app, '/kan/v1/logs/tail', {
    GET: {
      roles: ROLES,
      handler: async (req, res) => {
        const file = readQuery(req, 'file');
        if (file === undefined) throw kanErrors.create('INVALID_PARAMETER', 'file is required', { parameter: 'file' });
        const lines = readIntegerQuery(req, 'lines', undefined, 0, MAX_TAIL_LINES);
        const bytesGiven = readQuery(req, 'bytes') !== undefined;
        if (lines !== undefined && bytesGiven) throw kanErrors.create('INVALID_PARAMETER', 'give bytes or lines, not both', { parameter: 'lines' });
        const bytes = readIntegerQuery(req, 'bytes', DEFAULT_TAIL_BYTES, 0, MAX_TAIL_BYTES) ?? DEFAULT_TAIL_BYTES;
        const path = await resolveLogName(deps.dir, file);
        const handle = await openLogFile(path);
        let range: { start: number; end: number };
        try {
          const size = (await handle.stat()).size;
          range = lines !== undefined ? await findLineTail(handle, size, lines) : await findByteTail(handle, size, bytes);
        } finally {
          await handle.close();
        }
        await sendRange(res, path, range.start, range.end, {
          'Content-Type': 'text/plain; charset=utf-8', 'X-Tail-Start': String(range.start), 'X-File-Size': String(range.end),
        });
      },
    },
  });

  const truncate = async (req: express.Request, res: express.Response): Promise<void> => {
    const body: unknown = req.body;
    if (body !== undefined && body !== null && typeof body === 'object' && Object.keys(body).length > 0) {
      throw httpErrors.create('INVALID_REQUEST', 'truncate takes its parameters in the query string (file, keep)', { fields: Object.keys(body) });
    }
    const file = readQuery(req, 'file');
    if (file === undefined) throw kanErrors.create('INVALID_PARAMETER', 'file is required', { parameter: 'file' });
    const keep = readIntegerQuery(req, 'keep', DEFAULT_KEEP_BYTES, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_KEEP_BYTES;
    const caller = getCaller(req);
    const subject = caller.subject ?? 'unknown';
    if (file !== 'all') await resolveLogName(deps.dir, file); // 400 / 404 before anything happens
    const paths = file === 'all' ? (await listLogs(deps.dir)).map((e) => e.name) : [file];
    const results: TruncateResult[] = [];
    try {
      for (const name of paths) {
        let path: string;
        try {
          path = await resolveLogName(deps.dir, name);
        } catch {
          continue; // removed meanwhile (the fallback removes rotated files)
        }
        const result = await truncateLog(path, keep);
        results.push(result);
        deps.metrics?.logTruncations.inc({ method: result.method });
      }
    } catch (err) {
      deps.audit.record({ action: 'logs/truncate', subject, outcome: 'failed', requestId: caller.requestId, details: { file, keep } });
      throw err;
    }
    deps.audit.record({ action: 'logs/truncate', subject, outcome: 'done', requestId: caller.requestId, details: { file, keep, results } });
    deps.logger.info('logs truncated', { file, keep, results, subject });
    sendJson(res, { keep, results });
  };
  const writers = ['platform', 'operator'] as const;
  defineRoute(app, '/kan/v1/logs/truncate', { GET: { roles: writers, handler: truncate }, POST: { roles: writers, handler: truncate } });
}
