/**
 * The pre-trade risk decision, pure: one validated order, the limits in force, today's usage, the
 * reference prices and the recent admissions in; either what the order consumes or the first
 * limit it breaks, named by its stable limit name, out. Order of the checks: lists, per-order
 * size, price collar, message rate, daily totals (the cheapest and most specific first).
 */
import { formatScaled, isInsideBand, NOTIONAL_SCALE, notionalOf, parseScaled, PRICE_SCALE, priceBandOf } from './decimal.js';
import type { Consumption, DayUsage } from './ledger.js';
import { LIST_RULES, UNREFERENCED_LIMIT, type CompiledLimits, type ListRule } from './limits.js';

/** The order fields the policy reads (a validated sendOrder: canonical quantity and price). */
export interface RiskOrder {
  readonly instrument: string;
  readonly quantity: string;
  readonly price: string;
  readonly currency: string;
  readonly settlement: string;
  readonly counterparty: string;
}

/** A refusal: the limit's stable name, the value the order would reach, and the limit (texts). */
export interface Refusal {
  readonly limit: string;
  /** What the order asks or would bring the total to (a decimal text, or the refused list value). */
  readonly value: string;
  /** The limit in force (null for the lists). */
  readonly max: string | null;
  /** Extra facts: the band's lower bound, the instrument of a per-instrument limit. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** What the policy is given besides the order. */
export interface PolicyInput {
  readonly limits: CompiledLimits;
  readonly usage: DayUsage;
  /** Reference prices in 10^-6 units, by instrument. */
  readonly prices: ReadonlyMap<string, bigint>;
  /** Admissions in the last second and the last minute (before this order). */
  readonly lastSecond: number;
  readonly lastMinute: number;
}

/** The policy's answer. */
export type Decision = { readonly ok: true; readonly consumption: Consumption } | { readonly ok: false; readonly refusal: Refusal };

const amount = (v: bigint): string => formatScaled(v, NOTIONAL_SCALE);
const refuse = (limit: string, value: string, max: string | null, extra?: Record<string, string>): Decision => ({ ok: false, refusal: { limit, value, max, ...(extra ? { extra } : {}) } });

const listed = (rule: ListRule, value: string): boolean => !rule.deny.has(value) && (rule.allow === undefined || rule.allow.has(value));

/** Decides one order. */
export function decideOrder(order: RiskOrder, input: PolicyInput): Decision {
  const { limits, usage } = input;
  for (const { name, field, limit } of LIST_RULES) if (!listed(limits.lists[name], order[field])) return refuse(limit, order[field], null);

  const quantity = BigInt(order.quantity);
  const priceMicros = parseScaled(order.price, PRICE_SCALE) ?? 0n;
  const notional = notionalOf(quantity, priceMicros);

  if (limits.orderQuantity !== undefined && quantity > limits.orderQuantity) return refuse('order_quantity', order.quantity, limits.orderQuantity.toString());
  const orderMax = limits.orderNotional.get(order.currency);
  if (orderMax !== undefined && notional > orderMax) return refuse(`order_notional.${order.currency}`, amount(notional), amount(orderMax));

  if (limits.bandPercent !== undefined) {
    const reference = input.prices.get(order.instrument);
    if (reference === undefined) {
      if (limits.unreferenced === 'refuse') return refuse(UNREFERENCED_LIMIT, order.instrument, null);
    } else {
      const band = priceBandOf(reference, limits.bandPercent);
      if (!isInsideBand(priceMicros, band)) {
        return refuse(`price_band.${order.instrument}`, order.price, formatScaled(band.max, band.scale), {
          min: formatScaled(band.min, band.scale),
          reference: formatScaled(reference, PRICE_SCALE),
        });
      }
    }
  }

  if (limits.perSecond !== undefined && input.lastSecond + 1 > limits.perSecond) return refuse('orders_per_second', String(input.lastSecond + 1), String(limits.perSecond));
  if (limits.perMinute !== undefined && input.lastMinute + 1 > limits.perMinute) return refuse('orders_per_minute', String(input.lastMinute + 1), String(limits.perMinute));

  if (limits.dailyOrders !== undefined && usage.orders + 1 > limits.dailyOrders) return refuse('daily_orders', String(usage.orders + 1), String(limits.dailyOrders));
  const dailyMax = limits.dailyNotional.get(order.currency);
  if (dailyMax !== undefined) {
    const total = (usage.notional.get(order.currency) ?? 0n) + notional;
    if (total > dailyMax) return refuse(`daily_notional.${order.currency}`, amount(total), amount(dailyMax));
  }
  const instrumentMax = limits.dailyInstrumentNotional.get(order.currency);
  if (instrumentMax !== undefined) {
    const total = (usage.instrumentNotional.get(order.currency)?.get(order.instrument) ?? 0n) + notional;
    if (total > instrumentMax) return refuse(`daily_instrument_notional.${order.currency}`, amount(total), amount(instrumentMax), { instrument: order.instrument });
  }
  return { ok: true, consumption: { currency: order.currency, instrument: order.instrument, notional } };
}
