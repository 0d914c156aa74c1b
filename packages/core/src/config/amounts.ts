/** Decimal amounts as [risk] writes them (shared by the schema and qsen's price checks; no dependency). */

/** Canonical form of a positive decimal text ("0050.10" -> "50.1"), or the reason it is not one. */
export function canonicalAmount(text: string, maxDecimals: number, maxIntegerDigits: number): { ok: true; value: string } | { ok: false; problem: string } {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return { ok: false, problem: 'must be a positive decimal written as a string, e.g. "50000000" or "1234.5"' };
  const integer = (match[1] ?? '0').replace(/^0+(?=[0-9])/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > maxDecimals) return { ok: false, problem: maxDecimals === 0 ? 'must be a whole number' : `at most ${maxDecimals} decimals` };
  if (integer.length > maxIntegerDigits) return { ok: false, problem: `at most ${maxIntegerDigits} integer digits` };
  if (integer === '0' && fraction === '') return { ok: false, problem: 'must be greater than zero' };
  return { ok: true, value: fraction === '' ? integer : `${integer}.${fraction}` };
}
