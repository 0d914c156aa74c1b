/**
 * JSON without precision loss. Every JSON number is kept as a lossless-json LosslessNumber
 * (its exact source text), so 19-20 digit ids and decimal prices survive parsing.
 *
 * lossless-json is a parser and serialiser written in JavaScript; V8's own JSON is several times
 * cheaper. So the precision-keeping work is done only where numbers are (issue 17): text without
 * a number (ids and prices sent as strings, as qsen writes them) is parsed by JSON.parse, and a
 * value without a LosslessNumber or bigint is written by JSON.stringify. Both give exactly what
 * lossless-json gives for such input (packages/core/test/json-lossless.test.ts compares them on
 * random values); anything else, and every error, goes through lossless-json as before.
 */
import { parse, stringify, isLosslessNumber, LosslessNumber } from 'lossless-json';
import { errorMessage } from '../errors/api-error.js';

export { LosslessNumber, isLosslessNumber };

/** Thrown for text that is not valid JSON; `position` is where parsing stopped when known. */
export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position?: number) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** Parses JSON text keeping every number as a LosslessNumber. Throws JsonSyntaxError. */
export function parseJsonLossless(text: string): unknown {
  const plain = parseWithoutNumbers(text);
  if (plain !== undefined) return plain.value;
  try {
    return parse(text);
  } catch (err) {
    const message = errorMessage(err);
    const match = /position (\d+)/.exec(message);
    throw new JsonSyntaxError(message, match ? Number(match[1]) : undefined);
  }
}

/** Own keys of every object in a JSON.parse result (recursive). */
function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countKeys(item);
    return count;
  }
  for (const key in value) count += 1 + countKeys((value as Record<string, unknown>)[key]);
  return count;
}

/** What one pass over JSON text outside its strings finds (pure, linear). */
export interface JsonTextShape {
  /** The deepest nesting of `{`/`[`. */
  readonly depth: number;
  /** Keys written: in valid text, every ':' outside strings separates a key from its value. */
  readonly keys: number;
  /** A number token (a digit or '-' outside strings). */
  readonly hasNumber: boolean;
}

/** Scans `text` once, skipping strings (body.ts reads the nesting depth from it too). */
export function scanJsonText(text: string): JsonTextShape {
  let depth = 0;
  let deepest = 0;
  let keys = 0;
  let hasNumber = false;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth -= 1;
    else if (c === 0x3a) keys += 1;
    else if ((c >= 0x30 && c <= 0x39) || c === 0x2d) hasNumber = true;
  }
  return { depth: deepest, keys, hasNumber };
}

/**
 * JSON.parse's value for text without a number token, when it is what lossless-json would give:
 * valid text (JSON.parse throws otherwise) whose objects hold every key written (a key given
 * twice is lossless-json's to judge: refused, or read once when the values are equal).
 * Undefined: lossless-json must parse it.
 */
function parseWithoutNumbers(text: string): { value: unknown } | undefined {
  const shape = scanJsonText(text);
  if (shape.hasNumber) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return countKeys(value) === shape.keys ? { value } : undefined;
  } catch {
    return undefined;
  }
}

/** True when JSON.stringify writes `value` as lossless-json does: nothing in it is a LosslessNumber or a bigint. */
function stringifyPlain(value: unknown): string | undefined {
  // A BigInt.prototype.toJSON (some libraries add one) would make JSON.stringify write bigints its own way.
  if ((BigInt.prototype as { toJSON?: unknown }).toJSON !== undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value); // throws TypeError on a bigint (and on a cycle)
  } catch {
    return undefined;
  }
  // A LosslessNumber is an object with this own field: JSON.stringify would write it as one. In
  // JSON text an unescaped quote only opens or closes a string, so this is a key, never a value.
  if (text === undefined || text.includes('"isLosslessNumber":')) return undefined;
  return text;
}

/** Serialises a value; LosslessNumber and bigint values are written as bare JSON numbers. */
export function stringifyJsonLossless(value: unknown): string {
  const plain = stringifyPlain(value);
  if (plain !== undefined) return plain;
  const text = stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? new LosslessNumber(v.toString()) : v));
  if (text === undefined) throw new TypeError('value cannot be serialised to JSON');
  return text;
}
