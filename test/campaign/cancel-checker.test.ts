// The campaign's cancel checker with literal histories: each property is violated by exactly the
// history that breaks it, and a clean history violates none.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCancels, classifyCancelAnswer, formatCancelCheck, type CancelAttempt, type CancelAttemptOutcome, type MassCancelView, type SenebiCancelView } from '../support/campaign/index.js';

const cancelled: CancelAttemptOutcome = { kind: 'cancelled' };
const matched: CancelAttemptOutcome = { kind: 'not_cancellable', status: 'matched' };
const timeout: CancelAttemptOutcome = { kind: 'retry', httpStatus: 504, code: 'SENEBI_TIMEOUT' };
const view = (id: string, state: SenebiCancelView['state'], operations = state === 'matched' ? 1 : 0, cancels = 1): SenebiCancelView => ({ id, state, operations, cancels });
const attempts = (id: string, ...outcomes: CancelAttemptOutcome[]): CancelAttempt[] => outcomes.map((outcome, i) => ({ id, atMs: 10 * (i + 1), outcome }));
const done = (extra: Partial<MassCancelView> = {}): MassCancelView => ({ state: 'done', resumed: 1, cancelled: [], alreadyMatched: [], failed: [], ...extra });
const check = (input: Partial<Parameters<typeof checkCancels>[0]>) => checkCancels({ cancelIds: [], planIds: [], outOfRange: [], attempts: [], views: [], massCancel: done(), ...input });
const only = (result: ReturnType<typeof checkCancels>): string[] => Object.entries(result.violations).filter(([, n]) => n > 0).map(([k]) => k);

describe('campaign cancel checker', () => {
  test('a clean history violates nothing: cancelled after a timeout, matched, twice the same answer, the mass cancel pulled the rest', () => {
    const result = check({
      cancelIds: ['1', '2', '3'],
      planIds: ['1', '2', '3', '4', '5', '6'],
      outOfRange: ['100'],
      attempts: [...attempts('1', timeout, cancelled, cancelled), ...attempts('2', matched), ...attempts('3', { kind: 'not_cancellable', status: 'rejected' })],
      views: [view('1', 'cancelled'), view('2', 'matched'), view('3', 'rejected'), view('4', 'cancelled'), view('5', 'matched'), view('6', 'accepted'), view('100', 'accepted', 0, 0)],
      massCancel: done({ cancelled: ['4'], alreadyMatched: ['5'], failed: [{ id: '6', code: 'SENEBI_TIMEOUT' }] }),
    });
    assert.deepEqual(only(result), []);
    assert.deepEqual(result.finals, { cancelled: 1, matched: 1, other: 1, unanswered: 0 });
    assert.deepEqual(result.answers, { '504 SENEBI_TIMEOUT': 1, '200 cancelled': 2, '409 ORDER_NOT_CANCELLABLE matched': 1, '409 ORDER_NOT_CANCELLABLE rejected': 1 });
  });

  test('answered cancelled, SENEBI holds it resting or matched → (e)', () => {
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', cancelled), views: [view('1', 'accepted')] })), ['e_cancelled_not_at_senebi']);
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', cancelled), views: [view('1', 'matched')] })), ['e_cancelled_not_at_senebi', 'e_cancelled_with_operation']);
  });

  test('answered matched, SENEBI holds it cancelled, or matched without an operation → (f)', () => {
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', matched), views: [view('1', 'cancelled')] })), ['f_matched_not_at_senebi']);
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', matched), views: [view('1', 'matched', 0)] })), ['f_matched_not_at_senebi']);
  });

  test('answers that contradict SENEBI or each other → (g); no final answer or a final refusal → (h)', () => {
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', { kind: 'not_cancellable', status: 'rejected' }), views: [view('1', 'accepted')] })), ['g_contradicts_senebi']);
    assert.ok(only(check({ cancelIds: ['1'], attempts: attempts('1', cancelled, matched), views: [view('1', 'cancelled')] })).includes('g_contradictory_answers'));
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', timeout, { kind: 'no_answer', code: 'ECONNRESET' }), views: [view('1', 'cancelled')] })), ['h_unanswered']);
    assert.deepEqual(only(check({ cancelIds: ['1'], attempts: attempts('1', { kind: 'refused', httpStatus: 404, code: 'ORDER_NOT_FOUND' }), views: [view('1', 'accepted')] })), ['h_refused']);
  });

  test('the mass cancel: not done, a report SENEBI contradicts, an order still resting, an out-of-range order touched → (m)', () => {
    assert.deepEqual(only(check({ massCancel: undefined })), ['m_not_done']);
    assert.deepEqual(only(check({ massCancel: { ...done(), state: 'running' } })), ['m_not_done']);
    assert.deepEqual(only(check({ planIds: ['4'], views: [view('4', 'accepted')], massCancel: done({ cancelled: ['4'] }) })), ['m_cancelled_not_at_senebi', 'm_still_resting']);
    assert.deepEqual(only(check({ planIds: ['5'], views: [view('5', 'cancelled')], massCancel: done({ alreadyMatched: ['5'] }) })), ['m_matched_not_at_senebi']);
    assert.deepEqual(only(check({ outOfRange: ['100'], views: [view('100', 'cancelled')] })), ['m_out_of_range_touched']);
    assert.deepEqual(only(check({ outOfRange: ['100'], views: [view('100', 'accepted', 0, 1)] })), ['m_out_of_range_touched'], 'even a refused cancel request counts');
    assert.match(formatCancelCheck(check({ massCancel: undefined })).join('\n'), /VIOLATION \(m\) the mass cancel did not finish/);
  });

  test('classifyCancelAnswer: cancelled, not cancellable with its status, retries, refusals', () => {
    assert.deepEqual(classifyCancelAnswer(200, '{"order":{"status":"cancelled"}}'), { kind: 'cancelled' });
    assert.deepEqual(classifyCancelAnswer(409, '{"error":{"code":"ORDER_NOT_CANCELLABLE","details":{"status":"matched"}}}'), { kind: 'not_cancellable', status: 'matched' });
    assert.deepEqual(classifyCancelAnswer(409, '{"error":{"code":"ORDER_DELIVERY_UNKNOWN"}}'), { kind: 'retry', httpStatus: 409, code: 'ORDER_DELIVERY_UNKNOWN' });
    assert.deepEqual(classifyCancelAnswer(503, '{"error":{"code":"JOURNAL_UNAVAILABLE"}}'), { kind: 'retry', httpStatus: 503, code: 'JOURNAL_UNAVAILABLE' });
    assert.deepEqual(classifyCancelAnswer(404, '{"error":{"code":"ORDER_NOT_FOUND"}}'), { kind: 'refused', httpStatus: 404, code: 'ORDER_NOT_FOUND' });
    assert.deepEqual(classifyCancelAnswer(200, 'garbage'), { kind: 'retry', httpStatus: 200, code: 'UNREADABLE_ANSWER' });
  });
});
