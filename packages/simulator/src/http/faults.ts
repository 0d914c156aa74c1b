/**
 * Carries out the fault engine's decision before a wire request is handled: added latency
 * (for an order submission this is the processing window: the order is not in the book yet),
 * then hang (never answer; the socket stays open until the client gives up), reset (the
 * socket is destroyed, with a TCP RST where possible) or an HTTP 5xx. Answer-side faults
 * (malformed, truncated, accepted_no_answer) and reject are left to the handlers.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { ApiError, parseUint64, requestPath, type Uint64, type LogSink } from '@qsen/core';
import { isCancelRequest, type FaultEngine } from '../faults/engine.js';
import type { SimulatorCounters } from '../counters/counters.js';
import type { SimulatorStore } from '../store/store.js';
import { simulatorErrors } from '../errors.js';
import { sendError } from './errors.js';
import { endProcessing, setFaultDecision } from './respond.js';

/** What the fault middleware needs. */
export interface FaultMiddlewareDeps {
  readonly engine: FaultEngine;
  readonly counters: SimulatorCounters;
  readonly store: SimulatorStore;
  readonly logger: LogSink;
  /** Sockets held open by the hang fault (destroyed when the simulator closes). */
  readonly hanging: Set<Socket>;
  readonly persist: () => Promise<void>;
}

/** The order id of an order submission, when its body has a readable one. */
export function submittedOrderId(req: Request): Uint64 | undefined {
  if (req.method !== 'POST' || requestPath(req) !== '/senebi/v1/orders') return undefined;
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const id = parseUint64((body as Record<string, unknown>)['id']);
  return id.ok ? id.value : undefined;
}

/** The order id of a cancel request (POST /senebi/v1/orders/ID/cancel), when the path holds a readable one. */
export function cancelledOrderId(req: Request): Uint64 | undefined {
  if (req.method !== 'POST') return undefined;
  const match = /^\/senebi\/v1\/orders\/([^/]+)\/cancel$/.exec(requestPath(req));
  if (!match?.[1]) return undefined;
  const id = parseUint64(match[1]);
  return id.ok ? id.value : undefined;
}

/** The order id a submission or a cancel request carries (its faults go into that id's history). */
function requestOrderId(req: Request): Uint64 | undefined {
  return submittedOrderId(req) ?? cancelledOrderId(req);
}

/** Destroys a socket with a TCP reset where the platform allows it. */
function resetSocket(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** Creates the middleware that applies faults to /senebi/ requests. */
export function createFaultMiddleware(deps: FaultMiddlewareDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const path = requestPath(req);
    const decision = deps.engine.decide(req.method, path);
    setFaultDecision(req, decision);
    const orderId = requestOrderId(req);
    if (decision.processMs > 0) {
      const kind = isCancelRequest(req.method, path) ? 'slow_cancel' : 'processing';
      deps.counters.countFault(kind);
      if (orderId !== undefined) deps.store.recordEvent(orderId, 'fault', kind);
    }
    if (decision.answerDelayMs > 0) {
      deps.counters.countFault('slow_answer');
      if (orderId !== undefined) deps.store.recordEvent(orderId, 'fault', 'slow_answer');
    }
    if (decision.delayMs > 0) {
      deps.counters.countFault('latency');
      if (orderId !== undefined) deps.store.recordEvent(orderId, 'fault', 'latency');
      await delay(decision.delayMs);
    }
    if (decision.outcome === undefined) {
      next();
      return;
    }
    deps.counters.countFault(decision.outcome);
    if (orderId !== undefined) deps.store.recordEvent(orderId, 'fault', decision.outcome);
    // These three end the submission without a commit.
    if (decision.outcome === 'hang' || decision.outcome === 'reset' || decision.outcome === 'http_5xx') endProcessing(req);
    deps.logger.info('fault injected', { fault: decision.outcome, method: req.method, path, ...(orderId !== undefined ? { orderId } : {}) });
    switch (decision.outcome) {
      case 'hang': {
        await deps.persist();
        const socket = req.socket;
        deps.hanging.add(socket);
        socket.once('close', () => deps.hanging.delete(socket));
        return;
      }
      case 'reset':
        await deps.persist();
        resetSocket(req.socket);
        return;
      case 'http_5xx': {
        await deps.persist();
        const spec = simulatorErrors.specs.SIMULATED_FAULT;
        sendError(res, new ApiError('SIMULATED_FAULT', decision.status ?? spec.status, spec.message));
        return;
      }
      default:
        next();
    }
  };
}
