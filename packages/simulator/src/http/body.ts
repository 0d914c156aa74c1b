/**
 * Lossless JSON request bodies: at most 64 KiB (413 PAYLOAD_TOO_LARGE), parsed with
 * parseJsonLossless so 19-20 digit ids and decimal prices stay exact (400 INVALID_JSON).
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { parseJsonLossless } from '@qsen/core';
import { simulatorErrors } from '../errors.js';

/** The body limit of every request. */
export const MAX_BODY_BYTES = 65_536;

const readRaw = express.raw({ type: () => true, limit: MAX_BODY_BYTES, inflate: false });

/** Parses the body into `req.body` (an empty body is `{}`; numbers are LosslessNumber). */
export const readJsonBody: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
  readRaw(req, res, (err?: unknown) => {
    if (err !== undefined && err !== null) {
      next(err);
      return;
    }
    const raw: unknown = req.body;
    let text: string;
    try {
      text = Buffer.isBuffer(raw) ? new TextDecoder('utf-8', { fatal: true }).decode(raw) : '';
    } catch (cause) {
      next(simulatorErrors.create('INVALID_JSON', 'the body is not UTF-8 text', undefined, cause));
      return;
    }
    if (text.trim() === '') {
      req.body = {};
      next();
      return;
    }
    try {
      req.body = parseJsonLossless(text);
    } catch (cause) {
      next(simulatorErrors.create('INVALID_JSON', undefined, undefined, cause));
      return;
    }
    next();
  });
};
