/**
 * The risk ledger: what today's accepted orders have consumed (gross notional per currency and
 * per instrument, order count), one reservation per order id so that an identical resend or a
 * retry never counts twice, and the admission instants of the last minute for the rate limits.
 * A new trading day (local date in the schedule's zone) starts from zero. Nothing here is
 * persisted: at start the ledger is rebuilt from the journal's orders (rebuildLedger).
 */

/** What one order consumes. */
export interface Consumption {
  readonly currency: string;
  readonly instrument: string;
  /** 10^-8 units. */
  readonly notional: bigint;
}

/** Today's usage, read by the policy and by GET /risk. */
export interface DayUsage {
  readonly day: string;
  readonly orders: number;
  /** Gross notional per currency (10^-8 units). */
  readonly notional: ReadonlyMap<string, bigint>;
  /** Gross notional per currency, then per instrument (10^-8 units). */
  readonly instrumentNotional: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
}

/** The ledger. */
export interface RiskLedger {
  /** Today's usage; `day` moves the ledger to that trading day first (a new day starts at zero). */
  usage(day: string): DayUsage;
  /** Tells whether the order id holds a reservation on `day`. */
  holds(day: string, id: string): boolean;
  /** Records an order's consumption on `day` at instant `atMs` (a second call for the same id does nothing). */
  reserve(day: string, id: string, consumption: Consumption, atMs: number): void;
  /** Gives an order's consumption back (SENEBI rejected it, or it was never sent); the rate window keeps it. */
  release(id: string): void;
  /** Admissions in the window (atMs - windowMs, atMs]. */
  admittedWithin(atMs: number, windowMs: number): number;
}

/** The longest rate window kept (per minute). */
export const RATE_WINDOW_MS = 60_000;

const add = (map: Map<string, bigint>, key: string, amount: bigint): void => {
  const next = (map.get(key) ?? 0n) + amount;
  if (next === 0n) map.delete(key);
  else map.set(key, next);
};

/** Creates an empty ledger. */
export function createRiskLedger(): RiskLedger {
  let day = '';
  let reservations = new Map<string, Consumption>();
  let notional = new Map<string, bigint>();
  let instrumentNotional = new Map<string, Map<string, bigint>>();
  // Admission instants, oldest first; entries before `head` are expired.
  let admissions: number[] = [];
  let head = 0;

  const moveTo = (next: string): void => {
    if (next === day) return;
    day = next;
    reservations = new Map();
    notional = new Map();
    instrumentNotional = new Map();
  };

  const apply = (c: Consumption, sign: 1n | -1n): void => {
    add(notional, c.currency, sign * c.notional);
    let perInstrument = instrumentNotional.get(c.currency);
    if (!perInstrument) {
      perInstrument = new Map();
      instrumentNotional.set(c.currency, perInstrument);
    }
    add(perInstrument, c.instrument, sign * c.notional);
  };

  const prune = (atMs: number): void => {
    while (head < admissions.length && (admissions[head] ?? 0) <= atMs - RATE_WINDOW_MS) head += 1;
    if (head > 1024 && head * 2 > admissions.length) {
      admissions = admissions.slice(head);
      head = 0;
    }
  };

  return {
    usage(next) {
      moveTo(next);
      return { day, orders: reservations.size, notional, instrumentNotional };
    },
    holds(on, id) {
      return on === day && reservations.has(id);
    },
    reserve(on, id, consumption, atMs) {
      moveTo(on);
      if (reservations.has(id)) return;
      reservations.set(id, consumption);
      apply(consumption, 1n);
      prune(atMs);
      // Keep the window ordered even if an injected clock steps back.
      const last = admissions[admissions.length - 1];
      admissions.push(last !== undefined && last > atMs ? last : atMs);
    },
    release(id) {
      const consumption = reservations.get(id);
      if (!consumption) return;
      reservations.delete(id);
      apply(consumption, -1n);
    },
    admittedWithin(atMs, windowMs) {
      prune(atMs);
      // Admissions are ordered: binary search for the first one inside (atMs - windowMs, atMs].
      let lo = head;
      let hi = admissions.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((admissions[mid] ?? 0) > atMs - windowMs) hi = mid;
        else lo = mid + 1;
      }
      let end = admissions.length;
      while (end > lo && (admissions[end - 1] ?? 0) > atMs) end -= 1;
      return end - lo;
    },
  };
}
