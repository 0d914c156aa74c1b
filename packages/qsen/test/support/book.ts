/**
 * Order books built from a whole record list, for tests. qsen's start never holds every record
 * at once: it streams them into the book (`openJournal`'s `onRecord` -> `applyRecord`), then calls
 * `markDamage`; these helpers take the same two steps over a list.
 */
import type { JournalRecord } from '../../src/journal/records.js';
import { applyRecord, createOrderBook, markDamage, type JournalDamage, type OrderBook, type OrderBookOptions } from '../../src/orders/book.js';

/** Folds journal records (oldest first) into the order book. */
export function buildOrderBook(records: readonly JournalRecord[], options: OrderBookOptions = {}): OrderBook {
  const book = createOrderBook(options);
  for (const record of records) applyRecord(book, record);
  return book;
}

/** The order book of an opened journal: its intact records, then every id that journal damage touched marked possibly forwarded. */
export function recoverOrderBook(opened: { readonly records: readonly JournalRecord[] } & JournalDamage, at: string, options: OrderBookOptions = {}): OrderBook {
  return markDamage(buildOrderBook(opened.records, options), opened, at);
}
