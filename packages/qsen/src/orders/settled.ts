/**
 * The compact form of a settled order (docs/qsen.md, "Memory"). An order whose fate at SENEBI is
 * final (accepted or rejected) and whose cancel, if any, is final too (cancelled or matched) only
 * changes again if the platform cancels it; until then qsen only reads it, to answer replays. The
 * order book keeps such an entry as one string instead of four objects and a dozen small strings
 * (about a quarter of the memory, bench/RESULTS.md issue 17): a positional JSON array where every
 * field of SENEBI's echo that repeats the order's own field is written `1`.
 *
 * The form is exact: decodeSettled(encodeSettled(e)) deep-equals e, key order of SENEBI's echo
 * included, so every answer built from it is the same bytes (packages/qsen/test/settled.test.ts,
 * the property test in packages/qsen/test/book-bounded.test.ts). An entry the form cannot hold
 * exactly (no content, content with other fields than an order's, a number in SENEBI's echo) is
 * not settled: the book keeps it as it is.
 */
import type { Uint64 } from '@qsen/core/ids';
import { CANCEL_STATES, FINAL_CANCEL_STATES, FINAL_STATES, ORDER_FIELDS, ORDER_STATES, type CancelEntry, type CancelState, type OrderContent, type OrderEntry, type OrderState } from './order.js';
import { isJsonObject, type WireObject } from '../senebi/wire.js';

/** Version tag, first element of every compact entry. */
const FORM = 1;
/** Marker of an echo field equal to the order's field of the same name. */
const SAME = 1;

/** Tells whether a SENEBI echo holds only values the form keeps exactly (strings, booleans, null, nested objects and arrays of those). */
function isPlainWire(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every(isPlainWire);
  if (!isJsonObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value)) if (!isPlainWire(value[key])) return false;
  return true;
}

/** The order's fields by name, for squeeze and expand. */
const ORDER_FIELD_SET: ReadonlySet<string> = new Set(ORDER_FIELDS);

/** Tells whether content has exactly an order's fields, in order, all strings. */
function isCanonicalContent(order: OrderContent): boolean {
  const keys = Object.keys(order);
  return keys.length === ORDER_FIELDS.length && keys.every((key, i) => key === ORDER_FIELDS[i] && typeof order[key as keyof OrderContent] === 'string');
}

/**
 * Tells whether an entry is settled (final state, final or no cancel) and the compact form holds
 * it exactly; only such entries are compacted.
 */
export function isSettled(entry: OrderEntry): boolean {
  if (!entry.order || !FINAL_STATES.includes(entry.state) || !isCanonicalContent(entry.order)) return false;
  if (entry.senebi && !isPlainWire(entry.senebi)) return false;
  if (!entry.cancel) return true;
  return FINAL_CANCEL_STATES.includes(entry.cancel.state) && (!entry.cancel.senebi || isPlainWire(entry.cancel.senebi));
}

/** SENEBI's echo with every field equal to the order's own written as SAME. */
function squeeze(echo: WireObject | undefined, order: OrderContent): WireObject | null {
  if (!echo) return null;
  const out: WireObject = {};
  for (const key of Object.keys(echo)) {
    const value = echo[key];
    out[key] = ORDER_FIELD_SET.has(key) && value === order[key as keyof OrderContent] ? SAME : value;
  }
  return out;
}

function expand(squeezed: unknown, order: OrderContent): WireObject | undefined {
  if (!isJsonObject(squeezed)) return undefined;
  const out: WireObject = {};
  for (const [key, value] of Object.entries(squeezed)) out[key] = value === SAME ? order[key as keyof OrderContent] : value;
  return out;
}

/** True when two types are the same. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** encodeSettled writes the order's fields by name: this fails to compile when ORDER_FIELDS changes. */
const ENCODED_FIELDS_ARE_ORDER_FIELDS: Same<typeof ORDER_FIELDS, readonly ['id', 'instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty']> = true;
void ENCODED_FIELDS_ARE_ORDER_FIELDS;

/** Encodes a settled entry (isSettled(entry) must hold) as its compact string. */
export function encodeSettled(entry: OrderEntry): string {
  const order = entry.order as OrderContent;
  const cancel = entry.cancel
    ? [entry.cancel.state, entry.cancel.requestedAt, entry.cancel.updatedAt, entry.cancel.error ?? null, squeeze(entry.cancel.senebi, order)]
    : null;
  // The order's fields after its id, in ORDER_FIELDS order, written out (no slice, map or spread:
  // the start-up replay encodes every order of the journal once, bench/RESULTS.md).
  return JSON.stringify([
    FORM, entry.state, entry.receivedAt, entry.updatedAt, entry.error ?? null,
    order.instrument, order.side, order.quantity, order.price, order.currency, order.settlement, order.counterparty,
    squeeze(entry.senebi, order), cancel,
  ]);
}

/** Thrown when a compact string is not one encodeSettled wrote (a bug, never data from outside). */
export class SettledFormError extends Error {
  constructor(readonly id: Uint64) {
    super(`order ${id}: the book's compact entry cannot be read`);
    this.name = 'SettledFormError';
  }
}

/** Decodes a compact string back into the entry it was made from (a fresh object). */
export function decodeSettled(id: Uint64, text: string): OrderEntry {
  const parts: unknown = JSON.parse(text);
  if (!Array.isArray(parts) || parts[0] !== FORM || parts.length !== 6 + ORDER_FIELDS.length) throw new SettledFormError(id);
  const [, state, receivedAt, updatedAt, error] = parts as [number, OrderState, string, string, string | null];
  if (!ORDER_STATES.includes(state)) throw new SettledFormError(id);
  const fields = parts.slice(5, 4 + ORDER_FIELDS.length) as string[];
  const order = Object.fromEntries([['id', id], ...ORDER_FIELDS.slice(1).map((field, i) => [field, fields[i]])]) as unknown as OrderContent;
  const entry: OrderEntry = { order, state, receivedAt, updatedAt };
  const senebi = expand(parts[4 + ORDER_FIELDS.length], order);
  if (senebi) entry.senebi = senebi;
  if (error !== null) entry.error = error;
  const rawCancel: unknown = parts[5 + ORDER_FIELDS.length];
  if (Array.isArray(rawCancel)) {
    const [cancelState, requestedAt, cancelUpdatedAt, cancelError, cancelSenebi] = rawCancel as [CancelState, string, string, string | null, unknown];
    if (!CANCEL_STATES.includes(cancelState)) throw new SettledFormError(id);
    const cancel: CancelEntry = { state: cancelState, requestedAt, updatedAt: cancelUpdatedAt };
    const echo = expand(cancelSenebi, order);
    if (echo) cancel.senebi = echo;
    if (cancelError !== null) cancel.error = cancelError;
    entry.cancel = cancel;
  }
  return entry;
}
