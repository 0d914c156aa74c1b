/**
 * How a limit in force is shown (GET /qsen/v1/risk, metrics, qsenctl): pure functions from the
 * limit, its file value and override, and today's usage to the JSON view, in exact decimals.
 */
import { formatScaled, parseScaled } from './decimal.js';
import type { DayUsage } from './ledger.js';
import { scaleOf, type LimitSpec } from './limits.js';
import type { LimitOverride } from './overrides.js';

/** A limit in force, as GET /qsen/v1/risk shows it. */
export interface LimitView {
  readonly limit: string;
  readonly scope: LimitSpec['scope'];
  readonly max: string;
  readonly source: 'file' | 'override';
  readonly fileValue: string | null;
  readonly override?: { readonly value: string; readonly reason: string; readonly expiresAt: string; readonly setAt: string; readonly by: string };
  /** Daily and rate limits: what today (or the window) has used, what is left, and their ratio. */
  readonly used?: string;
  readonly headroom?: string;
  readonly usageRatio?: number;
  /** daily_instrument_notional.*: usage per instrument traded today. */
  readonly instruments?: ReadonlyArray<{ readonly instrument: string; readonly used: string; readonly headroom: string; readonly usageRatio: number }>;
}

/** What a daily or rate limit has used: the total (the highest instrument for per-instrument limits) and, for those, each instrument. */
export interface LimitUsage {
  readonly total: bigint;
  readonly instruments?: ReadonlyMap<string, bigint>;
}

/** Admissions in the rate windows now. */
export interface RateUsage {
  readonly lastSecond: number;
  readonly lastMinute: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** used / max with six decimals (1 when max is 0). */
export function ratioOf(used: bigint, max: bigint): number {
  return max === 0n ? 1 : Number((used * 1_000_000n) / max) / 1_000_000;
}

/** What a limit has used today, or undefined for a per-order limit. */
export function usageOfLimit(name: string, usage: DayUsage, rate: RateUsage): LimitUsage | undefined {
  if (name === 'daily_orders') return { total: BigInt(usage.orders) };
  if (name === 'orders_per_second') return { total: BigInt(rate.lastSecond) };
  if (name === 'orders_per_minute') return { total: BigInt(rate.lastMinute) };
  const [kind, currency = ''] = name.split('.');
  if (kind === 'daily_notional') return { total: usage.notional.get(currency) ?? 0n };
  if (kind === 'daily_instrument_notional') {
    const perInstrument = usage.instrumentNotional.get(currency) ?? new Map<string, bigint>();
    const highest = [...perInstrument.values()].reduce((a, b) => (b > a ? b : a), 0n);
    return { total: highest, instruments: perInstrument };
  }
  return undefined;
}

/** The view of one limit in force (`max` its effective text). */
export function describeLimit(spec: LimitSpec, max: string, fileValue: string | null, override: LimitOverride | undefined, used: LimitUsage | undefined): LimitView {
  const base: LimitView = {
    limit: spec.name,
    scope: spec.scope,
    max,
    source: override ? 'override' : 'file',
    fileValue,
    ...(override ? { override: { value: override.value, reason: override.reason, expiresAt: iso(override.expiresAtMs), setAt: iso(override.setAtMs), by: override.by } } : {}),
  };
  if (used === undefined) return base;
  const scale = scaleOf(spec.kind);
  const maxValue = parseScaled(max, scale) ?? 0n;
  const headroom = (u: bigint): string => formatScaled(maxValue > u ? maxValue - u : 0n, scale);
  const view: LimitView = { ...base, used: formatScaled(used.total, scale), headroom: headroom(used.total), usageRatio: ratioOf(used.total, maxValue) };
  if (!used.instruments) return view;
  return {
    ...view,
    instruments: [...used.instruments].sort(([a], [b]) => a.localeCompare(b)).map(([instrument, u]) => ({
      instrument, used: formatScaled(u, scale), headroom: headroom(u), usageRatio: ratioOf(u, maxValue),
    })),
  };
}
