/**
 * The compact form of a settled order (docs/qsen.md, "Memory"). An order whose fate at SENEBI is
 * final (accepted or rejected) and whose cancel, if any, is final too (cancelled or matched) only
 * changes again if the platform cancels it; until then qsen only reads it, to answer replays. The
 * order book keeps such an entry as one flat string instead of four objects and a dozen small
 * strings: a positional JSON array in which
 * - the states are their index in ORDER_STATES and CANCEL_STATES;
 * - a time in the form toISOString writes is its milliseconds (the order's reception since the
 *   epoch, every other time since that reception), any other text as it is;
 * - SENEBI's echo is its shape's number (its keys in order, written once per process in a bounded
 *   table) and its values, each field that repeats the order's own field written `1`.
 *
 * The form is exact: decodeSettled(encodeSettled(e)) deep-equals e, key order of SENEBI's echo
 * included, so every answer built from it is the same bytes (packages/qsen/test/settled.test.ts,
 * the property test in packages/qsen/test/book-bounded.test.ts). An entry the form cannot hold
 * exactly (no content, content with other fields than an order's, a number in SENEBI's echo) is
 * not settled: the book keeps it as it is.
 */
import type { Uint64 } from '@qsen/core/ids';
import { CANCEL_STATES, FINAL_CANCEL_STATES, FINAL_STATES, ORDER_FIELDS, ORDER_STATES, type CancelEntry, type OrderContent, type OrderEntry } from './order.js';
import { isJsonObject, type WireObject } from '../senebi/wire.js';

/** Version tag, first element of every compact entry. */
const FORM = 2;
/** Marker of an echo field equal to the order's field of the same name (an echo the form holds has no numbers). */
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

/**
 * The most echo shapes (key lists) one process writes by number. SENEBI answers in a handful of
 * shapes (accepted, rejected with its reason, cancelled); an echo of a shape past the table keeps
 * its keys (an object, as form 1 wrote every echo), so the table stays bounded whatever arrives.
 */
export const MAX_ECHO_SHAPES = 256;
/** Shape number by the JSON text of its keys, and the keys by number (process-wide, only grows). */
const shapeNumbers = new Map<string, number>();
const shapeKeys: Array<readonly string[]> = [];

/** The number of an echo's shape, taken now if the table has room; undefined when it is full. */
function shapeNumberOf(keys: readonly string[]): number | undefined {
  const name = JSON.stringify(keys);
  let number = shapeNumbers.get(name);
  if (number === undefined && shapeKeys.length < MAX_ECHO_SHAPES) {
    number = shapeKeys.length;
    shapeKeys.push(keys);
    shapeNumbers.set(name, number);
  }
  return number;
}

/** An echo's value, or SAME when it repeats the order's field of that name. */
function squeezeValue(key: string, value: unknown, order: OrderContent): unknown {
  return ORDER_FIELD_SET.has(key) && value === order[key as keyof OrderContent] ? SAME : value;
}

/** SENEBI's echo as `[shape, ...values]` (its keys as an object when the shape table is full), each field equal to the order's own written as SAME. */
function squeeze(echo: WireObject | undefined, order: OrderContent): unknown[] | WireObject | null {
  if (!echo) return null;
  const keys = Object.keys(echo);
  const shape = shapeNumberOf(keys);
  if (shape === undefined) {
    const out: WireObject = {};
    for (const key of keys) out[key] = squeezeValue(key, echo[key], order) as WireObject[string];
    return out;
  }
  const out: unknown[] = [shape];
  for (const key of keys) out.push(squeezeValue(key, echo[key], order));
  return out;
}

function expand(id: Uint64, squeezed: unknown, order: OrderContent): WireObject | undefined {
  const out: WireObject = {};
  if (Array.isArray(squeezed)) {
    const keys = typeof squeezed[0] === 'number' ? shapeKeys[squeezed[0]] : undefined;
    if (!keys || keys.length !== squeezed.length - 1) throw new SettledFormError(id);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const value: unknown = squeezed[i + 1];
      out[key] = (value === SAME ? order[key as keyof OrderContent] : value) as WireObject[string];
    }
    return out;
  }
  if (!isJsonObject(squeezed)) return undefined;
  for (const [key, value] of Object.entries(squeezed)) out[key] = value === SAME ? order[key as keyof OrderContent] : value;
  return out;
}

/** A time as the form writes it: its milliseconds since `base` when toISOString writes it back the same, else the text. */
function squeezeTime(text: string, base: number): number | string {
  const ms = Date.parse(text);
  return Number.isFinite(ms) && new Date(ms).toISOString() === text ? ms - base : text;
}

function expandTime(id: Uint64, value: unknown, base: number): string {
  if (typeof value === 'string') return value;
  const date = typeof value === 'number' ? new Date(base + value) : undefined;
  if (!date || !Number.isFinite(date.getTime())) throw new SettledFormError(id);
  return date.toISOString();
}

/** The instant other times are counted from: the order's reception, when the form wrote it as a number. */
const baseOf = (receivedAt: number | string): number => (typeof receivedAt === 'number' ? receivedAt : 0);

/**
 * V8 builds JSON.stringify's text as a rope (pieces of 32, 64, 128... characters and the links
 * between them: a third more memory than the characters). Reading one of its characters makes V8
 * copy it into one flat string, and the next collection keeps that alone: the book holds flat text.
 */
function flat(text: string, id: Uint64): string {
  if (text.charCodeAt(text.length - 1) !== 0x5d) throw new SettledFormError(id); // `]`: the array encodeSettled wrote
  return text;
}

/** True when two types are the same. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** encodeSettled writes the order's fields by name: this fails to compile when ORDER_FIELDS changes. */
const ENCODED_FIELDS_ARE_ORDER_FIELDS: Same<typeof ORDER_FIELDS, readonly ['id', 'instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty']> = true;
void ENCODED_FIELDS_ARE_ORDER_FIELDS;

/** Encodes a settled entry (isSettled(entry) must hold) as its compact string. */
export function encodeSettled(entry: OrderEntry): string {
  const order = entry.order as OrderContent;
  const receivedAt = squeezeTime(entry.receivedAt, 0);
  const base = baseOf(receivedAt);
  const cancel = entry.cancel
    ? [CANCEL_STATES.indexOf(entry.cancel.state), squeezeTime(entry.cancel.requestedAt, base), squeezeTime(entry.cancel.updatedAt, base), entry.cancel.error ?? null, squeeze(entry.cancel.senebi, order)]
    : null;
  // The order's fields after its id, in ORDER_FIELDS order, written out (no slice, map or spread:
  // the start-up replay encodes every order of the journal once, bench/RESULTS.md).
  return flat(JSON.stringify([
    FORM, ORDER_STATES.indexOf(entry.state), receivedAt, squeezeTime(entry.updatedAt, base), entry.error ?? null,
    order.instrument, order.side, order.quantity, order.price, order.currency, order.settlement, order.counterparty,
    squeeze(entry.senebi, order), cancel,
  ]), order.id);
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
  const [, stateNumber, rawReceivedAt, rawUpdatedAt, error] = parts as [number, unknown, number | string, unknown, string | null];
  const state = typeof stateNumber === 'number' ? ORDER_STATES[stateNumber] : undefined;
  if (state === undefined) throw new SettledFormError(id);
  const base = baseOf(rawReceivedAt);
  const fields = parts.slice(5, 4 + ORDER_FIELDS.length) as string[];
  const order = Object.fromEntries([['id', id], ...ORDER_FIELDS.slice(1).map((field, i) => [field, fields[i]])]) as unknown as OrderContent;
  const entry: OrderEntry = { order, state, receivedAt: expandTime(id, rawReceivedAt, 0), updatedAt: expandTime(id, rawUpdatedAt, base) };
  const senebi = expand(id, parts[4 + ORDER_FIELDS.length], order);
  if (senebi) entry.senebi = senebi;
  if (error !== null) entry.error = error;
  const rawCancel: unknown = parts[5 + ORDER_FIELDS.length];
  if (Array.isArray(rawCancel)) {
    const [cancelNumber, requestedAt, cancelUpdatedAt, cancelError, cancelSenebi] = rawCancel as [unknown, unknown, unknown, string | null, unknown];
    const cancelState = typeof cancelNumber === 'number' ? CANCEL_STATES[cancelNumber] : undefined;
    if (cancelState === undefined) throw new SettledFormError(id);
    const cancel: CancelEntry = { state: cancelState, requestedAt: expandTime(id, requestedAt, base), updatedAt: expandTime(id, cancelUpdatedAt, base) };
    const echo = expand(id, cancelSenebi, order);
    if (echo) cancel.senebi = echo;
    if (cancelError !== null) cancel.error = cancelError;
    entry.cancel = cancel;
  }
  return entry;
}
