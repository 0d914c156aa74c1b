/**
 * The in-memory view of every order qsen has journaled: its content, its state and SENEBI's
 * answer. Rebuilt from the journal at start; the journal stays the source of truth. One function,
 * applyRecord, turns a record into the entry's new state, for the replay and for the live path.
 *
 * Settled entries (final state, final or no cancel) are kept in a compact string form
 * (orders/settled.ts) and decoded on each read, so the book's memory per order of the day is a
 * quarter of what full objects take; entries still under way stay objects, the same object from
 * one read to the next (docs/qsen.md, "Memory").
 */
import type { Uint64 } from '@qsen/core/ids';
import type { DamagedLine, JournalRecord } from '../journal/records.js';
import { FINAL_CANCEL_STATES, FINAL_STATES, type CancelEntry, type OrderEntry } from './order.js';
import { decodeSettled, encodeSettled, isSettled } from './settled.js';
import type { WireObject } from '../senebi/wire.js';

export type { CancelEntry, OrderEntry } from './order.js';

/**
 * The order book: every journaled order by id, in the order the journal first named them. Reads
 * of a settled entry return a fresh decoded copy; only applyRecord changes the book.
 */
export interface OrderBook extends ReadonlyMap<Uint64, OrderEntry> {
  /** Stores an entry applyRecord produced (compacted when settled); nothing else calls it. */
  keep(id: Uint64, entry: OrderEntry): void;
  /** Entries held in the compact form now. */
  settledCount(): number;
  /**
   * The entries not settled, without decoding the settled ones: every order or cancel whose fate
   * is uncertain is among them (start-up reconciliation reads these, not the whole day).
   */
  unsettled(): IterableIterator<[Uint64, OrderEntry]>;
}

/** How a book keeps its entries. */
export interface OrderBookOptions {
  /** Keep settled entries in the compact form (default true; false keeps every entry an object, the reference the tests compare with). */
  readonly compactSettled?: boolean;
}

/** Creates an empty order book. */
export function createOrderBook(options: OrderBookOptions = {}): OrderBook {
  const compact = options.compactSettled ?? true;
  const entries = new Map<Uint64, OrderEntry | string>();
  let settled = 0;
  const read = (id: Uint64, stored: OrderEntry | string): OrderEntry => (typeof stored === 'string' ? decodeSettled(id, stored) : stored);
  function* pairs(): IterableIterator<[Uint64, OrderEntry]> {
    for (const [id, stored] of entries) yield [id, read(id, stored)];
  }
  function* unsettled(): IterableIterator<[Uint64, OrderEntry]> {
    for (const [id, stored] of entries) if (typeof stored !== 'string') yield [id, stored];
  }
  function* values(): IterableIterator<OrderEntry> {
    for (const [id, stored] of entries) yield read(id, stored);
  }
  const book: OrderBook = {
    get(id) {
      const stored = entries.get(id);
      return stored === undefined ? undefined : read(id, stored);
    },
    has: (id) => entries.has(id),
    get size() {
      return entries.size;
    },
    keep(id, entry) {
      const before = entries.get(id);
      const stored = compact && isSettled(entry) ? encodeSettled(entry) : entry;
      settled += (typeof stored === 'string' ? 1 : 0) - (typeof before === 'string' ? 1 : 0);
      entries.set(id, stored);
    },
    settledCount: () => settled,
    unsettled,
    entries: pairs,
    keys: () => entries.keys(),
    values,
    forEach(callback, thisArg?: unknown) {
      for (const [id, entry] of pairs()) callback.call(thisArg, entry, id, book);
    },
    [Symbol.iterator]: pairs,
  };
  return book;
}

/** Error code on entries whose records were lost to journal damage. */
export const JOURNAL_DAMAGED = 'JOURNAL_DAMAGED';

/**
 * Applies one journal record to the book (replay and live path alike):
 * - `order`: a new entry in `received`, or the content of an entry that had lost it;
 * - `state`: the entry's new state, SENEBI's answer and error code; for an id without an order
 *   record (its order record was damaged), an entry without content;
 * - `damaged`: records of this id were lost, so unless the entry already holds SENEBI's final
 *   answer (always its last record), it is `unknown` and reconciled by id; a cancel under way is
 *   `unknown` too (its retry resends the idempotent cancel);
 * - `cancel`: the cancel's new step (an id without an order record gets an entry without content).
 * Returns the entry.
 */
export function applyRecord(book: OrderBook, record: JournalRecord): OrderEntry {
  const entry = stepEntry(book.get(record.id), record);
  book.keep(record.id, entry);
  return entry;
}

/** The entry after one record (mutates and returns `entry` when there is one, else a new entry). */
function stepEntry(entry: OrderEntry | undefined, record: JournalRecord): OrderEntry {
  if (record.type === 'order') {
    if (!entry) return { order: record.order, state: 'received', receivedAt: record.at, updatedAt: record.at };
    entry.order ??= record.order;
    return entry;
  }
  if (!entry) {
    entry = { order: undefined, state: 'unknown', receivedAt: record.at, updatedAt: record.at, error: JOURNAL_DAMAGED };
    if (record.type === 'damaged') return entry;
  }
  if (record.type === 'damaged') {
    if (!FINAL_STATES.includes(entry.state)) {
      entry.state = 'unknown';
      entry.error = JOURNAL_DAMAGED;
    }
    if (entry.cancel && !FINAL_CANCEL_STATES.includes(entry.cancel.state)) {
      entry.cancel.state = 'unknown';
      entry.cancel.error = JOURNAL_DAMAGED;
    }
    return entry;
  }
  if (record.type === 'cancel') {
    const cancel: CancelEntry = entry.cancel ?? { state: record.cancel, requestedAt: record.at, updatedAt: record.at };
    cancel.state = record.cancel;
    cancel.updatedAt = record.at;
    if (record.senebi) cancel.senebi = record.senebi;
    if (record.error !== undefined) cancel.error = record.error;
    else delete cancel.error;
    entry.cancel = cancel;
    return entry;
  }
  entry.state = record.state;
  entry.updatedAt = record.at;
  if (record.senebi) entry.senebi = record.senebi;
  if (record.error !== undefined) entry.error = record.error;
  else delete entry.error;
  return entry;
}

/** What journal damage a replay must mark: the torn tail's ids and the damaged lines. */
export interface JournalDamage {
  readonly tornIds: readonly Uint64[];
  readonly damaged: readonly DamagedLine[];
}

/**
 * Marks every id that journal damage touched (torn tail, damaged lines) possibly forwarded
 * (`damaged`, applied after the intact records).
 */
export function markDamage(book: OrderBook, damage: JournalDamage, at: string): OrderBook {
  const touched = [...damage.tornIds, ...damage.damaged.flatMap((d) => (d.id === undefined ? [] : [d.id]))];
  for (const id of touched) applyRecord(book, { type: 'damaged', id, at });
  return book;
}

/** The order as answered to the platform: content, status and SENEBI's answer. */
export function describeEntry(entry: OrderEntry): WireObject {
  return {
    ...(entry.order ?? {}),
    receivedAt: entry.receivedAt,
    status: entry.state,
    ...(entry.senebi ? { senebi: entry.senebi } : {}),
  };
}
