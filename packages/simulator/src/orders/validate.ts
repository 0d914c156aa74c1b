/**
 * Order validation as an exchange does it: a pure function of the request body and the listed
 * instruments. A body without a readable id cannot be answered as an order (invalid request);
 * any other problem rejects the order with a reason.
 */
import { isLosslessNumber, parseUint64, type Uint64 } from '@qsen/core';
import { ORDER_FIELD_NAMES, type OrderFields } from './types.js';

/** The outcome of validating one order request. */
export type OrderValidation =
  | { readonly kind: 'invalid_request'; readonly field: string; readonly message: string }
  | { readonly kind: 'rejected'; readonly id: Uint64; readonly echo: Partial<Record<keyof OrderFields, string>>; readonly reason: string }
  | { readonly kind: 'valid'; readonly id: Uint64; readonly fields: OrderFields };

const INSTRUMENT_PATTERN = /^[A-Z0-9.]{1,12}$/;
const QUANTITY_PATTERN = /^[1-9][0-9]{0,17}$/;
const PRICE_PATTERN = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$/;
const COUNTERPARTY_PATTERN = /^[0-9]{1,6}$/;
const KNOWN_KEYS: ReadonlySet<string> = new Set(['id', ...ORDER_FIELD_NAMES]);

/** Reads a JSON value as text: strings as they are, JSON numbers as their exact source text. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.toString();
  return undefined;
}

/** Tells whether a value is a plain JSON object. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}

/** Validates one order request body against the listed instruments. */
export function validateOrder(body: unknown, listed: ReadonlySet<string>): OrderValidation {
  if (!isRecord(body)) return { kind: 'invalid_request', field: '', message: 'the body must be a JSON object' };
  const id = parseUint64(body['id']);
  if (!id.ok) return { kind: 'invalid_request', field: 'id', message: `id is not an unsigned 64-bit integer (${id.problem})` };

  const echo: Partial<Record<keyof OrderFields, string>> = {};
  for (const name of ORDER_FIELD_NAMES) {
    const text = textOf(body[name]);
    if (text !== undefined) echo[name] = text;
  }
  const reject = (reason: string): OrderValidation => ({ kind: 'rejected', id: id.value, echo, reason });

  const unknown = Object.keys(body).find((key) => !KNOWN_KEYS.has(key));
  if (unknown !== undefined) return reject(`unknown field "${unknown}"`);
  const missing = ORDER_FIELD_NAMES.find((name) => body[name] === undefined);
  if (missing !== undefined) return reject(`missing field "${missing}"`);

  const { instrument, side, quantity, price, currency, settlement, counterparty } = echo;
  if (instrument === undefined || typeof body['instrument'] !== 'string' || !INSTRUMENT_PATTERN.test(instrument)) return reject('invalid instrument: 1 to 12 characters [A-Z0-9.]');
  if (!listed.has(instrument)) return reject(`unknown instrument ${instrument}`);
  if (side !== 'buy' && side !== 'sell') return reject('invalid side: buy or sell');
  if (quantity === undefined || !QUANTITY_PATTERN.test(quantity)) return reject('invalid quantity: a positive integer nominal value');
  if (price === undefined || !PRICE_PATTERN.test(price) || !/[1-9]/.test(price)) return reject('invalid price: a positive decimal with at most 6 decimals');
  if (currency !== 'ARS' && currency !== 'USD' && currency !== 'EXT') return reject('invalid currency: ARS, USD or EXT');
  if (settlement !== 'T0' && settlement !== 'T1') return reject('invalid settlement: T0 or T1');
  if (counterparty === undefined || !COUNTERPARTY_PATTERN.test(counterparty)) return reject('invalid counterparty: 1 to 6 digits');

  return { kind: 'valid', id: id.value, fields: { instrument, side, quantity, price, currency, settlement, counterparty } };
}

/** Tells whether two agent codes are the same participant (codes compare as numbers). */
export function isSameAgentCode(a: string, b: string): boolean {
  return /^[0-9]+$/.test(a) && /^[0-9]+$/.test(b) && BigInt(a) === BigInt(b);
}
