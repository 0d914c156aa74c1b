// The campaign's checker with literal histories: each property is violated by exactly the
// history that breaks it, and a clean history violates none.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCampaign, classifyAnswer, formatCheck, retryDelayMs, type Attempt, type AttemptOutcome, type SenebiRecord } from '../support/campaign/index.js';

const accepted: AttemptOutcome = { kind: 'order', status: 'accepted' };
const rejected: AttemptOutcome = { kind: 'order', status: 'rejected', reason: 'duplicate order id' };
const timeout: AttemptOutcome = { kind: 'retry', httpStatus: 504, code: 'SENEBI_TIMEOUT' };
const reset: AttemptOutcome = { kind: 'no_answer', code: 'ECONNRESET' };
const refused: AttemptOutcome = { kind: 'refused', httpStatus: 409, code: 'DUPLICATE_ORDER_ID' };

const record = (id: string, status: SenebiRecord['status'], extra: Partial<SenebiRecord> = {}): SenebiRecord => ({
  id, received: 1, accepted: status === 'accepted' ? 1 : 0, duplicates: 0, pending: 0, status, ...extra,
});
const attempts = (id: string, ...outcomes: AttemptOutcome[]): Attempt[] => outcomes.map((outcome, i) => ({ id, atMs: 100 * (i + 1), outcome }));

describe('campaign checker', () => {
  test('a clean history violates nothing and is counted', () => {
    const result = checkCampaign(['1', '2', '3'], [
      ...attempts('1', timeout, reset, accepted),
      ...attempts('2', { kind: 'order', status: 'rejected', reason: 'unknown instrument ZZ99' }),
      ...attempts('3', accepted, accepted),
    ], [record('1', 'accepted', { received: 2 }), record('2', 'rejected'), record('3', 'accepted')]);
    assert.ok(Object.values(result.violations).every((n) => n === 0), JSON.stringify(result.violations));
    assert.equal(result.orders, 3);
    assert.equal(result.attempts, 6);
    assert.deepEqual(result.answers, { '504 SENEBI_TIMEOUT': 1, ECONNRESET: 1, '200 accepted': 3, '200 rejected': 1 });
    assert.deepEqual(result.finalStates, { accepted: 2, rejected: 1, unanswered: 0 });
    assert.deepEqual(result.senebiStates, { accepted: 2, rejected: 1, absent: 0 });
  });

  test('issue 11 point 1: accepted at SENEBI, answered "rejected, duplicate order id" → (a) and (d)', () => {
    const result = checkCampaign(['7'], attempts('7', timeout, rejected), [record('7', 'accepted', { received: 2, duplicates: 1 })]);
    assert.equal(result.violations.a_accepted_but_answered_rejected, 1);
    assert.equal(result.violations.d_state_mismatch, 1);
    assert.equal(result.violations.c_lost, 0);
    const lines = formatCheck(result).join('\n');
    assert.match(lines, /VIOLATION \(a\) accepted at SENEBI, last answer "rejected": id 7; answers: 100ms 504 SENEBI_TIMEOUT -> 200ms 200 rejected; SENEBI: received 2, accepted 1, duplicates 1, pending 0, state accepted/);
  });

  test('accepted at SENEBI with no 200 after every retry → (a) and unanswered', () => {
    const result = checkCampaign(['8'], attempts('8', timeout, { kind: 'retry', httpStatus: 503, code: 'JOURNAL_UNAVAILABLE' }), [record('8', 'accepted')]);
    assert.equal(result.violations.a_accepted_but_unanswered, 1);
    assert.equal(result.violations.unanswered, 1);
    assert.equal(result.violations.d_state_mismatch, 0, 'no last answer to compare');
  });

  test('accepted twice at SENEBI → (b)', () => {
    const result = checkCampaign(['9'], attempts('9', accepted), [record('9', 'accepted', { received: 2, accepted: 2 })]);
    assert.equal(result.violations.b_accepted_twice, 1);
  });

  test('answered accepted, absent at SENEBI → (c) lost and (d)', () => {
    const result = checkCampaign(['10', '11'], [...attempts('10', accepted), ...attempts('11', accepted)], [record('11', 'rejected')]);
    assert.equal(result.violations.c_lost, 2);
    assert.equal(result.violations.d_state_mismatch, 2);
    assert.equal(result.senebiStates.absent, 1);
  });

  test('contradictory answers, a refusal and a submission still in process are flagged', () => {
    const result = checkCampaign(['12', '13'], [...attempts('12', rejected, accepted), ...attempts('13', refused)], [record('12', 'accepted'), record('13', 'absent', { pending: 1 })]);
    assert.equal(result.violations.contradictory_answers, 1);
    assert.equal(result.violations.refused, 1);
    assert.equal(result.violations.pending_at_senebi, 1);
    assert.equal(result.violations.unanswered, 1, 'a refusal is not a 200');
    assert.equal(result.violations.d_state_mismatch, 0, 'the last answer (accepted) equals SENEBI');
  });

  test('examples fold runs of the same answer', () => {
    const result = checkCampaign(['15'], attempts('15', timeout, timeout, timeout, reset, timeout), [record('15', 'absent')]);
    assert.deepEqual(result.examples.unanswered[0]?.answers, ['100-300ms 504 SENEBI_TIMEOUT x3', '400ms ECONNRESET', '500ms 504 SENEBI_TIMEOUT']);
  });

  test('the last answer is the latest by completion time, whatever the log order', () => {
    const result = checkCampaign(['14'], [{ id: '14', atMs: 900, outcome: accepted }, { id: '14', atMs: 100, outcome: rejected }], [record('14', 'accepted')]);
    assert.equal(result.violations.d_state_mismatch, 0);
    assert.equal(result.violations.contradictory_answers, 1);
  });

  test('answers are classified as the integrator docs say: 502/503/504 retried, other 4xx final', () => {
    assert.deepEqual(classifyAnswer(200, '{"order": {"status": "accepted", "senebi": {"status": "accepted"}}}'), { kind: 'order', status: 'accepted' });
    assert.deepEqual(classifyAnswer(200, '{"order": {"status": "rejected", "senebi": {"reason": "unknown instrument ZZ99"}}}'), { kind: 'order', status: 'rejected', reason: 'unknown instrument ZZ99' });
    assert.deepEqual(classifyAnswer(200, 'not json'), { kind: 'retry', httpStatus: 200, code: 'UNREADABLE_ANSWER' });
    for (const status of [502, 503, 504]) assert.equal(classifyAnswer(status, '{"error": {"code": "X"}}').kind, 'retry');
    assert.deepEqual(classifyAnswer(409, '{"error": {"code": "DUPLICATE_ORDER_ID"}}'), refused);
    assert.deepEqual(classifyAnswer(423, ''), { kind: 'refused', httpStatus: 423, code: 'NO_ERROR_BODY' });
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 10].map(retryDelayMs), [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });
});
