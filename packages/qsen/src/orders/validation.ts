/**
 * sendOrder request validation (docs/api.md §3 and §4). Pure: raw parsed JSON in (numbers as
 * LosslessNumber), a canonical order out, or an INVALID_REQUEST / ID_OUT_OF_RANGE error naming
 * the field. The body is read once: the id first (so the fence applies before anything else is
 * looked at), then the other fields. Quantities and prices stay exact decimal strings; ids never
 * pass through a JS number.
 */
import { ORDER_CURRENCIES, ORDER_SETTLEMENTS } from '@qsen/core/config';
import { isInRange, parseUint64, type IdRange, type Uint64 } from '@qsen/core/ids';
import { isLosslessNumber } from '@qsen/core/json';
import { qsenErrors } from '../errors.js';
import { ORDER_FIELDS, type Currency, type OrderContent, type Settlement, type Side } from './order.js';

const FIELDS = ORDER_FIELDS;
const SIDES: readonly string[] = ['buy', 'sell'];
const CURRENCIES: readonly string[] = ORDER_CURRENCIES;
const SETTLEMENTS: readonly string[] = ORDER_SETTLEMENTS;
const MAX_QUANTITY_DIGITS = 18;
const MAX_PRICE_INTEGER_DIGITS = 12;
const MAX_PRICE_DECIMALS = 6;

function invalid(field: string, problem: string): never {
  throw qsenErrors.create('INVALID_REQUEST', `invalid field '${field}': ${problem}`, { field, problem });
}

/** Text of a JSON string or exact JSON number; undefined for anything else. */
function numericText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.toString();
  return undefined;
}

/** Canonical form of a positive integer text, or the reason it is not one. */
export function canonicalQuantity(text: string): { ok: true; value: string } | { ok: false; problem: string } {
  if (!/^[0-9]+$/.test(text)) return { ok: false, problem: 'must be a positive integer' };
  const value = text.replace(/^0+(?=[0-9])/, '');
  if (value === '0') return { ok: false, problem: 'must be greater than zero' };
  if (value.length > MAX_QUANTITY_DIGITS) return { ok: false, problem: `at most ${MAX_QUANTITY_DIGITS} digits` };
  return { ok: true, value };
}

/** Canonical form of a positive decimal with at most 6 decimals, or the reason it is not one. */
export function canonicalPrice(text: string): { ok: true; value: string } | { ok: false; problem: string } {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return { ok: false, problem: 'must be a positive decimal like 1234.50' };
  const integer = (match[1] ?? '0').replace(/^0+(?=[0-9])/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if ((match[2] ?? '').length > MAX_PRICE_DECIMALS) return { ok: false, problem: `at most ${MAX_PRICE_DECIMALS} decimals` };
  if (integer.length > MAX_PRICE_INTEGER_DIGITS) return { ok: false, problem: `at most ${MAX_PRICE_INTEGER_DIGITS} integer digits` };
  if (integer === '0' && fraction === '') return { ok: false, problem: 'must be greater than zero' };
  return { ok: true, value: fraction === '' ? integer : `${integer}.${fraction}` };
}

/** Reads the order id of a body (a JSON object), or throws INVALID_REQUEST naming `id`. */
function readOrderId(body: unknown): Uint64 {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) invalid('body', 'must be a JSON object');
  const raw = (body as Record<string, unknown>)['id'];
  if (raw === undefined) invalid('id', 'is required');
  const parsed = parseUint64(raw);
  if (!parsed.ok) invalid('id', `must be an unsigned 64-bit decimal integer (${parsed.problem})`);
  return parsed.value;
}

/** What validation found: the canonical order, or the error with the id when it could be read (for the audit). */
export type OrderValidation = { readonly ok: true; readonly order: OrderContent } | { readonly ok: false; readonly id: Uint64 | null; readonly error: unknown };

/**
 * Validates a parsed sendOrder body into its canonical order, reading each field once; with a
 * range, an id outside it is ID_OUT_OF_RANGE before any other field is looked at. Never throws:
 * a failure carries the error (INVALID_REQUEST with details.field, or ID_OUT_OF_RANGE) and the
 * id when the id itself was readable.
 */
export function checkOrder(body: unknown, range?: IdRange): OrderValidation {
  let id: Uint64 | null = null;
  try {
    id = readOrderId(body);
    if (range && !isInRange(id, range)) throw qsenErrors.create('ID_OUT_OF_RANGE', undefined, { id, min: range.min, max: range.max });
    return { ok: true, order: readFields(body as Record<string, unknown>, id) };
  } catch (error) {
    return { ok: false, id, error };
  }
}

/** checkOrder that throws its error: the canonical order, or INVALID_REQUEST / ID_OUT_OF_RANGE. */
export function validateOrder(body: unknown, range?: IdRange): OrderContent {
  const checked = checkOrder(body, range);
  if (!checked.ok) throw checked.error;
  return checked.order;
}

/** Reads and canonicalizes every field but the (already read) id. */
function readFields(fields: Record<string, unknown>, id: Uint64): OrderContent {
  for (const key of Object.keys(fields)) {
    if (!(FIELDS as readonly string[]).includes(key)) invalid(key, 'unknown field');
  }
  for (const key of FIELDS) if (fields[key] === undefined) invalid(key, 'is required');

  const instrument = fields['instrument'];
  if (typeof instrument !== 'string' || !/^[A-Z0-9.]{1,12}$/.test(instrument)) invalid('instrument', 'must be 1 to 12 characters [A-Z0-9.]');
  const side = fields['side'];
  if (typeof side !== 'string' || !SIDES.includes(side)) invalid('side', 'must be "buy" or "sell"');
  const quantityText = numericText(fields['quantity']);
  if (quantityText === undefined) invalid('quantity', 'must be a JSON number or string');
  const quantity = canonicalQuantity(quantityText);
  if (!quantity.ok) invalid('quantity', quantity.problem);
  const priceText = numericText(fields['price']);
  if (priceText === undefined) invalid('price', 'must be a JSON number or string');
  const price = canonicalPrice(priceText);
  if (!price.ok) invalid('price', price.problem);
  const currency = fields['currency'];
  if (typeof currency !== 'string' || !CURRENCIES.includes(currency)) invalid('currency', 'must be "ARS", "USD" or "EXT"');
  const settlement = fields['settlement'];
  if (typeof settlement !== 'string' || !SETTLEMENTS.includes(settlement)) invalid('settlement', 'must be "T0" or "T1"');
  const counterparty = numericText(fields['counterparty']);
  if (counterparty === undefined || !/^[0-9]{1,6}$/.test(counterparty)) invalid('counterparty', 'must be the numeric agent code, 1 to 6 digits');

  return {
    id,
    instrument,
    side: side as Side,
    quantity: quantity.value,
    price: price.value,
    currency: currency as Currency,
    settlement: settlement as Settlement,
    counterparty,
  };
}

/**
 * The fields in which an order record read from SENEBI differs from ours, compared in canonical
 * form (SENEBI may write numbers as bare JSON numbers or with trailing zeros). A field SENEBI
 * does not echo is not a difference; one it echoes otherwise is.
 */
export function differingFields(ours: OrderContent, theirs: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const key of FIELDS) {
    if (key === 'id') continue;
    const raw = theirs[key];
    if (raw === undefined || raw === null) continue;
    const text = numericText(raw) ?? (typeof raw === 'string' ? raw : JSON.stringify(raw));
    const canonical = key === 'quantity' ? canonicalQuantity(text) : key === 'price' ? canonicalPrice(text) : { ok: true as const, value: text };
    if (!canonical.ok || canonical.value !== ours[key]) out.push(key);
  }
  return out;
}

/** Tells whether two canonical orders carry the same content (the idempotency test). */
export function isSameOrder(a: OrderContent, b: OrderContent): boolean {
  return FIELDS.every((key) => a[key] === b[key]);
}
