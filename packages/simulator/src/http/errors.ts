/**
 * The error middleware (contract error body) and the 404/405 answers.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { ApiError, stringifyJsonLossless, type LogSink, errorMessage } from '@qsen/core';
import { simulatorErrors } from '../errors.js';

/** Sends an ApiError as the contract's error body. */
export function sendError(res: Response, error: ApiError): void {
  const text = stringifyJsonLossless(error.toBody());
  res.status(error.status).setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(text);
}

/** Answers 405 on a known path with a method it does not serve. */
export function methodNotAllowed(_req: Request, res: Response): void {
  sendError(res, simulatorErrors.create('METHOD_NOT_ALLOWED'));
}

/** Answers 404 for any path nobody serves. */
export function notFound(_req: Request, res: Response): void {
  sendError(res, simulatorErrors.create('NOT_FOUND'));
}

/** Turns thrown errors into the contract's error body (ApiError as is, anything else 500). */
export function createErrorHandler(logger: LogSink): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      req.socket.destroy();
      return;
    }
    if (err instanceof ApiError) {
      sendError(res, err);
      return;
    }
    const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
    if (type === 'entity.too.large') {
      sendError(res, simulatorErrors.create('PAYLOAD_TOO_LARGE'));
      return;
    }
    if (typeof type === 'string') {
      sendError(res, simulatorErrors.create('INVALID_JSON', 'the body could not be read'));
      return;
    }
    logger.error('request failed', { method: req.method, path: req.path, error: errorMessage(err) });
    sendError(res, simulatorErrors.create('INTERNAL_ERROR'));
  };
}
