/**
 * The state formats: state.json (the store snapshot and the counters, with the sequence number
 * of the last journaled change it includes) and state.journal lines (one change each). Ids are
 * strings (exact); everything is read back through lossless JSON and validated.
 */
import { z } from 'zod';
import { isLosslessNumber, parseJsonLossless, parseUint64, stringifyJsonLossless } from '@qsen/core';
import type { Uint64 } from '@qsen/core';
import { simulatorErrors } from '../errors.js';
import { ORDER_EVENTS, type StoreChange, type StoreSnapshot } from './store.js';
import type { CounterChange, CountersSnapshot } from '../counters/counters.js';
import type { StoredOperation, StoredOrder } from '../orders/types.js';

/** Everything state.json holds. */
export interface SimulatorStateData {
  readonly version: 1;
  /** Sequence number of the last journaled change the snapshot includes. */
  readonly lastSeq: string;
  readonly store: StoreSnapshot;
  readonly counters: CountersSnapshot;
}

const count = z.preprocess((v) => (isLosslessNumber(v) ? Number(v.toString()) : v), z.number().int().nonnegative());
const uint64 = z.string().refine((s) => parseUint64(s).ok, 'not an unsigned 64-bit id').transform((s) => s as Uint64);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const origin = z.enum(['agent', 'seed', 'self_counter']);
const side = z.enum(['buy', 'sell']);
const currency = z.enum(['ARS', 'USD', 'EXT']);
const settlement = z.enum(['T0', 'T1']);

const liveFields = {
  id: uint64, instrument: z.string(), side, quantity: z.string(), price: z.string(),
  currency, settlement, counterparty: z.string(), time: z.string(), tradeDate: date, origin,
  matchedAt: z.string().optional(), cancelledAt: z.string().optional(),
};
const accepted = z.strictObject({ ...liveFields, status: z.literal('accepted') });
const matched = z.strictObject({ ...liveFields, status: z.literal('matched') });
const cancelled = z.strictObject({ ...liveFields, status: z.literal('cancelled') });
const rejected = z.strictObject({
  id: uint64, status: z.literal('rejected'), reason: z.string(), instrument: z.string().optional(), side: z.string().optional(),
  quantity: z.string().optional(), price: z.string().optional(), currency: z.string().optional(), settlement: z.string().optional(),
  counterparty: z.string().optional(), time: z.string(), tradeDate: date, origin,
});
const operation = z.strictObject({
  id: uint64, orderId: uint64, counterOrderId: uint64, instrument: z.string(), side, quantity: z.string(), price: z.string(),
  currency, settlement, counterparty: z.string(), time: z.string(), tradeDate: date,
});
const event = z.strictObject({
  at: z.string(),
  event: z.enum(ORDER_EVENTS),
  detail: z.string().optional(),
});
const seq = z.string().regex(/^(0|[1-9][0-9]{0,19})$/);
const stateSchema = z.strictObject({
  version: z.preprocess((v) => (isLosslessNumber(v) ? Number(v.toString()) : v), z.literal(1)),
  lastSeq: seq,
  store: z.strictObject({
    businessSeed: count,
    seededDates: z.array(date),
    nextOperationSeq: uint64,
    orders: z.array(z.discriminatedUnion('status', [accepted, matched, cancelled, rejected])),
    operations: z.array(operation),
    history: z.record(z.string(), z.array(event)),
  }),
  counters: z.strictObject({
    requests: z.record(z.string(), count),
    ordersReceived: z.record(z.string(), count),
    cancelsReceived: z.record(z.string(), count).default({}),
    faults: z.record(z.string(), count),
  }),
});

const order = z.discriminatedUnion('status', [accepted, matched, cancelled, rejected]);
const changeSchema = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('order'), order }),
  z.strictObject({ t: z.literal('operation'), operation }),
  z.strictObject({ t: z.literal('event'), id: uint64, event }),
  z.strictObject({ t: z.literal('seeded'), date }),
  z.strictObject({ t: z.literal('opseq'), next: uint64 }),
  z.strictObject({ t: z.literal('reset'), businessSeed: count }),
  z.strictObject({ t: z.literal('count'), kind: z.enum(['request', 'order', 'cancel', 'fault']), key: z.string() }),
  z.strictObject({ t: z.literal('count_clear') }),
]);
const lineSchema = z.strictObject({ seq, c: changeSchema });

/** A change of the store or of the counters. */
export type StateChange = StoreChange | CounterChange;

/** Renders the state as JSON text (every id is a string, so nothing is a large number). */
export function renderState(data: SimulatorStateData): string {
  return `${stringifyJsonLossless(data)}\n`;
}

/** Renders one journal line (no newline). */
export function renderChangeLine(sequence: bigint, change: StateChange): string {
  return stringifyJsonLossless({ seq: sequence.toString(), c: change });
}

/** Parses one journal line; throws INVALID_STATE_FILE. */
export function parseChangeLine(text: string): { seq: bigint; change: StateChange } {
  let raw: unknown;
  try {
    raw = parseJsonLossless(text);
  } catch (err) {
    throw simulatorErrors.create('INVALID_STATE_FILE', 'a state journal line is not valid JSON', undefined, err);
  }
  const parsed = lineSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw simulatorErrors.create('INVALID_STATE_FILE', `a state journal line is not valid: ${problems.slice(0, 3).join('; ')}`, { problems });
  }
  return { seq: BigInt(parsed.data.seq), change: parsed.data.c as StateChange };
}

/** Parses and validates state.json text; throws INVALID_STATE_FILE. */
export function parseState(text: string): SimulatorStateData {
  let raw: unknown;
  try {
    raw = parseJsonLossless(text);
  } catch (err) {
    throw simulatorErrors.create('INVALID_STATE_FILE', 'the simulator state file is not valid JSON', undefined, err);
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw simulatorErrors.create('INVALID_STATE_FILE', `the simulator state file is not valid: ${problems.slice(0, 5).join('; ')}`, { problems });
  }
  const store = parsed.data.store;
  return {
    version: 1,
    lastSeq: parsed.data.lastSeq,
    store: {
      businessSeed: store.businessSeed,
      seededDates: store.seededDates,
      nextOperationSeq: store.nextOperationSeq,
      orders: store.orders as StoredOrder[],
      operations: store.operations as StoredOperation[],
      history: store.history,
    },
    counters: parsed.data.counters,
  };
}
