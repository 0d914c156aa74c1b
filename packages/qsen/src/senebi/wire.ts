/**
 * Turning SENEBI's JSON (numbers kept exact as LosslessNumber) into qsen's wire form, where every
 * number, ids first, is a string. Nothing here ever goes through a JavaScript number.
 */
import { isLosslessNumber } from '@qsen/core/json';

/** A JSON object as it leaves qsen: numbers already written as strings. */
export type WireObject = Record<string, unknown>;

/** Deep copy of a parsed JSON value with every exact number replaced by its decimal string. */
export function toWireValue(value: unknown): unknown {
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toWireValue);
  if (typeof value === 'object' && value !== null) {
    const out: WireObject = {};
    for (const [key, inner] of Object.entries(value)) out[key] = toWireValue(inner);
    return out;
  }
  return value;
}

/** Tells whether a parsed JSON value is a plain object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isLosslessNumber(value);
}
