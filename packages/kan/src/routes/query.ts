/** Query-string readers shared by kan's routes: one value per parameter, integers checked. */
import type express from 'express';
import { kanErrors } from '../errors.js';

/** The single value of a query parameter (undefined when absent; 400 when repeated or not text). */
export function readQuery(req: express.Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw kanErrors.create('INVALID_PARAMETER', `${name} must be given once`, { parameter: name });
  return value;
}

/** A non-negative integer query parameter within [min, max] (the default when absent). */
export function readIntegerQuery(req: express.Request, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const text = readQuery(req, name);
  if (text === undefined) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw kanErrors.create('INVALID_PARAMETER', `${name} must be a whole number`, { parameter: name });
  const n = Number(text);
  if (n < min || n > max) throw kanErrors.create('INVALID_PARAMETER', `${name} must be between ${min} and ${max}`, { parameter: name, min, max });
  return n;
}
