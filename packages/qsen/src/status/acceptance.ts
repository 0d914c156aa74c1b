/**
 * Is qsen accepting orders right now, and if not, why? A pure verdict shown by /status, the
 * internal /ping (which still answers 200: a process that cannot journal is not hung, and the
 * kans must not restart it for that) and the `qsen_accepting_orders` gauge.
 */

/** The facts the verdict is made of. */
export interface AcceptanceFacts {
  readonly journalWritable: boolean;
  readonly halted: boolean;
  readonly reconciling: boolean;
  readonly stopping: boolean;
  readonly marketOpen: boolean;
}

/** The verdict: accepting, or the codes a sendOrder would be refused with, most severe first. */
export interface Acceptance {
  readonly acceptingOrders: boolean;
  /** Empty while accepting: JOURNAL_UNAVAILABLE, HALTED, SHUTTING_DOWN, RECONCILING, MARKET_CLOSED. */
  readonly notAccepting: string[];
}

/** Judges whether sendOrder would take a new order now. */
export function judgeAcceptance(facts: AcceptanceFacts): Acceptance {
  const reasons: string[] = [];
  if (!facts.journalWritable) reasons.push('JOURNAL_UNAVAILABLE');
  if (facts.halted) reasons.push('HALTED');
  if (facts.stopping) reasons.push('SHUTTING_DOWN');
  if (facts.reconciling) reasons.push('RECONCILING');
  if (!facts.marketOpen) reasons.push('MARKET_CLOSED');
  return { acceptingOrders: reasons.length === 0, notAccepting: reasons };
}
