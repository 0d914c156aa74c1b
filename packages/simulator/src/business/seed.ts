/**
 * The agent's other business: orders and operations placed outside qsen (ids outside the
 * reserved range), generated deterministically from a seed and the trade date, so that every
 * listing qsen reads holds ids it must hide.
 */
import { isInRange, type IdRange, type Uint64 } from '@qsen/core';
import { createPrng, type Prng } from '../random/prng.js';
import { dayNumberOf, instantOfLocalTime, type TradeDate } from '../trade-date/trade-date.js';
import { LISTED_INSTRUMENTS } from '../orders/instruments.js';
import type { AcceptedOrder, OrderFields, RejectedOrder, StoredOperation, StoredOrder } from '../orders/types.js';
import { offsetId } from './ids.js';

/** What seeding one date produces. */
export interface SeededBusiness {
  readonly orders: StoredOrder[];
  readonly operations: StoredOperation[];
}

/** Inputs of seeding one date. */
export interface SeedInput {
  readonly date: TradeDate;
  readonly seed: number;
  readonly range: IdRange;
  readonly agentCode: string;
  /** The first seeded date gets the ids next to the range edges and the landmark ids. */
  readonly primary: boolean;
  readonly isTaken: (id: Uint64) => boolean;
}

const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;
const OTHER_AGENTS = ['7', '45', '57', '150', '203', '1077'];
const QUANTITIES = ['1000', '5000', '10000', '25000', '100000', '1000000'];
const ARS_PER_USD = 1300;

/** The candidate ids of a date: the landmark ids on the primary date, date-derived ones otherwise. */
export function seedIdCandidates(date: TradeDate, range: IdRange, primary: boolean): Uint64[] {
  const min = BigInt(range.min);
  const max = BigInt(range.max);
  const raw: (Uint64 | undefined)[] = [];
  if (primary) {
    raw.push(offsetId(min, -1n), offsetId(max, 1n), offsetId(0n, 1n), offsetId(0n, 42n), offsetId(0n, 123456n),
      offsetId(TWO_63, -1n), offsetId(TWO_63, 0n), offsetId(TWO_63, 1n), offsetId(TWO_64, -2n), offsetId(TWO_64, -1n));
  } else {
    const base = BigInt(((dayNumberOf(date) % 100_000) + 100_000) % 100_000) * 16n;
    for (const k of [0n, 1n]) {
      raw.push(offsetId(min, -(2n + base + k)), offsetId(max, 2n + base + k), offsetId(1_000_000n, base + k));
    }
    raw.push(offsetId(TWO_63, 2n + base), offsetId(TWO_64, -(3n + base)));
  }
  const seen = new Set<string>();
  const out: Uint64[] = [];
  for (const id of raw) {
    if (id === undefined || isInRange(id, range) || seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

/** A plausible price for an instrument in a currency, as an exact 2-decimal string. */
function priceFor(prng: Prng, referenceUsd: number, currency: OrderFields['currency']): string {
  const usdCents = Math.round(referenceUsd * 100 * (0.98 + prng.next() * 0.04));
  const cents = currency === 'ARS' ? usdCents * ARS_PER_USD : usdCents;
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** A foreign (other agent's) order id outside the range, 19 digits. */
export function foreignOrderId(prng: Prng, range: IdRange): Uint64 {
  for (;;) {
    const high = prng.int(600_000_000, 699_999_999);
    const low = prng.int(0, 9_999_999_999);
    const id = `${high}${String(low).padStart(10, '0')}` as Uint64;
    if (!isInRange(id, range)) return id;
  }
}

/** The seeded operation id of the k-th seeded trade of a date (SENEBI's own ids, 19 digits). */
export function seededOperationId(date: TradeDate, k: number): Uint64 {
  const day = BigInt(((dayNumberOf(date) % 100_000_000) + 100_000_000) % 100_000_000);
  return (4_100_000_000_000_000_000n + day * 1000n + BigInt(k)).toString() as Uint64;
}

/** Generates the agent's seeded business for one date (deterministic for the same inputs). */
export function planSeededBusiness(input: SeedInput): SeededBusiness {
  const prng = createPrng(`${input.seed}:business:${input.date}`);
  const ids = seedIdCandidates(input.date, input.range, input.primary).filter((id) => !input.isTaken(id));
  const times = ids.map(() => prng.int(11 * 3600, 17 * 3600)).sort((a, b) => a - b);
  const orders: StoredOrder[] = [];
  const operations: StoredOperation[] = [];
  let opIndex = 0;
  const timeOf = (i: number): string => instantOfLocalTime(input.date, times[i] ?? 12 * 3600).toISOString();

  const fieldsFor = (): OrderFields => {
    const instrument = prng.pick(LISTED_INSTRUMENTS);
    const currency = prng.pick(['ARS', 'USD', 'EXT'] as const);
    return {
      instrument: instrument.symbol,
      side: prng.pick(['buy', 'sell'] as const),
      quantity: prng.pick(QUANTITIES),
      price: priceFor(prng, instrument.referenceUsd, currency),
      currency,
      settlement: prng.pick(['T0', 'T1'] as const),
      counterparty: prng.pick(OTHER_AGENTS),
    };
  };
  const operationOf = (order: AcceptedOrder, counterOrderId: Uint64): StoredOperation => ({
    id: seededOperationId(input.date, opIndex++),
    orderId: order.id,
    counterOrderId,
    instrument: order.instrument,
    side: order.side,
    quantity: order.quantity,
    price: order.price,
    currency: order.currency,
    settlement: order.settlement,
    counterparty: order.counterparty,
    time: order.time,
    tradeDate: input.date,
  });

  let i = 0;
  // A trade between two of the agent's own out-of-range orders (counterparty = the agent).
  const [selfA, selfB] = ids;
  if (selfA !== undefined && selfB !== undefined) {
    const fields = { ...fieldsFor(), counterparty: input.agentCode };
    const a: AcceptedOrder = { id: selfA, ...fields, side: 'buy', status: 'matched', time: timeOf(0), matchedAt: timeOf(1), tradeDate: input.date, origin: 'seed' };
    const b: AcceptedOrder = { id: selfB, ...fields, side: 'sell', status: 'matched', time: timeOf(1), matchedAt: timeOf(1), tradeDate: input.date, origin: 'seed' };
    orders.push(a, b);
    operations.push(operationOf(a, selfB), operationOf(b, selfA));
    i = 2;
  }
  for (; i < ids.length; i++) {
    const id = ids[i];
    if (id === undefined) continue;
    const fields = fieldsFor();
    if (i === ids.length - 1 && ids.length > 3) {
      const rejected: RejectedOrder = { id, ...fields, status: 'rejected', reason: 'price outside the allowed band', time: timeOf(i), tradeDate: input.date, origin: 'seed' };
      orders.push(rejected);
      continue;
    }
    const resting: AcceptedOrder = { id, ...fields, status: 'accepted', time: timeOf(i), tradeDate: input.date, origin: 'seed' };
    if (prng.next() < 0.75) {
      const order: AcceptedOrder = { ...resting, status: 'matched', matchedAt: resting.time };
      orders.push(order);
      operations.push(operationOf(order, foreignOrderId(prng, input.range)));
    } else {
      orders.push(resting);
    }
  }
  return { orders, operations };
}
