/**
 * The state.json format: the store snapshot and the counters, ids as strings (exact), read
 * back through lossless JSON and validated.
 */
import { z } from 'zod';
import { isLosslessNumber, parseJsonLossless, parseUint64, stringifyJsonLossless } from '@qsen/core';
import type { Uint64 } from '@qsen/core';
import { simulatorErrors } from '../errors.js';
import type { StoreSnapshot } from './store.js';
import type { CountersSnapshot } from '../counters/counters.js';
import type { StoredOperation, StoredOrder } from '../orders/types.js';

/** Everything state.json holds. */
export interface SimulatorStateData {
  readonly version: 1;
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

const accepted = z.strictObject({
  id: uint64, status: z.literal('accepted'), instrument: z.string(), side, quantity: z.string(), price: z.string(),
  currency, settlement, counterparty: z.string(), time: z.string(), tradeDate: date, origin,
});
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
  event: z.enum(['received', 'accepted', 'rejected', 'duplicate', 'matched', 'fault', 'seeded', 'counter_order']),
  detail: z.string().optional(),
});
const stateSchema = z.strictObject({
  version: z.preprocess((v) => (isLosslessNumber(v) ? Number(v.toString()) : v), z.literal(1)),
  store: z.strictObject({
    businessSeed: count,
    seededDates: z.array(date),
    nextOperationSeq: uint64,
    orders: z.array(z.discriminatedUnion('status', [accepted, rejected])),
    operations: z.array(operation),
    history: z.record(z.string(), z.array(event)),
  }),
  counters: z.strictObject({
    requests: z.record(z.string(), count),
    ordersReceived: z.record(z.string(), count),
    faults: z.record(z.string(), count),
  }),
});

/** Renders the state as JSON text (ids as strings). */
export function renderState(data: SimulatorStateData): string {
  return `${stringifyJsonLossless(data)}\n`;
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
