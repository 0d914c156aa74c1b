/**
 * SENEBI's rejection reasons are free text: they stay in the logs and the audit trail, while
 * metric labels and status keys use this closed set of codes (docs/qsen.md), so the platform
 * cannot create series or keys by choosing what SENEBI echoes back.
 */

/** The codes a SENEBI rejection is counted under (label values `SENEBI:<code>`). */
export const SENEBI_REJECTION_CODES = ['UNKNOWN_INSTRUMENT', 'INVALID_FIELD', 'DUPLICATE_ID', 'PRICE_OUT_OF_BAND', 'OTHER'] as const;
/** One of them. */
export type SenebiRejectionCode = (typeof SENEBI_REJECTION_CODES)[number];

const RULES: ReadonlyArray<readonly [RegExp, SenebiRejectionCode]> = [
  [/unknown[ _]instrument|instrument (?:is )?not listed/i, 'UNKNOWN_INSTRUMENT'],
  [/duplicate/i, 'DUPLICATE_ID'],
  [/band/i, 'PRICE_OUT_OF_BAND'],
  [/^(?:invalid|missing field|unknown field)/i, 'INVALID_FIELD'],
];

/** The label of a SENEBI rejection reason (pure): `SENEBI:<code>`, `SENEBI:OTHER` for anything unrecognised. */
export function classifySenebiReason(reason: string): `SENEBI:${SenebiRejectionCode}` {
  for (const [pattern, code] of RULES) if (pattern.test(reason)) return `SENEBI:${code}`;
  return 'SENEBI:OTHER';
}

/**
 * The closed-set label of a sendOrder outcome reason (pure): the desk reports `SENEBI:<text>`
 * for SENEBI's rejections, SENEBI_REJECTED for one without a reason, and error codes for the
 * rest; a code outside `knownCodes` becomes OTHER.
 */
export function rejectionLabel(reason: string, knownCodes: ReadonlySet<string>): string {
  if (reason.startsWith('SENEBI:')) return classifySenebiReason(reason.slice('SENEBI:'.length));
  if (reason === 'SENEBI_REJECTED' || knownCodes.has(reason)) return reason;
  return 'OTHER';
}
