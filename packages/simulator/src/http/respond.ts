/**
 * Writing answers, with the fault decision of the request applied at the last moment:
 * slow_answer (the answer waits, the request already handled), malformed (invalid JSON),
 * truncated (half the body under the full Content-Length, then the socket is destroyed) or
 * accepted_no_answer (no answer, the socket is destroyed).
 */
import type { Request, Response } from 'express';
import { stringifyJsonLossless } from '@qsen/core';
import type { FaultDecision } from '../faults/engine.js';

const decisions = new WeakMap<Request, FaultDecision>();
const processingEnds = new WeakMap<Request, () => void>();

/** Remembers how to end the processing window of an order submission. */
export function setProcessingEnd(req: Request, end: () => void): void {
  processingEnds.set(req, end);
}

/** Ends the processing window of an order submission (it was just committed or refused). */
export function endProcessing(req: Request): void {
  processingEnds.get(req)?.();
}

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
  const answerDelayMs = decisions.get(req)?.answerDelayMs ?? 0;
  if (answerDelayMs > 0) {
    const timer = setTimeout(() => writeWire(req, res, status, body), answerDelayMs);
    req.socket.once('close', () => clearTimeout(timer));
    return;
  }
  writeWire(req, res, status, body);
}

/** Writes the answer now, with the answer-side outcome fault of the request. */
function writeWire(req: Request, res: Response, status: number, body: unknown): void {
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
