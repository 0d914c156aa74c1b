/**
 * The instruments the simulated bilateral segment lists, each with a reference price in USD per
 * 100 nominal (used only to make seeded business look plausible).
 */

/** One listed instrument. */
export interface Instrument {
  readonly symbol: string;
  readonly referenceUsd: number;
}

/** Listed instruments (Argentine sovereign bonds and a LECAP). */
export const LISTED_INSTRUMENTS: readonly Instrument[] = Object.freeze([
  { symbol: 'AL29', referenceUsd: 66.8 },
  { symbol: 'AL30', referenceUsd: 62.4 },
  { symbol: 'AL35', referenceUsd: 58.1 },
  { symbol: 'AL41', referenceUsd: 55.3 },
  { symbol: 'AE38', referenceUsd: 61.7 },
  { symbol: 'GD29', referenceUsd: 68.2 },
  { symbol: 'GD30', referenceUsd: 64.9 },
  { symbol: 'GD35', referenceUsd: 60.5 },
  { symbol: 'GD38', referenceUsd: 65.0 },
  { symbol: 'GD41', referenceUsd: 57.9 },
  { symbol: 'GD46', referenceUsd: 59.6 },
  { symbol: 'TX26', referenceUsd: 85.2 },
  { symbol: 'TX28', referenceUsd: 80.7 },
  { symbol: 'TZX26', referenceUsd: 90.1 },
  { symbol: 'BPY26', referenceUsd: 97.4 },
  { symbol: 'S31O6', referenceUsd: 88.6 },
  { symbol: 'DICP', referenceUsd: 72.3 },
  { symbol: 'PARP', referenceUsd: 48.9 },
]);

/** The listed symbols, for lookups. */
export const LISTED_SYMBOLS: ReadonlySet<string> = new Set(LISTED_INSTRUMENTS.map((i) => i.symbol));
