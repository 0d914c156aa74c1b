/**
 * Reference prices for the price collar: the operator's file (TOML, `AL30 = "1234.5"`, one
 * instrument per key, prices per 100 nominal like sendOrder's) and the operator endpoint. A bad
 * file is reported with every problem at once, by key; nothing from the agent's own order flow
 * ever becomes a reference price.
 */
import { readFileSync } from 'node:fs';
import { loadConfigValidator } from '@qsen/core/config/load';
import { isLosslessNumber } from '@qsen/core/json';
import { canonicalAmount } from '@qsen/core/config';
import { parseScaled, PRICE_SCALE } from './decimal.js';
import { errorMessage } from '@qsen/core/errors';

/** One reference price: canonical text and exact value (10^-6 units). */
export interface ReferencePrice {
  readonly price: string;
  readonly micros: bigint;
}

/** What reading reference prices found: the prices, or every problem (key: message). */
export type PricesReading = { readonly ok: true; readonly prices: ReadonlyMap<string, ReferencePrice> } | { readonly ok: false; readonly problems: readonly string[] };

const INSTRUMENT = /^[A-Z0-9.]{1,12}$/;

/** Reads a map of instrument -> price text as given by an operator (file or endpoint). */
export function readReferencePrices(entries: Readonly<Record<string, unknown>>): PricesReading {
  const problems: string[] = [];
  const prices = new Map<string, ReferencePrice>();
  for (const [instrument, value] of Object.entries(entries)) {
    if (!INSTRUMENT.test(instrument)) {
      problems.push(`${instrument}: not an instrument (1 to 12 characters [A-Z0-9.])`);
      continue;
    }
    // The endpoint's JSON numbers arrive exact (lossless); the file's TOML numbers may be floats.
    const text = isLosslessNumber(value) ? value.toString() : value;
    if (typeof text !== 'string') {
      problems.push(`${instrument}: write the price as a string, e.g. "1234.5"`);
      continue;
    }
    const parsed = canonicalAmount(text, PRICE_SCALE, 12);
    if (!parsed.ok) {
      problems.push(`${instrument}: ${parsed.problem}`);
      continue;
    }
    prices.set(instrument, { price: parsed.value, micros: parseScaled(parsed.value, PRICE_SCALE) ?? 0n });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, prices };
}

/** Parses the text of a reference prices file. */
export function parseReferencePricesText(text: string): PricesReading {
  let raw: unknown;
  try {
    // conf.toml's parser, loaded on first use and let go after start and each reload (node.ts).
    raw = loadConfigValidator().toml.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not valid TOML: ${errorMessage(err).split('\n')[0] ?? ''}`] };
  }
  return readReferencePrices(raw as Record<string, unknown>);
}

/** Reads and parses a reference prices file (problems name the file). */
export function loadReferencePricesFile(file: string): PricesReading {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, problems: [`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})`}`] };
  }
  const reading = parseReferencePricesText(text);
  return reading.ok ? reading : { ok: false, problems: reading.problems.map((p) => `${file}: ${p}`) };
}
