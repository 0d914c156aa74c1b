/**
 * The in-memory view of every order qsen has journaled: its content, its state and SENEBI's
 * answer. Rebuilt from the journal at start; the journal stays the source of truth.
 */
import type { Uint64 } from '@qsen/core';
import type { JournalRecord, OrderState } from '../journal/records.js';
import type { WireObject } from '../senebi/wire.js';
import type { OrderContent } from './validation.js';

/** One order as qsen knows it. */
export interface OrderEntry {
  order: OrderContent;
  state: OrderState;
  receivedAt: string;
  updatedAt: string;
  senebi?: WireObject;
  error?: string;
}

/** States after which the order's fate at SENEBI is known and final. */
export const FINAL_STATES: readonly OrderState[] = ['accepted', 'rejected'];

/** States whose fate at SENEBI must be asked by id before anything else happens to the order. */
export const UNCERTAIN_STATES: readonly OrderState[] = ['received', 'sent', 'unknown'];

/** Folds journal records (oldest first) into the order book. */
export function buildOrderBook(records: readonly JournalRecord[]): Map<Uint64, OrderEntry> {
  const book = new Map<Uint64, OrderEntry>();
  for (const record of records) {
    if (record.type === 'order') {
      if (!book.has(record.id)) book.set(record.id, { order: record.order, state: 'received', receivedAt: record.at, updatedAt: record.at });
      continue;
    }
    const entry = book.get(record.id);
    if (!entry) continue;
    entry.state = record.state;
    entry.updatedAt = record.at;
    if (record.senebi) entry.senebi = record.senebi;
    if (record.error !== undefined) entry.error = record.error;
    else delete entry.error;
  }
  return book;
}

/** The order as answered to the platform: content, status and SENEBI's answer. */
export function describeEntry(entry: OrderEntry): WireObject {
  return {
    ...entry.order,
    receivedAt: entry.receivedAt,
    status: entry.state,
    ...(entry.senebi ? { senebi: entry.senebi } : {}),
  };
}
