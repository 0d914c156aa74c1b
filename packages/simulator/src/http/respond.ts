/**
 * Writing answers, with the fault decision of the request applied at the last moment:
 * slow_answer (the answer waits, the request already handled), malformed (invalid JSON),
 * truncated (half the body under the full Content-Length, then the socket is destroyed),
 * oversize (the answer padded to a huge or endless body) or accepted_no_answer (no answer, the
 * socket is destroyed).
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
  if (outcome === 'oversize') {
    writeOversize(res, status, text, decisions.get(req)?.oversizeBytes ?? 0);
    return;
  }
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

/** The padding of an oversize answer, written in pieces of this size. */
const PADDING_CHUNK = Buffer.alloc(64 * 1024, 'x');

/**
 * Writes the real answer object with one more field, `"padding"`, a run of the letter x: exactly `totalBytes` bytes (at
 * least the real answer's frame), or endless (chunked) when `totalBytes` is 0, until the client
 * closes. Writes follow the client's reading (backpressure), so the simulator's memory stays flat.
 */
function writeOversize(res: Response, status: number, answer: string, totalBytes: number): void {
  const open = answer.trimEnd().slice(0, -1).trimEnd();
  const head = Buffer.from(`${open}${open === '{' ? '' : ','}"padding":"`, 'utf8');
  const tail = Buffer.from('"}', 'utf8');
  const endless = totalBytes === 0;
  let padding = endless ? Number.POSITIVE_INFINITY : Math.max(0, totalBytes - head.length - tail.length);
  res.status(status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (!endless) res.setHeader('Content-Length', String(head.length + padding + tail.length));
  res.write(head);
  const pump = (): void => {
    while (padding > 0 && !res.destroyed) {
      const piece = padding >= PADDING_CHUNK.length ? PADDING_CHUNK : PADDING_CHUNK.subarray(0, padding);
      padding -= piece.length;
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end(tail);
  };
  pump();
}
