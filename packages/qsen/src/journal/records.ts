/**
 * Journal records and their on-disk encoding. One record per line:
 * `<crc32 of the JSON, 8 hex digits> <JSON>\n`. A line whose checksum does not match, or a last
 * line without its newline, is a torn or corrupt record. Ids are JSON strings.
 */
import { crc32 } from 'node:zlib';
import { parseJsonLossless, toUint64, type Uint64 } from '@qsen/core';
import type { OrderContent } from '../orders/validation.js';
import { isJsonObject, toWireValue, type WireObject } from '../senebi/wire.js';

/** Where an order stands. `received`: on disk, about to be forwarded; `sent`: forwarded, no answer yet;
 * `unknown`: forwarded, the answer was lost (timeout, 5xx); `not_sent`: known not to be at SENEBI. */
export type OrderState = 'received' | 'sent' | 'accepted' | 'rejected' | 'unknown' | 'not_sent';

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

/** Any journal record. */
export type JournalRecord = OrderRecord | StateRecord;

const STATES: readonly string[] = ['received', 'sent', 'accepted', 'rejected', 'unknown', 'not_sent'];

/** Encodes one record as its journal line (with checksum and newline). */
export function encodeRecord(record: JournalRecord): Buffer {
  const json = JSON.stringify(record);
  const sum = crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0');
  return Buffer.from(`${sum} ${json}\n`, 'utf8');
}

/** Decodes one line (without newline); undefined when the checksum or the shape is wrong. */
export function decodeRecord(line: string): JournalRecord | undefined {
  const match = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (!match) return undefined;
  const json = match[2] ?? '';
  if (crc32(Buffer.from(json, 'utf8')).toString(16).padStart(8, '0') !== match[1]) return undefined;
  let value: unknown;
  try {
    value = toWireValue(parseJsonLossless(json));
  } catch {
    return undefined;
  }
  if (!isJsonObject(value)) return undefined;
  const at = typeof value['at'] === 'string' ? value['at'] : '';
  try {
    const id = toUint64(value['id']);
    if (value['type'] === 'order' && isJsonObject(value['order'])) {
      return { type: 'order', id, order: { ...(value['order'] as unknown as OrderContent), id }, at };
    }
    if (value['type'] === 'state' && typeof value['state'] === 'string' && STATES.includes(value['state'])) {
      return {
        type: 'state',
        id,
        state: value['state'] as OrderState,
        ...(isJsonObject(value['senebi']) ? { senebi: value['senebi'] } : {}),
        ...(typeof value['error'] === 'string' ? { error: value['error'] } : {}),
        at,
      };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** What reading a journal's bytes found. */
export interface JournalScan {
  readonly records: JournalRecord[];
  /** Byte length of the valid prefix (everything up to and including the last good line). */
  readonly validBytes: number;
  /** Bytes after the valid prefix that form a torn last record (0 when the tail is clean). */
  readonly tornBytes: number;
  /** 1-based line numbers of damaged records that are not the last one (real corruption). */
  readonly corruptLines: number[];
}

/**
 * Scans journal bytes. A damaged final record (no newline, or bad checksum on the last line) is a
 * torn write from a crash: reported in tornBytes, to be cut off. Damage before the last line is
 * corruption and is reported in corruptLines.
 */
export function scanJournal(bytes: Buffer): JournalScan {
  const records: JournalRecord[] = [];
  const corruptLines: number[] = [];
  let offset = 0;
  let validBytes = 0;
  let line = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    line += 1;
    if (newline === -1) break;
    const record = decodeRecord(bytes.subarray(offset, newline).toString('utf8'));
    const next = newline + 1;
    if (record) {
      records.push(record);
      validBytes = next;
    } else if (next < bytes.length) {
      corruptLines.push(line);
      validBytes = next;
    } else {
      break;
    }
    offset = next;
  }
  return { records, validBytes, tornBytes: bytes.length - validBytes, corruptLines };
}
