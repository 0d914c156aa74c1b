/**
 * Journal records and their on-disk encoding. One record per line:
 * `<crc32 of the JSON, 8 hex digits> <JSON>\n`. Ids are JSON strings.
 *
 * Reading tells three kinds of bad bytes apart (docs/qsen.md, "Journal damage"):
 * - a torn tail: the final line only (no newline, or a bad checksum on the last line), the trace
 *   of a crash during a write; it is cut off. Any order id still readable in it is reported, so
 *   that order counts as possibly forwarded;
 * - a damaged line before the last one whose order id can still be read (every id in it agrees):
 *   that order counts as possibly forwarded and is reconciled with SENEBI by id;
 * - a damaged line whose id cannot be read: the journal cannot be trusted, qsen refuses to start.
 */
import { crc32 } from 'node:zlib';
import { toUint64, type Uint64 } from '@qsen/core/ids';
import { parseJsonLossless } from '@qsen/core/json';
import { CANCEL_STATES, ORDER_STATES, type CancelState, type OrderContent, type OrderState } from '../orders/order.js';
import { isJsonObject, toWireValue, type WireObject } from '../senebi/wire.js';

/** The first record of an order: its canonical content, written (fsync) before it is forwarded. */
export interface OrderRecord {
  readonly type: 'order';
  readonly id: Uint64;
  readonly order: OrderContent;
  readonly at: string;
}

/** A change of an order's state, with SENEBI's answer when there is one. */
export interface StateRecord {
  readonly type: 'state';
  readonly id: Uint64;
  readonly state: OrderState;
  readonly senebi?: WireObject;
  /** Error code when the state comes from a failure (SENEBI_TIMEOUT, SENEBI_ERROR). */
  readonly error?: string;
  readonly at: string;
}

/** Records of this id were lost to journal damage: the order counts as possibly forwarded. */
export interface DamagedRecord {
  readonly type: 'damaged';
  readonly id: Uint64;
  readonly at: string;
  /** 1-based line of the damaged bytes when they were found. */
  readonly line?: number;
}

/**
 * A step of a cancel of an order (docs/qsen.md, "Cancel"): `requested` is written (fsync) before
 * the cancel is forwarded; the result follows (`cancelled`, `matched`, `unknown`, `not_sent`),
 * with SENEBI's answer when there is one.
 */
export interface CancelRecord {
  readonly type: 'cancel';
  readonly id: Uint64;
  readonly cancel: CancelState;
  readonly senebi?: WireObject;
  /** Error code when the step comes from a failure (SENEBI_TIMEOUT, SENEBI_ERROR, a contradiction). */
  readonly error?: string;
  readonly at: string;
}

/** Any journal record. */
export type JournalRecord = OrderRecord | StateRecord | DamagedRecord | CancelRecord;

const HEX = '0123456789abcdef';

/**
 * Encodes one record as its journal line (with checksum and newline). One buffer per record: the
 * JSON is encoded once into its place in the line, the checksum is taken over that part of it and
 * written in front (the hot path writes three records per order).
 */
export function encodeRecord(record: JournalRecord): Buffer {
  const json = JSON.stringify(record);
  const line = Buffer.allocUnsafe(9 + Buffer.byteLength(json, 'utf8') + 1);
  const end = 9 + line.write(json, 9, 'utf8');
  let crc = crc32(line.subarray(9, end));
  for (let i = 7; i >= 0; i -= 1) {
    line[i] = HEX.charCodeAt(crc & 0xf);
    crc >>>= 4;
  }
  line[8] = 0x20;
  line[end] = 0x0a;
  return line;
}

function checksumOf(json: string): string {
  return crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0');
}

/** Tells whether a decoded field is one of a closed set of states. */
function isOneOf<T extends string>(value: unknown, states: readonly T[]): value is T {
  return typeof value === 'string' && (states as readonly string[]).includes(value);
}

/** Decodes one line (without newline); undefined when the checksum or the shape is wrong. */
export function decodeRecord(line: string): JournalRecord | undefined {
  const match = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!match) return undefined;
  const json = match[2] ?? '';
  if (checksumOf(json) !== match[1]) return undefined;
  let value: unknown;
  try {
    value = toWireValue(parseJsonLossless(json));
  } catch {
    return undefined;
  }
  return recordOfValue(value);
}

/**
 * The record a decoded JSON value (numbers already strings) describes; undefined when its shape
 * is wrong. `value` is fresh (just parsed) and is taken apart: its objects become the record's.
 */
function recordOfValue(value: unknown): JournalRecord | undefined {
  if (!isJsonObject(value)) return undefined;
  const at = typeof value['at'] === 'string' ? value['at'] : '';
  let id: Uint64;
  try {
    id = toUint64(value['id']);
  } catch {
    return undefined;
  }
  const type = value['type'];
  if (type === 'order') {
    const order = value['order'];
    if (!isJsonObject(order)) return undefined;
    // The content with its id in canonical form (the key keeps its place). A plain object is
    // taken as it is; one with another prototype (a `__proto__` key, toWireValue's doing) is
    // copied into a plain one, own fields only.
    const content = Object.getPrototypeOf(order) === Object.prototype ? order : { ...order };
    content['id'] = id;
    return { type: 'order', id, order: content as unknown as OrderContent, at };
  }
  if (type === 'state' || type === 'cancel') {
    const step = value[type];
    if (type === 'state' ? !isOneOf(step, ORDER_STATES) : !isOneOf(step, CANCEL_STATES)) return undefined;
    // Keys in the writer's order: type, id, the step, senebi?, error?, at.
    const record: Record<string, unknown> = { type, id, [type]: step };
    const senebi = value['senebi'];
    if (isJsonObject(senebi)) record['senebi'] = senebi;
    const error = value['error'];
    if (typeof error === 'string') record['error'] = error;
    record['at'] = at;
    return record as unknown as StateRecord | CancelRecord;
  }
  if (type === 'damaged') return { type: 'damaged', id, at, ...(typeof value['line'] === 'number' ? { line: value['line'] } : {}) };
  return undefined;
}

/** The value of a hex digit byte `[0-9a-f]`, or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/**
 * Replaces, in place, every number of a JSON.parse result by its decimal text (what toWireValue
 * gives for lossless-json's LosslessNumber when the text is JSON.stringify's own: see
 * decodeRecordAt). Returns the value.
 */
function numbersToText(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) value[i] = numbersToText(value[i]);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key in object) {
    const inner = object[key];
    if (typeof inner === 'object' || typeof inner === 'number') object[key] = numbersToText(inner);
  }
  return object;
}

/**
 * Decodes the line `bytes[start, end)` (without newline): exactly decodeRecord(the line as
 * text), checksum and shape checks included, without making the line a string first (the
 * start-up replay reads every record this way; bench/qsen/replay.mjs, bench/RESULTS.md).
 *
 * - The checksum is taken over the line's bytes as they are. For valid UTF-8 these are the bytes
 *   decodeRecord checks (it re-encodes the decoded text); a line whose checksum does not match, or
 *   that is not valid UTF-8 (its text holds U+FFFD), goes to decodeRecord itself.
 * - The JSON is parsed by JSON.parse, and the result is taken only when JSON.stringify writes it
 *   back to the very same text: then the text has no whitespace, no key twice, no escape or number
 *   written another way than JSON.stringify writes it, and every number's text is String(n), so
 *   the value is lossless-json's with its numbers as text (what decodeRecord gets from
 *   parseJsonLossless and toWireValue). Every line the writer wrote (encodeRecord:
 *   JSON.stringify) is such text; any other (and a `__proto__` key, which toWireValue treats
 *   its own way) goes to decodeRecord. packages/qsen/test/journal-replay.test.ts checks the two
 *   agree on random records and damaged, rewritten and hand-made lines.
 */
export function decodeRecordAt(bytes: Buffer, start: number, end: number): JournalRecord | undefined {
  const slow = (): JournalRecord | undefined => decodeRecord(bytes.toString('utf8', start, end));
  if (end - start < 9 || bytes[start + 8] !== 0x20) return slow();
  let expected = 0;
  for (let i = start; i < start + 8; i += 1) {
    const digit = hexDigit(bytes[i] as number);
    if (digit < 0) return slow();
    expected = expected * 16 + digit;
  }
  // A mismatch is damage: decodeRecord judges it (it is rare, and it must be judged on the text).
  if (crc32(bytes.subarray(start + 9, end)) !== expected) return slow();
  const json = bytes.toString('utf8', start + 9, end);
  // Bytes that are not UTF-8 decode to U+FFFD: then the text is not the bytes, and decodeRecord
  // (whose checksum is over the text) judges. Without one, the text re-encodes to these bytes.
  if (json.includes('\uFFFD') || json.includes('"__proto__"')) return slow();
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return slow();
  }
  if (JSON.stringify(value) !== json) return slow();
  return recordOfValue(numbersToText(value));
}

/** Every order id written in a damaged piece of a record (`"id":"<digits>"`), deduplicated. */
export function readableIdsOf(text: string): Uint64[] {
  const ids = new Set<Uint64>();
  for (const match of text.matchAll(/"id":"([0-9]{1,20})"/g)) {
    try {
      ids.add(toUint64(match[1]));
    } catch {
      // more than 64 bits: not an id qsen wrote
    }
  }
  return [...ids];
}

/** A damaged line before the last one. */
export interface DamagedLine {
  /** 1-based line number. */
  readonly line: number;
  /** The one order id its bytes still show; undefined when none or several disagree (unrecoverable). */
  readonly id?: Uint64;
}

/** What reading a journal's bytes found. */
export interface JournalScan {
  /** The intact records, oldest first. */
  readonly records: JournalRecord[];
  /** Byte length of everything up to and including the last complete line that is kept. */
  readonly validBytes: number;
  /** Bytes after validBytes that form a torn last record (0 when the tail is clean). */
  readonly tornBytes: number;
  /** Order ids still readable in the torn tail. */
  readonly tornIds: Uint64[];
  /** 1-based line number of the torn tail (0 when the tail is clean). */
  readonly tornLine: number;
  /** Damaged lines before the last one, recoverable (with id) or not. */
  readonly damaged: DamagedLine[];
  /** 1-based numbers of the damaged lines whose order id cannot be read (real corruption). */
  readonly corruptLines: number[];
}

/** Splits a damaged line at every place a record seems to begin (a lost newline glues two records). */
function splitPieces(text: string): string[] {
  const starts = [0];
  for (const match of text.matchAll(/[0-9a-f]{8} \{"type":"/g)) if (match.index !== undefined && match.index > 0) starts.push(match.index);
  return starts.map((start, i) => text.slice(start, starts[i + 1] ?? text.length));
}

/**
 * Scans journal bytes (each intact record to `onRecord` when given, else into `records`). A damaged final record (no newline, or a bad checksum on the last line)
 * is a torn write: reported in tornBytes (to be cut off) with the ids it still shows. A damaged
 * line before the last one is split where records seem to begin; intact pieces are kept, and
 * each damaged piece is recoverable when every order id written in it agrees.
 */
export function scanJournal(bytes: Buffer, onRecord?: (record: JournalRecord) => void): JournalScan {
  const records: JournalRecord[] = [];
  // With a sink each intact record goes there as it is read (oldest first) and `records` stays
  // empty: a replay never holds every record of the day at once.
  const keep = onRecord ?? ((record: JournalRecord): void => { records.push(record); });
  const damaged: DamagedLine[] = [];
  let offset = 0;
  let validBytes = 0;
  let line = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    line += 1;
    if (newline === -1) break;
    const record = decodeRecordAt(bytes, offset, newline);
    const next = newline + 1;
    if (record) {
      keep(record);
    } else if (next < bytes.length) {
      for (const piece of splitPieces(bytes.subarray(offset, newline).toString('utf8'))) {
        const intact = decodeRecord(piece);
        if (intact) {
          keep(intact);
          continue;
        }
        const ids = readableIdsOf(piece);
        damaged.push(ids.length === 1 ? { line, id: ids[0] } : { line });
      }
    } else {
      break;
    }
    validBytes = next;
    offset = next;
  }
  const tornIds = validBytes < bytes.length ? readableIdsOf(bytes.subarray(validBytes).toString('utf8')) : [];
  return {
    records,
    validBytes,
    tornBytes: bytes.length - validBytes,
    tornIds,
    tornLine: validBytes < bytes.length ? line : 0,
    damaged,
    corruptLines: [...new Set(damaged.filter((d) => d.id === undefined).map((d) => d.line))],
  };
}
