/**
 * Writing JSON answers without precision loss: LosslessNumber and bigint values are written
 * as exact JSON numbers (ids must be converted to strings by the caller, docs/api.md §3).
 */
import type { ServerResponse } from 'node:http';
import { stringifyJsonLossless } from '../json/lossless.js';

/** Sends `body` as JSON with `status` (default 200). */
export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = stringifyJsonLossless(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
