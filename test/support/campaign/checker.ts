/**
 * The campaign's checker: compares every answer the platform clients got with SENEBI's own record
 * of each id (the simulator's admin API) and counts the violations of the four properties, with
 * a few exact examples of each. Pure: literal inputs in test/campaign/checker.test.ts.
 *
 * (a) no order accepted at SENEBI while qsen's last answer for it says rejected, or gives no
 *     answer after every retry;
 * (b) no id accepted twice at SENEBI (the simulator counts the submissions it accepted per id);
 * (c) no order lost: nothing answered "200 accepted" is missing (or not accepted) at SENEBI;
 * (d) each id's last answer equals SENEBI's state.
 * Also checked: no id answered both accepted and rejected, no final refusal (409, 400, 403, 423)
 * of an order that was only ever sent with one content, every id has a final answer, nothing
 * still in process at SENEBI.
 */

/** What one attempt (one HTTP exchange with qsen) produced. */
export type AttemptOutcome =
  | { readonly kind: 'order'; readonly status: 'accepted' | 'rejected'; readonly reason?: string }
  | { readonly kind: 'retry'; readonly httpStatus: number; readonly code: string }
  | { readonly kind: 'refused'; readonly httpStatus: number; readonly code: string }
  | { readonly kind: 'no_answer'; readonly code: string };

/** One attempt, as the clients log it. */
export interface Attempt {
  readonly id: string;
  /** Completion time in ms from the run's start (orders the answers of one id). */
  readonly atMs: number;
  readonly outcome: AttemptOutcome;
}

/** SENEBI's record of one id (GET /admin/v1/records). */
export interface SenebiRecord {
  readonly id: string;
  readonly received: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly pending: number;
  readonly status: 'accepted' | 'rejected' | 'absent';
}

/** The label of an outcome in the answer counts: "200 accepted", "504 SENEBI_TIMEOUT", "ECONNRESET". */
export function labelOf(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'order':
      return `200 ${outcome.status}`;
    case 'retry':
    case 'refused':
      return `${outcome.httpStatus} ${outcome.code}`;
    case 'no_answer':
      return outcome.code;
  }
}

/** Whether an outcome ends the client's retries (a 200, or a refusal that retrying cannot change). */
export function isFinal(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'order' || outcome.kind === 'refused';
}

/** The properties, each with its count and up to `EXAMPLES` examples. */
export const PROPERTIES = {
  a_accepted_but_answered_rejected: '(a) accepted at SENEBI, last answer "rejected"',
  a_accepted_but_unanswered: '(a) accepted at SENEBI, no 200 answer after retries',
  b_accepted_twice: '(b) accepted twice at SENEBI',
  c_lost: '(c) answered 200 accepted, not accepted at SENEBI',
  d_state_mismatch: '(d) last answer differs from SENEBI\'s state',
  contradictory_answers: 'answered both accepted and rejected',
  refused: 'final refusal (409/400/403/423) of a same-content order',
  unanswered: 'no final answer after retries',
  pending_at_senebi: 'still in process at SENEBI at the end',
} as const;

/** One property's key. */
export type Property = keyof typeof PROPERTIES;

/** How many examples of each violation are kept. */
const EXAMPLES = 5;

/** One example of a violation: the id, its answers in order, SENEBI's record. */
export interface Violation {
  readonly id: string;
  readonly answers: readonly string[];
  readonly senebi: SenebiRecord | undefined;
}

/** A table of properties being checked: each property's violation count and its first examples. */
export interface Tally<P extends string, V> {
  readonly violations: Record<P, number>;
  readonly examples: Record<P, V[]>;
  /** Counts one violation; `example` is made only while fewer than EXAMPLES are kept. */
  flag(property: P, example: () => V): void;
}

/** Starts a tally of `properties` (every count at 0). The order and the cancel checkers share it. */
export function createTally<P extends string, V>(properties: Readonly<Record<P, string>>): Tally<P, V> {
  const keys = Object.keys(properties) as P[];
  const violations = Object.fromEntries(keys.map((k) => [k, 0])) as Record<P, number>;
  const examples = Object.fromEntries(keys.map((k) => [k, [] as V[]])) as Record<P, V[]>;
  return {
    violations,
    examples,
    flag(property, example) {
      violations[property] += 1;
      if (examples[property].length < EXAMPLES) examples[property].push(example());
    },
  };
}

/** The attempts of every id of `ids` (each present, maybe empty) and the count of every attempt by its label. */
export function groupAttempts<A extends { readonly id: string }>(ids: readonly string[], attempts: readonly A[], label: (attempt: A) => string): { byId: Map<string, A[]>; answers: Record<string, number> } {
  const byId = new Map<string, A[]>(ids.map((id) => [id, []]));
  const answers: Record<string, number> = {};
  for (const attempt of attempts) {
    byId.get(attempt.id)?.push(attempt);
    const key = label(attempt);
    answers[key] = (answers[key] ?? 0) + 1;
  }
  return { byId, answers };
}

/** Answer counts, most frequent first: "504 SENEBI_TIMEOUT x3, 200 accepted x2". */
export function formatAnswers(answers: Readonly<Record<string, number>>): string {
  return Object.entries(answers).sort(([, a], [, b]) => b - a).map(([k, v]) => `${k} x${v}`).join(', ');
}

/** A tally as printed lines: each property's count, then every example with `senebi` describing SENEBI's record of it. */
export function formatTally<P extends string, S>(
  properties: Readonly<Record<P, string>>,
  result: { readonly violations: Readonly<Record<P, number>>; readonly examples: Readonly<Record<P, ReadonlyArray<{ readonly id: string; readonly answers: readonly string[]; readonly senebi: S | undefined }>>> },
  senebi: (record: S) => string,
): string[] {
  const entries = Object.entries(properties) as [P, string][];
  return [
    ...entries.map(([key, title]) => `    ${title}: ${result.violations[key]}`),
    ...entries.flatMap(([key, title]) => result.examples[key].map((example) =>
      `  VIOLATION ${title}: id ${example.id}; answers: ${example.answers.join(' -> ') || 'none'}; SENEBI: ${example.senebi ? senebi(example.senebi) : 'no record'}`)),
  ];
}

/** The checker's verdict. */
export interface CheckResult {
  readonly orders: number;
  readonly attempts: number;
  readonly answers: Readonly<Record<string, number>>;
  readonly finalStates: { readonly accepted: number; readonly rejected: number; readonly unanswered: number };
  readonly senebiStates: { readonly accepted: number; readonly rejected: number; readonly absent: number };
  /** Submissions SENEBI received for the plan's ids, ids it received more than once, duplicate-id refusals it answered. */
  readonly senebiTotals: { readonly submissions: number; readonly idsReceivedTwiceOrMore: number; readonly duplicateRefusals: number };
  readonly violations: Readonly<Record<Property, number>>;
  readonly examples: Readonly<Record<Property, readonly Violation[]>>;
}

/** An id's answers in time order, runs of the same answer folded: "12260ms 502 SENEBI_ERROR x5". */
export function summarizeAnswers<A extends { readonly atMs: number }>(ordered: readonly A[], labelOfAttempt: (attempt: A) => string): string[] {
  const out: string[] = [];
  let run: { first: A; label: string; count: number; lastMs: number } | undefined;
  const flush = (): void => {
    if (!run) return;
    out.push(run.count === 1 ? `${run.first.atMs}ms ${run.label}` : `${run.first.atMs}-${run.lastMs}ms ${run.label} x${run.count}`);
  };
  for (const attempt of ordered) {
    const label = labelOfAttempt(attempt);
    if (run && run.label === label) {
      run.count += 1;
      run.lastMs = attempt.atMs;
      continue;
    }
    flush();
    run = { first: attempt, label, count: 1, lastMs: attempt.atMs };
  }
  flush();
  return out;
}

/** Checks the clients' answers against SENEBI's records. `ids` are every id the plan sent. */
export function checkCampaign(ids: readonly string[], attempts: readonly Attempt[], records: readonly SenebiRecord[]): CheckResult {
  const { byId, answers } = groupAttempts(ids, attempts, (a) => labelOf(a.outcome));
  const recordOf = new Map(records.map((r) => [r.id, r]));
  const tally = createTally<Property, Violation>(PROPERTIES);
  const finalStates = { accepted: 0, rejected: 0, unanswered: 0 };
  const senebiStates = { accepted: 0, rejected: 0, absent: 0 };
  const senebiTotals = { submissions: 0, idsReceivedTwiceOrMore: 0, duplicateRefusals: 0 };

  for (const [id, list] of byId) {
    const ordered = [...list].sort((x, y) => x.atMs - y.atMs);
    const record = recordOf.get(id);
    const state = record?.status ?? 'absent';
    senebiStates[state] += 1;
    senebiTotals.submissions += record?.received ?? 0;
    if ((record?.received ?? 0) > 1) senebiTotals.idsReceivedTwiceOrMore += 1;
    senebiTotals.duplicateRefusals += record?.duplicates ?? 0;
    const orderAnswers = ordered.map((a) => a.outcome).filter((o): o is Extract<AttemptOutcome, { kind: 'order' }> => o.kind === 'order');
    const finals = ordered.filter((a) => isFinal(a.outcome));
    const last = finals[finals.length - 1]?.outcome;
    const lastState = last?.kind === 'order' ? last.status : undefined;
    if (lastState) finalStates[lastState] += 1;
    else finalStates.unanswered += 1;

    const flag = (property: Property): void => tally.flag(property, () => ({ id, answers: summarizeAnswers(ordered, (a) => labelOf(a.outcome)), senebi: record }));
    if (state === 'accepted' && lastState === 'rejected') flag('a_accepted_but_answered_rejected');
    if (state === 'accepted' && lastState === undefined) flag('a_accepted_but_unanswered');
    if ((record?.accepted ?? 0) > 1) flag('b_accepted_twice');
    if (orderAnswers.some((o) => o.status === 'accepted') && state !== 'accepted') flag('c_lost');
    if (lastState !== undefined && lastState !== state) flag('d_state_mismatch');
    if (orderAnswers.some((o) => o.status === 'accepted') && orderAnswers.some((o) => o.status === 'rejected')) flag('contradictory_answers');
    if (finals.some((a) => a.outcome.kind === 'refused')) flag('refused');
    if (lastState === undefined) flag('unanswered');
    if ((record?.pending ?? 0) > 0) flag('pending_at_senebi');
  }
  return { orders: byId.size, attempts: attempts.length, answers, finalStates, senebiStates, senebiTotals, violations: tally.violations, examples: tally.examples };
}

/** The checker's verdict as printed lines (counts first, then the examples of each violation). */
export function formatCheck(result: CheckResult): string[] {
  return [
    `  answers by code: ${formatAnswers(result.answers)}`,
    `  last answers: accepted ${result.finalStates.accepted}, rejected ${result.finalStates.rejected}, none ${result.finalStates.unanswered}; SENEBI holds: accepted ${result.senebiStates.accepted}, rejected ${result.senebiStates.rejected}, absent ${result.senebiStates.absent}`,
    `  SENEBI received ${result.senebiTotals.submissions} submissions; ${result.senebiTotals.idsReceivedTwiceOrMore} ids more than once; ${result.senebiTotals.duplicateRefusals} duplicate-id refusals`,
    '  properties (violations):',
    ...formatTally(PROPERTIES, result, (r) => `received ${r.received}, accepted ${r.accepted}, duplicates ${r.duplicates}, pending ${r.pending}, state ${r.status}`),
  ];
}
