/**
 * Exact unsigned 64-bit ids. An id lives as its canonical decimal string (no sign, no leading
 * zeros, at most 20 digits, at most 18446744073709551615) and is compared with BigInt.
 * It never passes through a JavaScript number.
 */
import { isLosslessNumber } from 'lossless-json';

/** A canonical unsigned 64-bit decimal string (brand: only parseUint64 makes one). */
export type Uint64 = string & { readonly __brand: 'Uint64' };

/** The largest unsigned 64-bit value. */
export const UINT64_MAX = 18446744073709551615n;
const UINT64_MAX_TEXT = UINT64_MAX.toString();

/** Inclusive id range. */
export interface IdRange {
  readonly min: Uint64;
  readonly max: Uint64;
}

/** Why a raw value is not an id (stable reasons for error details). */
export type Uint64Problem = 'not_a_string_or_number' | 'not_decimal_digits' | 'leading_zero' | 'too_large';

/**
 * Reads an id from a JSON value without loss: a string of ASCII decimal digits, a lossless-json
 * number, or a bigint. Rejects signs, exponents, fractions, leading zeros, Unicode digits and
 * anything above 2^64-1.
 */
export function parseUint64(value: unknown): { ok: true; value: Uint64 } | { ok: false; problem: Uint64Problem } {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (isLosslessNumber(value)) text = value.toString();
  else if (typeof value === 'bigint') text = value.toString();
  else return { ok: false, problem: 'not_a_string_or_number' };
  if (!/^[0-9]{1,20}$/.test(text)) return { ok: false, problem: 'not_decimal_digits' };
  if (text.length > 1 && text.startsWith('0')) return { ok: false, problem: 'leading_zero' };
  // Only 20 digits can pass 2^64-1; digit strings of one length compare as their numbers.
  if (text.length === 20 && text > UINT64_MAX_TEXT) return { ok: false, problem: 'too_large' };
  return { ok: true, value: text as Uint64 };
}

/** Like parseUint64 but throws a TypeError; for values already validated (config, journal). */
export function toUint64(value: unknown): Uint64 {
  const parsed = parseUint64(value);
  if (!parsed.ok) throw new TypeError(`not an unsigned 64-bit id (${parsed.problem})`);
  return parsed.value;
}

/** Orders two ids numerically: negative, zero or positive. */
export function compareUint64(a: Uint64, b: Uint64): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Tells whether an id lies inside the inclusive range. */
export function isInRange(id: Uint64, range: IdRange): boolean {
  const x = BigInt(id);
  return x >= BigInt(range.min) && x <= BigInt(range.max);
}
