/**
 * Exact decimal arithmetic for the risk checks: BigInt integers scaled by a power of ten, never a
 * binary float. Notional amounts are counted in units of 10^-8 (NOTIONAL_SCALE): an order's
 * notional, quantity x price / 100, is then exactly quantity x (price in 10^-6 units), whatever
 * the size (quantity 10^15 at price 999999.999999 included).
 */

/** Decimals of a notional amount (quantity x price / 100 with prices of at most 6 decimals). */
export const NOTIONAL_SCALE = 8;
/** Decimals of a price (the contract allows at most 6). */
export const PRICE_SCALE = 6;

const TEN = 10n;

/**
 * Reads a canonical non-negative decimal text ("1234.5") as an integer scaled by 10^scale.
 * Returns undefined for anything else, or when it has more decimals than `scale`.
 */
export function parseScaled(text: string, scale: number): bigint | undefined {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > scale) return undefined;
  return BigInt(`${match[1] ?? '0'}${fraction.padEnd(scale, '0')}`);
}

/** Writes an integer scaled by 10^scale as its canonical decimal text (no trailing fractional zeros). */
export function formatScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const integer = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${integer}${fraction === '' ? '' : `.${fraction}`}`;
}

/** An order's notional (quantity x price / 100) in 10^-8 units, from its canonical quantity and price texts. */
export function notionalOf(quantity: bigint, priceMicros: bigint): bigint {
  return quantity * priceMicros;
}

/** The price band around a reference: bounds in 10^-(PRICE_SCALE + PERCENT_SCALE + 2) units, exact. */
export interface PriceBand {
  /** Lowest accepted price, scaled by 10^bandScale. */
  readonly min: bigint;
  /** Highest accepted price, scaled by 10^bandScale. */
  readonly max: bigint;
  readonly scale: number;
}

/** Decimals of a band percent (like prices, at most 6). */
export const PERCENT_SCALE = 6;
const BAND_SCALE = PRICE_SCALE + PERCENT_SCALE + 2;

/** Bounds of reference x (1 -/+ percent / 100), both scaled by 10^BAND_SCALE (exact). */
export function priceBandOf(referenceMicros: bigint, percentMicros: bigint): PriceBand {
  const center = referenceMicros * TEN ** BigInt(PERCENT_SCALE + 2);
  const width = referenceMicros * percentMicros;
  return { min: center - width, max: center + width, scale: BAND_SCALE };
}

/** Tells whether a price (10^-6 units) lies inside a band (bounds included). */
export function isInsideBand(priceMicros: bigint, band: PriceBand): boolean {
  const scaled = priceMicros * TEN ** BigInt(band.scale - PRICE_SCALE);
  return scaled >= band.min && scaled <= band.max;
}
