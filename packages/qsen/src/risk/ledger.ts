/**
 * The risk ledger: what today's accepted orders have consumed (gross notional per currency and
 * per instrument, order count), one reservation per order id so that an identical resend or a
 * retry never counts twice, and the admission instants of the last minute for the rate limits.
 * A new trading day (local date in the schedule's zone) starts from zero. Nothing here is
 * persisted: at start the ledger is rebuilt from the journal's orders (rebuildLedger).
 *
 * An order whose consumption stays for good (SENEBI accepted it) keeps its id alone, in a set,
 * instead of its amounts (`finalize`): most of a day's orders end there, and the amounts are
 * already in the day's totals. Should such an order still be released, its consumption is read
 * back through `recover` (the order book's copy of the order); a ledger without `recover` keeps
 * every amount (docs/qsen.md, "Memory"; docs/risk.md, "Release").
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
  /** Marks an order's consumption as staying (SENEBI accepted it): its reservation keeps the id alone (without `recover`, nothing changes). */
  finalize(id: string): void;
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

/** How a ledger reads back the consumption of an order it finalized (undefined: not known). */
export type RecoverConsumption = (id: string) => Consumption | undefined;

/** Creates an empty ledger; with `recover`, finalized orders keep their id alone. */
export function createRiskLedger(recover?: RecoverConsumption): RiskLedger {
  let day = '';
  // Today's reservations: the amounts of those that may still be given back, the ids of the finalized.
  let reservations = new Map<string, Consumption>();
  let finalized = new Set<string>();
  let notional = new Map<string, bigint>();
  let instrumentNotional = new Map<string, Map<string, bigint>>();
  // Admission instants, oldest first; entries before `head` are expired.
  let admissions: number[] = [];
  let head = 0;

  const moveTo = (next: string): void => {
    if (next === day) return;
    day = next;
    reservations = new Map();
    finalized = new Set();
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
      return { day, orders: reservations.size + finalized.size, notional, instrumentNotional };
    },
    holds(on, id) {
      return on === day && (reservations.has(id) || finalized.has(id));
    },
    reserve(on, id, consumption, atMs) {
      moveTo(on);
      if (reservations.has(id) || finalized.has(id)) return;
      reservations.set(id, consumption);
      apply(consumption, 1n);
      prune(atMs);
      // Keep the window ordered even if an injected clock steps back.
      const last = admissions[admissions.length - 1];
      admissions.push(last !== undefined && last > atMs ? last : atMs);
    },
    finalize(id) {
      if (recover && reservations.delete(id)) finalized.add(id);
    },
    release(id) {
      const reserved = reservations.get(id);
      if (reserved !== undefined) {
        reservations.delete(id);
        apply(reserved, -1n);
        return;
      }
      if (!finalized.has(id)) return;
      // A finalized order whose content is not known any more stays counted.
      const recovered = recover?.(id);
      if (!recovered) return;
      finalized.delete(id);
      apply(recovered, -1n);
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
