/**
 * Writing answers, with the fault decision of the request applied at the last moment:
 * malformed (invalid JSON), truncated (half the body under the full Content-Length, then the
 * socket is destroyed) or accepted_no_answer (no answer, the socket is destroyed).
 */
import type { Request, Response } from 'express';
import { stringifyJsonLossless } from '@qsen/core';
import type { FaultDecision } from '../faults/engine.js';

const decisions = new WeakMap<Request, FaultDecision>();

/** Remembers the fault decision of a request. */
export function setFaultDecision(req: Request, decision: FaultDecision): void {
  decisions.set(req, decision);
}

/** The fault decision of a request (none when faults did not apply). */
export function getFaultDecision(req: Request): FaultDecision | undefined {
  return decisions.get(req);
}

/** Sends a JSON answer (ids as bare numbers via LosslessNumber), applying answer-side faults. */
export function sendWire(req: Request, res: Response, status: number, body: unknown): void {
  const outcome = decisions.get(req)?.outcome;
  if (outcome === 'accepted_no_answer') {
    req.socket.destroy();
    return;
  }
  let text = stringifyJsonLossless(body);
  if (outcome === 'malformed') text = `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))}<<not json>>`;
  const bytes = Buffer.from(text, 'utf8');
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(bytes.length));
  if (outcome === 'truncated') {
    res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => {
      req.socket.destroy();
    });
    return;
  }
  res.end(bytes);
}
