/**
 * JSON without precision loss. Every JSON number is kept as a lossless-json LosslessNumber
 * (its exact source text), so 19-20 digit ids and decimal prices survive parsing.
 */
import { parse, stringify, isLosslessNumber, LosslessNumber } from 'lossless-json';

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
  try {
    return parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const match = /position (\d+)/.exec(message);
    throw new JsonSyntaxError(message, match ? Number(match[1]) : undefined);
  }
}

/** Serialises a value; LosslessNumber and bigint values are written as bare JSON numbers. */
export function stringifyJsonLossless(value: unknown): string {
  const text = stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? new LosslessNumber(v.toString()) : v));
  if (text === undefined) throw new TypeError('value cannot be serialised to JSON');
  return text;
}
