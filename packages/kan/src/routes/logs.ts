/**
 * Log endpoints: list, download one (streamed, Content-Length) or all (streamed .tar.gz), tail
 * by bytes or lines from the end, truncate (collapse-range or the rotated-files fallback).
 * Every endpoint has a concurrency limit (logs/limits.ts: 503 LOGS_BUSY); every read of a file
 * holds a read slot of it (logs/locks.ts), so a truncation waits for the reads that began
 * before it and a download is the file as it was, or a cut the client sees.
 */
import express from 'express';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { defineRoute, getCaller, sendJson, MAINTENANCE_ROLES, ROLES } from '@qsen/core/http';
import type { AuditSink, LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { ApiError, httpErrors } from '@qsen/core/errors';
import { kanErrors } from '../errors.js';
import type { KanMetrics } from '../metrics/kan-metrics.js';
import { isProtectedLogName, listLogs, openLogFile, resolveLogName } from '../logs/names.js';
import { DEFAULT_TAIL_BYTES, MAX_TAIL_BYTES, MAX_TAIL_LINES, findByteTail, findLineTail, type TailRange } from '../logs/tail.js';
import { DEFAULT_KEEP_BYTES, truncateLogs, type TruncateOutcome } from '../logs/truncate.js';
import { streamLogArchive } from '../logs/archive.js';
import { acquireReadSlot, LOG_LOCK_DEFAULTS, type LogLockSettings, type ReadSlot } from '../logs/locks.js';
import { createConcurrencyLimiter, LOG_RETRY_AFTER_SECONDS, type ConcurrencyLimiter, type LogEndpoint } from '../logs/limits.js';
import { SCAN_CHUNK_BYTES } from '../logs/chunks.js';
import { readIntegerQuery, readQuery } from './query.js';

/** What the log routes need. */
export interface LogRoutesDeps {
  readonly dir: string;
  readonly audit: AuditSink;
  readonly logger: LogSink;
  readonly metrics?: KanMetrics;
  /** The clock of the answers' times (injectable). */
  readonly clock: Clock;
  /** Lock timing (default LOG_LOCK_DEFAULTS). */
  readonly locks?: LogLockSettings;
  /** Concurrency limits (default: LOG_CONCURRENCY). */
  readonly limiter?: ConcurrencyLimiter;
}

/** Codes answered with Retry-After. */
const BUSY_CODES = new Set(['LOGS_BUSY', 'TRUNCATE_BUSY']);

type Handler = (req: express.Request, res: express.Response) => Promise<void>;

/** The log endpoints. */
export function createLogRoutes(deps: LogRoutesDeps): express.Router {
  const router = express.Router();
  const locks = deps.locks ?? LOG_LOCK_DEFAULTS;
  const limiter = deps.limiter ?? createConcurrencyLimiter();

  /** Runs a handler inside its endpoint's limit; busy answers carry Retry-After. */
  const limited = (endpoint: LogEndpoint | ((req: express.Request) => LogEndpoint), handler: Handler): Handler => async (req, res) => {
    try {
      const name = typeof endpoint === 'string' ? endpoint : endpoint(req);
      const release = limiter.tryEnter(name);
      if (release === null) throw kanErrors.create('LOGS_BUSY', undefined, { endpoint: name, limit: limiter.limitOf(name) });
      try {
        await handler(req, res);
      } finally {
        release();
      }
    } catch (err) {
      if (err instanceof ApiError && BUSY_CODES.has(err.code) && !res.headersSent) res.setHeader('Retry-After', String(LOG_RETRY_AFTER_SECONDS));
      throw err;
    }
  };

  /** A read slot of `name`, or LOGS_BUSY. */
  const readSlot = async (name: string): Promise<ReadSlot> => {
    const slot = await acquireReadSlot(deps.dir, name, locks);
    if (typeof slot === 'string') {
      throw kanErrors.create('LOGS_BUSY', slot === 'slots-full' ? 'too many reads of this file in flight' : 'a truncation of this file is still running', { file: name, reason: slot });
    }
    return slot;
  };

  /** Streams [range.start, range.end) of an open file (Content-Length exact); a pending truncation that waited too long cuts it. */
  const sendRange = async (res: express.Response, handle: FileHandle, range: { start: number; end: number }, slots: readonly ReadSlot[], headers: Record<string, string>): Promise<void> => {
    res.status(200);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('Content-Length', String(range.end - range.start));
    if (range.end <= range.start) { res.end(); return; }
    for (const slot of slots) slot.yieldTo(() => cut(res, headers['X-Log-File'] ?? ''));
    await pipeline(handle.createReadStream({ start: range.start, end: range.end - 1, autoClose: false, highWaterMark: SCAN_CHUNK_BYTES }), res);
  };

  const cut = (res: express.Response, file: string): void => {
    deps.logger.warn('log read cut: a truncation of the file waited too long for it', { file, waitedMs: locks.readerYieldMs });
    res.destroy();
  };

  /** Opens a listed file under a read slot and runs `use` with it; releases both. */
  const withOpenFile = async (name: string, use: (handle: FileHandle, slot: ReadSlot) => Promise<void>): Promise<void> => {
    const path = await resolveLogName(deps.dir, name);
    const slot = await readSlot(name);
    try {
      const handle = await openLogFile(path);
      try {
        await use(handle, slot);
      } finally {
        await handle.close();
      }
    } finally {
      await slot.release();
    }
  };

  const download = async (res: express.Response, file: string): Promise<void> => {
    await withOpenFile(file, async (handle, slot) => {
      const size = (await handle.stat()).size;
      await sendRange(res, handle, { start: 0, end: size }, [slot], {
        'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `attachment; filename="${file}"`, 'X-Log-File': file,
      });
    });
  };

  const archive = async (res: express.Response): Promise<void> => {
    const files = (await listLogs(deps.dir)).map((e) => e.name);
    const slots: ReadSlot[] = [];
    try {
      for (const name of files) slots.push(await readSlot(name));
      const stream = await streamLogArchive(deps.dir, files);
      const stamp = new Date(deps.clock.now()).toISOString().replace(/[:.]/g, '-');
      res.status(200);
      res.setHeader('Content-Type', 'application/gzip');
      res.setHeader('Content-Disposition', `attachment; filename="qsen-logs-${stamp}.tar.gz"`);
      for (const slot of slots) slot.yieldTo(() => cut(res, 'all'));
      await pipeline(stream, res);
    } finally {
      await Promise.all(slots.map((s) => s.release()));
    }
  };

  defineRoute(router, '/kan/v1/logs', {
    GET: {
      roles: ROLES,
      handler: limited((req) => {
        const file = readQuery(req, 'file');
        return file === undefined ? 'list' : file === 'all' ? 'archive' : 'download';
      }, async (req, res) => {
        const file = readQuery(req, 'file');
        if (file === undefined) sendJson(res, await listLogs(deps.dir));
        else if (file === 'all') await archive(res);
        else await download(res, file);
      }),
    },
  });

  defineRoute(router, '/kan/v1/logs/tail', {
    GET: {
      roles: ROLES,
      handler: limited('tail', async (req, res) => {
        const file = readQuery(req, 'file');
        if (file === undefined) throw kanErrors.create('INVALID_PARAMETER', 'file is required', { parameter: 'file' });
        const lines = readIntegerQuery(req, 'lines', undefined, 0, MAX_TAIL_LINES);
        const bytesGiven = readQuery(req, 'bytes') !== undefined;
        if (lines !== undefined && bytesGiven) throw kanErrors.create('INVALID_PARAMETER', 'give bytes or lines, not both', { parameter: 'lines' });
        const bytes = readIntegerQuery(req, 'bytes', DEFAULT_TAIL_BYTES, 0, MAX_TAIL_BYTES) ?? DEFAULT_TAIL_BYTES;
        await withOpenFile(file, async (handle, slot) => {
          const size = (await handle.stat()).size;
          const range: TailRange = lines !== undefined ? await findLineTail(handle, size, lines) : await findByteTail(handle, size, bytes);
          await sendRange(res, handle, range, [slot], {
            'Content-Type': 'text/plain; charset=utf-8', 'X-Tail-Start': String(range.start), 'X-File-Size': String(range.end),
            'X-Qsen-Partial-Line': String(range.partial), 'X-Log-File': file,
          });
        });
      }),
    },
  });

  const truncate = limited('truncate', async (req, res) => {
    const body: unknown = req.body;
    if (body !== undefined && body !== null && typeof body === 'object' && Object.keys(body).length > 0) {
      throw httpErrors.create('INVALID_REQUEST', 'truncate takes its parameters in the query string (file, keep)', { fields: Object.keys(body) });
    }
    const file = readQuery(req, 'file');
    if (file === undefined) throw kanErrors.create('INVALID_PARAMETER', 'file is required', { parameter: 'file' });
    const keep = readIntegerQuery(req, 'keep', DEFAULT_KEEP_BYTES, 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_KEEP_BYTES;
    const caller = getCaller(req);
    const subject = caller.subject ?? 'unknown';
    const record = (outcome: 'done' | 'refused' | 'failed', details: Record<string, unknown>, code?: string): void => {
      deps.audit.record({ action: 'logs/truncate', subject, outcome, ...(code !== undefined ? { code } : {}), requestId: caller.requestId, details: { file, keep, ...details } });
    };
    let outcome: TruncateOutcome;
    try {
      if (file !== 'all') {
        await resolveLogName(deps.dir, file); // 400 / 404 before anything happens
        if (isProtectedLogName(file)) throw kanErrors.create('AUDIT_LOG_PROTECTED', undefined, { file });
      }
      const names = file === 'all' ? (await listLogs(deps.dir)).map((e) => e.name) : [file];
      outcome = await truncateLogs(deps.dir, names, keep, { settings: locks, logger: deps.logger });
      const refused = file === 'all' ? undefined : outcome.skipped[0];
      if (refused !== undefined) throw kanErrors.create(refused.code, refused.reason, { file });
    } catch (err) {
      // Nothing truncated: a protected, busy or missing file is `refused`; a failure to truncate (500) is `failed`.
      if (err instanceof ApiError) record(err.status === 500 ? 'failed' : 'refused', {}, err.code);
      else record('failed', {}, 'INTERNAL_ERROR');
      throw err;
    }
    for (const r of outcome.results) deps.metrics?.logTruncations.inc({ method: r.method });
    record('done', { results: outcome.results, skipped: outcome.skipped });
    deps.logger.info('logs truncated', { file, keep, results: outcome.results, skipped: outcome.skipped, subject });
    sendJson(res, { keep, results: outcome.results, skipped: outcome.skipped });
  });
  defineRoute(router, '/kan/v1/logs/truncate', { GET: { roles: MAINTENANCE_ROLES, handler: truncate }, POST: { roles: MAINTENANCE_ROLES, handler: truncate } }, { stateChange: 'logs/truncate' });
  return router;
}
