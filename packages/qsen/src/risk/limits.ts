/**
 * The limits in force, compiled from conf.toml's [risk] and the operator's overrides into exact
 * scaled integers, and the stable limit names refusals, metrics and overrides use:
 * `order_quantity`, `order_notional.ARS`, `daily_notional.ARS`, `daily_instrument_notional.ARS`,
 * `daily_orders`, `orders_per_second`, `orders_per_minute`, `price_band` (the percent; refusals
 * name the instrument: `price_band.AL30`, or `price_band.unreferenced`), and the list refusals
 * `instrument_denied`, `counterparty_denied`, `currency_denied`, `settlement_denied`.
 */
import type { RiskConfig } from '@qsen/core/config';
import { isLosslessNumber } from '@qsen/core/json';
import { canonicalAmount, ORDER_CURRENCIES } from '@qsen/core/config';
import { NOTIONAL_SCALE, parseScaled, PERCENT_SCALE } from './decimal.js';
import type { Currency } from '../orders/order.js';

/** The currencies of sendOrder. */
const CURRENCIES: readonly Currency[] = ORDER_CURRENCIES;

/** How a limit's value is written (in conf.toml, in overrides, in GET /risk). */
export type LimitKind = 'quantity' | 'amount' | 'count' | 'percent';

/** A numeric limit that an override may set: its name, how its value is written, what it bounds. */
export interface LimitSpec {
  readonly name: string;
  readonly kind: LimitKind;
  /** daily: counted per trading day; rate: counted over a sliding window; order: per order. */
  readonly scope: 'order' | 'daily' | 'rate' | 'collar';
}

/** Every numeric limit name that conf.toml or an override can set (a closed set: metric labels come from it). */
export const LIMIT_SPECS: readonly LimitSpec[] = [
  { name: 'order_quantity', kind: 'quantity', scope: 'order' },
  ...CURRENCIES.map((c) => ({ name: `order_notional.${c}`, kind: 'amount' as const, scope: 'order' as const })),
  ...CURRENCIES.map((c) => ({ name: `daily_notional.${c}`, kind: 'amount' as const, scope: 'daily' as const })),
  ...CURRENCIES.map((c) => ({ name: `daily_instrument_notional.${c}`, kind: 'amount' as const, scope: 'daily' as const })),
  { name: 'daily_orders', kind: 'count', scope: 'daily' },
  { name: 'orders_per_second', kind: 'count', scope: 'rate' },
  { name: 'orders_per_minute', kind: 'count', scope: 'rate' },
  { name: 'price_band', kind: 'percent', scope: 'collar' },
];

/**
 * The allow and deny lists of [risk] (`<name>_allow`, `<name>_deny`), in the order they are
 * checked: the order field each reads and its refusal's limit name.
 */
export const LIST_RULES = [
  { name: 'instruments', field: 'instrument', limit: 'instrument_denied' },
  { name: 'counterparties', field: 'counterparty', limit: 'counterparty_denied' },
  { name: 'currencies', field: 'currency', limit: 'currency_denied' },
  { name: 'settlements', field: 'settlement', limit: 'settlement_denied' },
] as const;

/** One list of [risk]. */
export type ListName = (typeof LIST_RULES)[number]['name'];

/** The list refusals' limit names. */
export const LIST_LIMITS = LIST_RULES.map((rule) => rule.limit);

/** Something made of each list's allow and deny entries as conf.toml holds them (undefined: not set), by list name. */
export function mapLists<T>(risk: RiskConfig, make: (allow: readonly string[] | undefined, deny: readonly string[] | undefined) => T): Record<ListName, T> {
  const of = (name: ListName): T => make(risk[`${name}_allow`], risk[`${name}_deny`]);
  return { instruments: of('instruments'), counterparties: of('counterparties'), currencies: of('currencies'), settlements: of('settlements') };
}
/** The collar's refusal for an instrument without a reference price (with unreferenced = "refuse"). */
export const UNREFERENCED_LIMIT = 'price_band.unreferenced';

const SPEC_BY_NAME = new Map(LIMIT_SPECS.map((s) => [s.name, s]));

/** The spec of a numeric limit name, or undefined when there is no such limit. */
export function findLimitSpec(name: string): LimitSpec | undefined {
  return SPEC_BY_NAME.get(name);
}

/** A limit value as an exact integer in its kind's unit (amount: 10^-8, percent: 10^-6, else 1). */
export function scaleOf(kind: LimitKind): number {
  return kind === 'amount' ? NOTIONAL_SCALE : kind === 'percent' ? PERCENT_SCALE : 0;
}

/** Reads a limit value as written by an operator; the canonical text, or the reason it is not valid. */
export function readLimitValue(kind: LimitKind, value: unknown): { ok: true; text: string } | { ok: false; problem: string } {
  // JSON numbers arrive exact (lossless); a plain number only from code, accepted for counts.
  const text = isLosslessNumber(value) ? value.toString() : typeof value === 'number' && kind === 'count' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string') return { ok: false, problem: kind === 'count' ? 'must be a whole number' : 'must be a decimal (a JSON string or number)' };
  const parsed = kind === 'amount' ? canonicalAmount(text, NOTIONAL_SCALE, 30)
    : kind === 'percent' ? canonicalAmount(text, PERCENT_SCALE, 3)
      : canonicalAmount(text, 0, kind === 'count' ? 15 : 18);
  if (!parsed.ok) return parsed;
  if (kind === 'percent' && (parseScaled(parsed.value, PERCENT_SCALE) ?? 0n) > 100_000_000n) return { ok: false, problem: 'must be at most 100' };
  return { ok: true, text: parsed.value };
}

/** The numeric limits of a [risk] section, by limit name, as canonical texts. */
export function limitTextsOf(risk: RiskConfig): Map<string, string> {
  const texts = new Map<string, string>();
  if (risk.max_order_quantity !== undefined) texts.set('order_quantity', risk.max_order_quantity);
  for (const c of CURRENCIES) {
    const order = risk.max_order_notional?.[c];
    if (order !== undefined) texts.set(`order_notional.${c}`, order);
    const daily = risk.max_daily_notional?.[c];
    if (daily !== undefined) texts.set(`daily_notional.${c}`, daily);
    const instrument = risk.max_daily_instrument_notional?.[c];
    if (instrument !== undefined) texts.set(`daily_instrument_notional.${c}`, instrument);
  }
  if (risk.max_daily_orders !== undefined) texts.set('daily_orders', String(risk.max_daily_orders));
  if (risk.max_orders_per_second !== undefined) texts.set('orders_per_second', String(risk.max_orders_per_second));
  if (risk.max_orders_per_minute !== undefined) texts.set('orders_per_minute', String(risk.max_orders_per_minute));
  if (risk.price_band_percent !== undefined) texts.set('price_band', risk.price_band_percent);
  return texts;
}

/** An allow list (undefined: everything) and a deny list, as sets. */
export interface ListRule {
  readonly allow: ReadonlySet<string> | undefined;
  readonly deny: ReadonlySet<string>;
}

/** The compiled limits the policy reads: every numeric limit as a scaled BigInt. */
export interface CompiledLimits {
  readonly orderQuantity?: bigint;
  /** 10^-8 units, per currency. */
  readonly orderNotional: ReadonlyMap<string, bigint>;
  readonly dailyNotional: ReadonlyMap<string, bigint>;
  readonly dailyInstrumentNotional: ReadonlyMap<string, bigint>;
  readonly dailyOrders?: number;
  readonly perSecond?: number;
  readonly perMinute?: number;
  /** 10^-6 percent units; undefined: no collar. */
  readonly bandPercent?: bigint;
  readonly unreferenced: 'refuse' | 'allow';
  readonly lists: Readonly<Record<ListName, ListRule>>;
  /** True when no limit at all is set (the check is then a no-op). */
  readonly empty: boolean;
}


/** Compiles the limits in force from [risk] and the effective texts (file values with overrides applied). */
export function compileLimits(risk: RiskConfig, texts: ReadonlyMap<string, string>): CompiledLimits {
  const scaled = (name: string): bigint | undefined => {
    const text = texts.get(name);
    const spec = findLimitSpec(name);
    return text === undefined || !spec ? undefined : parseScaled(text, scaleOf(spec.kind));
  };
  const perCurrency = (prefix: string): Map<string, bigint> => {
    const out = new Map<string, bigint>();
    for (const c of CURRENCIES) {
      const v = scaled(`${prefix}.${c}`);
      if (v !== undefined) out.set(c, v);
    }
    return out;
  };
  const count = (name: string): number | undefined => {
    const v = scaled(name);
    return v === undefined ? undefined : Number(v);
  };
  const orderQuantity = scaled('order_quantity');
  const dailyOrders = count('daily_orders');
  const perSecond = count('orders_per_second');
  const perMinute = count('orders_per_minute');
  const bandPercent = scaled('price_band');
  const lists = mapLists<ListRule>(risk, (allow, deny) => ({ allow: allow ? new Set(allow) : undefined, deny: new Set(deny ?? []) }));
  const listsEmpty = Object.values(lists).every((l) => l.allow === undefined && l.deny.size === 0);
  return {
    ...(orderQuantity !== undefined ? { orderQuantity } : {}),
    orderNotional: perCurrency('order_notional'),
    dailyNotional: perCurrency('daily_notional'),
    dailyInstrumentNotional: perCurrency('daily_instrument_notional'),
    ...(dailyOrders !== undefined ? { dailyOrders } : {}),
    ...(perSecond !== undefined ? { perSecond } : {}),
    ...(perMinute !== undefined ? { perMinute } : {}),
    ...(bandPercent !== undefined ? { bandPercent } : {}),
    unreferenced: risk.unreferenced,
    lists,
    empty: texts.size === 0 && listsEmpty,
  };
}
