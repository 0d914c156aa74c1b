/**
 * The campaign's checker for cancels (docs/reliability.md): every answer the platform got to a
 * cancelOrder, and the kill switch's mass cancel report, against SENEBI's own records (the
 * simulator's state of each id and its operations). Pure: literal inputs in
 * test/campaign/cancel-checker.test.ts.
 *
 * (e) answered "cancelled" ⇒ SENEBI holds the order cancelled and no operation of it;
 * (f) answered 409 ORDER_NOT_CANCELLABLE "matched" ⇒ SENEBI holds it matched, with an operation;
 * (g) no final answer contradicts SENEBI or another final answer of the same cancel;
 * (h) every cancel has a final answer after its retries; no final refusal other than "not cancellable";
 * (m) the mass cancel finished, each order it reports cancelled / already matched is so at
 *     SENEBI, nothing of the plan still rests at SENEBI unless the report lists it failed, and no
 *     out-of-range order was touched.
 */
import { createTally, formatAnswers, formatTally, groupAttempts, labelOf, summarizeAnswers, type AttemptOutcome } from './checker.js';

/** What one cancel attempt produced. */
export type CancelAttemptOutcome =
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'not_cancellable'; readonly status: string }
  /** A retry, a refusal or a lost answer: the same outcomes as an order's. */
  | Exclude<AttemptOutcome, { readonly kind: 'order' }>;

/** One cancel attempt, as the clients log it. */
export interface CancelAttempt {
  readonly id: string;
  readonly atMs: number;
  readonly outcome: CancelAttemptOutcome;
}

/** SENEBI's view of one id: its state now, and how many operations it has. */
export interface SenebiCancelView {
  readonly id: string;
  readonly state: 'accepted' | 'matched' | 'cancelled' | 'rejected' | 'absent';
  readonly operations: number;
  /** Cancel requests that reached SENEBI for it. */
  readonly cancels: number;
}

/** The mass cancel's final report as GET /qsen/v1/massCancel answers it (the parts checked). */
export interface MassCancelView {
  readonly state: string;
  readonly resumed: number;
  readonly cancelled: readonly string[];
  readonly alreadyMatched: readonly string[];
  readonly failed: ReadonlyArray<{ readonly id: string; readonly code: string }>;
}

/** The label of a cancel outcome in the answer counts (retries, refusals and lost answers as the order checker labels them). */
export function labelOfCancel(outcome: CancelAttemptOutcome): string {
  if (outcome.kind === 'cancelled') return '200 cancelled';
  if (outcome.kind === 'not_cancellable') return `409 ORDER_NOT_CANCELLABLE ${outcome.status}`;
  return labelOf(outcome);
}

/** Whether a cancel outcome ends the client's retries. */
export function isFinalCancel(outcome: CancelAttemptOutcome): boolean {
  return outcome.kind === 'cancelled' || outcome.kind === 'not_cancellable' || outcome.kind === 'refused';
}

/** The cancel properties, each with its count and examples. */
export const CANCEL_PROPERTIES = {
  e_cancelled_not_at_senebi: '(e) answered cancelled, SENEBI does not hold it cancelled',
  e_cancelled_with_operation: '(e) answered cancelled, SENEBI has an operation of it',
  f_matched_not_at_senebi: '(f) answered not cancellable (matched), SENEBI does not hold it matched with an operation',
  g_contradicts_senebi: '(g) answered not cancellable for another reason while SENEBI holds it accepted, matched or cancelled',
  g_contradictory_answers: '(g) answered both cancelled and not cancellable',
  h_unanswered: '(h) no final answer to a cancel after retries',
  h_refused: '(h) final refusal of a cancel (not "not cancellable")',
  m_not_done: '(m) the mass cancel did not finish',
  m_cancelled_not_at_senebi: '(m) reported cancelled by the mass cancel, SENEBI does not hold it cancelled',
  m_matched_not_at_senebi: '(m) reported already matched by the mass cancel, SENEBI does not hold it matched',
  m_still_resting: '(m) still resting at SENEBI after the mass cancel, not reported failed',
  m_out_of_range_touched: '(m) an out-of-range order was cancelled or asked to be',
} as const;

/** One cancel property's key. */
export type CancelProperty = keyof typeof CANCEL_PROPERTIES;

/** One example of a cancel violation. */
export interface CancelViolation {
  readonly id: string;
  readonly answers: readonly string[];
  readonly senebi: SenebiCancelView | undefined;
}

/** The cancel checker's verdict. */
export interface CancelCheckResult {
  readonly cancels: number;
  readonly attempts: number;
  readonly answers: Readonly<Record<string, number>>;
  readonly finals: { readonly cancelled: number; readonly matched: number; readonly other: number; readonly unanswered: number };
  readonly massCancel: { readonly cancelled: number; readonly alreadyMatched: number; readonly failed: number; readonly resumed: number } | undefined;
  readonly violations: Readonly<Record<CancelProperty, number>>;
  readonly examples: Readonly<Record<CancelProperty, readonly CancelViolation[]>>;
}

/**
 * Checks the cancels. `cancelIds`: the ids the clients cancelled; `planIds`: every id of the
 * plan (the mass cancel's scope); `outOfRange`: the resting orders outside qsen's range placed at
 * SENEBI before the run; `views`: SENEBI's view of every one of them.
 */
export function checkCancels(input: {
  readonly cancelIds: readonly string[];
  readonly planIds: readonly string[];
  readonly outOfRange: readonly string[];
  readonly attempts: readonly CancelAttempt[];
  readonly views: readonly SenebiCancelView[];
  readonly massCancel: MassCancelView | undefined;
}): CancelCheckResult {
  const viewOf = new Map(input.views.map((v) => [v.id, v]));
  const { byId, answers } = groupAttempts(input.cancelIds, input.attempts, (a) => labelOfCancel(a.outcome));
  const tally = createTally<CancelProperty, CancelViolation>(CANCEL_PROPERTIES);
  const flag = (property: CancelProperty, id: string, ordered: readonly CancelAttempt[] = []): void =>
    tally.flag(property, () => ({ id, answers: summarizeAnswers(ordered, (a) => labelOfCancel(a.outcome)), senebi: viewOf.get(id) }));
  const finals = { cancelled: 0, matched: 0, other: 0, unanswered: 0 };

  for (const [id, list] of byId) {
    const ordered = [...list].sort((a, b) => a.atMs - b.atMs);
    const view = viewOf.get(id);
    const state = view?.state ?? 'absent';
    const finalOutcomes = ordered.map((a) => a.outcome).filter(isFinalCancel);
    const last = finalOutcomes[finalOutcomes.length - 1];
    if (!last) {
      finals.unanswered += 1;
      flag('h_unanswered', id, ordered);
      continue;
    }
    const saidCancelled = finalOutcomes.some((o) => o.kind === 'cancelled');
    const saidMatched = finalOutcomes.some((o) => o.kind === 'not_cancellable' && o.status === 'matched');
    if (last.kind === 'cancelled') finals.cancelled += 1;
    else if (last.kind === 'not_cancellable' && last.status === 'matched') finals.matched += 1;
    else finals.other += 1;
    if (saidCancelled && state !== 'cancelled') flag('e_cancelled_not_at_senebi', id, ordered);
    if (saidCancelled && (view?.operations ?? 0) > 0) flag('e_cancelled_with_operation', id, ordered);
    if (saidMatched && (state !== 'matched' || (view?.operations ?? 0) === 0)) flag('f_matched_not_at_senebi', id, ordered);
    if (finalOutcomes.some((o) => o.kind === 'not_cancellable' && o.status !== 'matched') && state !== 'rejected' && state !== 'absent') flag('g_contradicts_senebi', id, ordered);
    if (saidCancelled && finalOutcomes.some((o) => o.kind === 'not_cancellable')) flag('g_contradictory_answers', id, ordered);
    if (finalOutcomes.some((o) => o.kind === 'refused')) flag('h_refused', id, ordered);
  }

  const report = input.massCancel;
  if (!report || report.state !== 'done') flag('m_not_done', '(mass cancel)');
  if (report) {
    for (const id of report.cancelled) if (viewOf.get(id)?.state !== 'cancelled') flag('m_cancelled_not_at_senebi', id);
    for (const id of report.alreadyMatched) if (viewOf.get(id)?.state !== 'matched') flag('m_matched_not_at_senebi', id);
    const failed = new Set(report.failed.map((f) => f.id));
    for (const id of input.planIds) if (viewOf.get(id)?.state === 'accepted' && !failed.has(id)) flag('m_still_resting', id);
  }
  for (const id of input.outOfRange) {
    const view = viewOf.get(id);
    if (view?.state !== 'accepted' || view.cancels > 0) flag('m_out_of_range_touched', id);
  }
  return {
    cancels: byId.size,
    attempts: input.attempts.length,
    answers,
    finals,
    massCancel: report ? { cancelled: report.cancelled.length, alreadyMatched: report.alreadyMatched.length, failed: report.failed.length, resumed: report.resumed } : undefined,
    violations: tally.violations,
    examples: tally.examples,
  };
}

/** The cancel checker's verdict as printed lines. */
export function formatCancelCheck(result: CancelCheckResult): string[] {
  return [
    `  cancels ${result.cancels}, attempts ${result.attempts}; answers by code: ${formatAnswers(result.answers) || 'none'}`,
    `  last cancel answers: cancelled ${result.finals.cancelled}, matched ${result.finals.matched}, other ${result.finals.other}, none ${result.finals.unanswered}`,
    `  mass cancel: ${result.massCancel ? `cancelled ${result.massCancel.cancelled}, already matched ${result.massCancel.alreadyMatched}, failed ${result.massCancel.failed}, resumed ${result.massCancel.resumed}` : 'no report'}`,
    '  cancel properties (violations):',
    ...formatTally(CANCEL_PROPERTIES, result, (v) => `state ${v.state}, operations ${v.operations}, cancels ${v.cancels}`),
  ];
}
