/**
 * The in-memory view of every order qsen has journaled: its content, its state and SENEBI's
 * answer. Rebuilt from the journal at start; the journal stays the source of truth. One function,
 * applyRecord, turns a record into the entry's new state, for the replay and for the live path.
 */
import type { Uint64 } from '@qsen/core/ids';
import type { DamagedLine, JournalRecord } from '../journal/records.js';
import { FINAL_CANCEL_STATES, FINAL_STATES, type CancelState, type OrderContent, type OrderState } from './order.js';
import type { WireObject } from '../senebi/wire.js';

/** The cancel of an order as qsen knows it. */
export interface CancelEntry {
  state: CancelState;
  requestedAt: string;
  updatedAt: string;
  /** SENEBI's answer (the cancelled order) when there is one. */
  senebi?: WireObject;
  error?: string;
}

/** One order as qsen knows it. */
export interface OrderEntry {
  /** The content; undefined when journal damage destroyed it (until a retry or SENEBI's record brings it back). */
  order: OrderContent | undefined;
  state: OrderState;
  receivedAt: string;
  updatedAt: string;
  senebi?: WireObject;
  error?: string;
  /** The platform's cancel of the order, once asked for. */
  cancel?: CancelEntry;
}

/** The order book: every journaled order by id. */
export type OrderBook = Map<Uint64, OrderEntry>;

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
  let entry = book.get(record.id);
  if (record.type === 'order') {
    if (!entry) {
      entry = { order: record.order, state: 'received', receivedAt: record.at, updatedAt: record.at };
      book.set(record.id, entry);
    } else {
      entry.order ??= record.order;
    }
    return entry;
  }
  if (!entry) {
    entry = { order: undefined, state: 'unknown', receivedAt: record.at, updatedAt: record.at, error: JOURNAL_DAMAGED };
    book.set(record.id, entry);
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

/** Folds journal records (oldest first) into the order book. */
export function buildOrderBook(records: readonly JournalRecord[]): OrderBook {
  const book: OrderBook = new Map();
  for (const record of records) applyRecord(book, record);
  return book;
}

/**
 * The order book of an opened journal: its intact records, then every id that journal damage
 * touched (torn tail, damaged lines) marked possibly forwarded (`damaged`, applied last).
 */
export function recoverOrderBook(opened: { readonly records: readonly JournalRecord[]; readonly tornIds: readonly Uint64[]; readonly damaged: readonly DamagedLine[] }, at: string): OrderBook {
  const book = buildOrderBook(opened.records);
  const touched = [...opened.tornIds, ...opened.damaged.flatMap((d) => (d.id === undefined ? [] : [d.id]))];
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
