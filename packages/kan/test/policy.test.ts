import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  actorRank, backoffDelayMs, dailyRestartDueAt, decideAction, decideDailyRestart, effectiveStreak, isCrashLooping, isEvidenceFresh,
  judgeTarget, nextRestartAllowedAt, type ActionInput,
} from '../src/watchdog/policy.js';
import { isSameProcess } from '../src/watchdog/coordinator.js';
import { recordEvent } from '../src/watchdog/ledger.js';

const T0 = 1_700_000_000_000;
const limits = { timeoutMs: 700, toleranceMs: 500 };

test('evidence: a failed probe fired on time and timed out on time is fresh', () => {
  assert.equal(isEvidenceFresh('timeout', { dueAt: T0, firedAt: T0 + 3, settledAt: T0 + 705 }, limits), true);
  assert.equal(isEvidenceFresh('refused', { dueAt: T0, firedAt: T0 + 1, settledAt: T0 + 2 }, limits), true);
});

test('evidence: a probe whose timer fired late because this kan stalled is discarded', () => {
  assert.equal(isEvidenceFresh('timeout', { dueAt: T0, firedAt: T0 + 5_000, settledAt: T0 + 5_700 }, limits), false);
});

test('evidence: a timeout that fired late (stall during the probe) is discarded', () => {
  assert.equal(isEvidenceFresh('timeout', { dueAt: T0, firedAt: T0, settledAt: T0 + 4_000 }, limits), false);
});

test('evidence: a successful probe is always evidence of life, even late', () => {
  assert.equal(isEvidenceFresh('ok', { dueAt: T0, firedAt: T0 + 9_000, settledAt: T0 + 9_500 }, limits), true);
});

const base = { lastOutcome: 'timeout' as const, now: T0 + 60_000, failureThreshold: 3, startupGraceMs: 15_000 };
const running = { state: 'running' as const, pid: 42, startedAt: T0 };

test('verdict: healthy with no failures', () => {
  assert.deepEqual(judgeTarget({ ...base, lastOutcome: 'ok', failures: 0, owner: null }), { kind: 'healthy' });
});

test('verdict: exited as soon as the owner says the process is not running', () => {
  assert.deepEqual(judgeTarget({ ...base, lastOutcome: 'refused', failures: 1, owner: { state: 'stopped', pid: null, startedAt: null } }), { kind: 'exited' });
});

test('verdict: hung after failure_threshold timeouts with the process present', () => {
  assert.deepEqual(judgeTarget({ ...base, failures: 2, owner: running }), { kind: 'suspect', failures: 2 });
  assert.deepEqual(judgeTarget({ ...base, failures: 3, owner: running }), { kind: 'hung', failures: 3 });
});

test('verdict: no hung verdict inside the startup grace or during an owner transition', () => {
  assert.deepEqual(judgeTarget({ ...base, failures: 5, owner: { ...running, startedAt: base.now - 1_000 } }), { kind: 'starting' });
  assert.deepEqual(judgeTarget({ ...base, failures: 5, owner: { ...running, state: 'stopping' } }), { kind: 'starting' });
});

test('verdict: failures without the owner\'s word stay suspect', () => {
  assert.deepEqual(judgeTarget({ ...base, failures: 9, owner: null }), { kind: 'suspect', failures: 9 });
});

test('back-off: first restart immediate, then doubling from the initial delay, capped', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, 1_000, 8_000)), [0, 1_000, 2_000, 4_000, 8_000, 8_000]);
});

test('back-off (property): never negative, never above the cap, growing with the streak, at the cap for long streaks', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 3_600_000 }), fc.integer({ min: 0, max: 3_600_000 }), fc.integer({ min: -5, max: 10_000 }),
    (initialMs, extraMs, streak) => {
      const maxMs = Math.min(3_600_000, initialMs + extraMs);
      const delay = backoffDelayMs(streak, initialMs, maxMs);
      assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= maxMs, `delay ${delay} within [0, ${maxMs}]`);
      assert.ok(backoffDelayMs(streak + 1, initialMs, maxMs) >= delay, 'monotone in the streak');
      if (streak >= 1) assert.ok(delay >= Math.min(initialMs, maxMs), 'a restart after the first waits at least the initial delay');
      // Past 22 doublings even a 1 ms initial delay (2^22 ms > 1 h) has reached any accepted cap.
      if (streak > 23) assert.equal(delay, maxMs);
    },
  ), { numRuns: 2000 });
});

test('back-off (property): a zero initial delay never waits and a huge streak never overflows', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 3_600_000 }), (streak, maxMs) => {
    assert.equal(backoffDelayMs(streak, 0, maxMs), 0);
    const delay = backoffDelayMs(streak, 1_000, maxMs);
    assert.ok(Number.isFinite(delay) && delay <= maxMs);
  }));
});

test('back-off: the streak resets only once the target was seen healthy stable_after_ms after the last restart', () => {
  assert.equal(effectiveStreak({ streak: 4, lastRestartAt: T0 }, T0 + 59_999, 60_000), 4);
  assert.equal(effectiveStreak({ streak: 4, lastRestartAt: T0 }, T0 + 60_000, 60_000), 0);
  assert.equal(effectiveStreak(undefined, T0, 60_000), 0);
});

test('back-off: a target never seen healthy since its last restart keeps its streak however long ago that was', () => {
  assert.equal(effectiveStreak({ streak: 6, lastRestartAt: T0 }, null, 60_000), 6);
  // Last seen healthy before the last restart: that run does not count as stable.
  assert.equal(effectiveStreak({ streak: 6, lastRestartAt: T0 }, T0 - 1, 60_000), 6);
  const policy = { backoffInitialMs: 1_000, backoffMaxMs: 60_000, stableAfterMs: 60_000 };
  // Ten minutes later it still waits the capped delay after the last restart, not the initial one.
  assert.equal(nextRestartAllowedAt({ streak: 6, lastRestartAt: T0 }, T0 + 600_000, null, policy), T0 + 32_000);
  assert.equal(isCrashLooping({ streak: 6, lastRestartAt: T0 }, null, 60_000), true);
});

test('back-off: next allowed restart and crash-loop flag', () => {
  const policy = { backoffInitialMs: 1_000, backoffMaxMs: 60_000, stableAfterMs: 60_000 };
  assert.equal(nextRestartAllowedAt(undefined, T0, null, policy), T0);
  assert.equal(nextRestartAllowedAt({ streak: 1, lastRestartAt: T0 }, T0 + 10, null, policy), T0 + 1_000);
  assert.equal(nextRestartAllowedAt({ streak: 3, lastRestartAt: T0 }, T0 + 10, null, policy), T0 + 4_000);
  assert.equal(isCrashLooping({ streak: 3, lastRestartAt: T0 }, null, 60_000), true);
  assert.equal(isCrashLooping({ streak: 2, lastRestartAt: T0 }, null, 60_000), false);
  assert.equal(isCrashLooping({ streak: 9, lastRestartAt: T0 }, T0 + 60_000, 60_000), false);
});

test('who acts: lowest healthy index first, never the target itself', () => {
  assert.equal(actorRank('qsen', 0, [true, true, true]), 0);
  assert.equal(actorRank('qsen', 1, [true, true, true]), 1);
  assert.equal(actorRank('qsen', 1, [false, true, true]), 0);
  assert.equal(actorRank('kan0', 1, [false, true, true]), 0);
  assert.equal(actorRank('kan0', 2, [false, true, true]), 1);
  assert.equal(actorRank('kan1', 1, [true, true, true]), null);
});

const act: ActionInput = {
  target: 'qsen', verdict: { kind: 'exited' }, windowOpen: true, downSince: T0, now: T0, allowedAt: T0,
  ownerRestartGraceMs: 16_000, rankDelayMs: 0, conditionSince: T0,
};

test('action: exited qsen inside the window is started; hung qsen is restarted', () => {
  assert.deepEqual(decideAction(act), { kind: 'start', reason: 'exited' });
  assert.deepEqual(decideAction({ ...act, verdict: { kind: 'hung', failures: 3 } }), { kind: 'restart', reason: 'hung' });
});

test('action: outside the window qsen is never started, and a running qsen is stopped', () => {
  assert.equal(decideAction({ ...act, windowOpen: false }).kind, 'none');
  assert.deepEqual(decideAction({ ...act, windowOpen: false, verdict: { kind: 'healthy' } }), { kind: 'stop', reason: 'schedule' });
});

test('action: an exited kan is left to its owner until restart delay + grace has passed', () => {
  const kan = { ...act, target: 'kan2' as const };
  assert.equal(decideAction({ ...kan, now: T0 + 15_999 }).kind, 'wait');
  assert.deepEqual(decideAction({ ...kan, now: T0 + 16_000 }), { kind: 'start', reason: 'exited' });
  assert.deepEqual(decideAction({ ...kan, verdict: { kind: 'hung', failures: 3 } }), { kind: 'restart', reason: 'hung' });
});

test('action: back-off holds a restart until allowed', () => {
  assert.deepEqual(decideAction({ ...act, allowedAt: T0 + 4_000 }), { kind: 'wait', why: 'back-off', until: T0 + 4_000 });
});

test('action: a kan later in line waits its rank delay', () => {
  assert.equal(decideAction({ ...act, rankDelayMs: 2_000 }).kind, 'wait');
  assert.equal(decideAction({ ...act, rankDelayMs: 2_000, now: T0 + 2_000 }).kind, 'start');
});

test('action: suspect, starting and healthy targets are left alone', () => {
  for (const verdict of [{ kind: 'healthy' as const }, { kind: 'starting' as const }, { kind: 'suspect' as const, failures: 1 }]) {
    assert.equal(decideAction({ ...act, verdict }).kind, 'none');
  }
});

test('daily restart: only when due and both peers are healthy', () => {
  assert.equal(decideDailyRestart({ now: T0, dueAt: T0 + 1, peersHealthy: true }), 'not-due');
  assert.equal(decideDailyRestart({ now: T0, dueAt: T0, peersHealthy: false }), 'wait');
  assert.equal(decideDailyRestart({ now: T0, dueAt: T0, peersHealthy: true }), 'restart');
});

test('daily restart: staggered by index * stagger minutes after kan_restart', () => {
  const day = 86_400_000;
  const nextLocal = (after: number): number => (Math.floor(after / day) + 1) * day; // "midnight" of a UTC-like day
  const now = 10 * day + 3_600_000;
  assert.equal(dailyRestartDueAt(nextLocal, now, 0, 2), 11 * day);
  assert.equal(dailyRestartDueAt(nextLocal, now, 2, 2), 11 * day + 240_000);
  // kan 2 started at 00:01, before its 00:04 slot: still due today.
  assert.equal(dailyRestartDueAt(nextLocal, 11 * day + 60_000, 2, 2), 11 * day + 240_000);
});

test('identity: the same process only when invocation, pid and up/down agree', () => {
  const judged = { invocation: '5', pid: 10, state: 'running' as const };
  const current = { name: 'qsen' as const, state: 'running' as const, pid: 10, invocation: '5', startedAt: T0, starts: 5 };
  assert.equal(isSameProcess(judged, current), true);
  assert.equal(isSameProcess(judged, { ...current, invocation: '6', pid: 11 }), false);
  assert.equal(isSameProcess({ invocation: '5', pid: null, state: 'stopped' }, { ...current, state: 'stopped', pid: null }), true);
  assert.equal(isSameProcess({ invocation: '5', pid: null, state: 'stopped' }, { ...current, invocation: '6' }), false);
});

test('history: a failure restart grows the streak; a schedule stop does not', () => {
  const ev = { at: 'x', target: 'qsen' as const, action: 'restart' as const, reason: 'hung', by: 0, invocationBefore: '1', invocationAfter: '2', ok: true };
  const h1 = recordEvent(undefined, ev, 0, true, T0);
  assert.equal(h1.streak, 1);
  assert.equal(h1.lastRestartAt, T0);
  const h2 = recordEvent(h1, { ...ev, action: 'stop' }, 1, false, T0 + 5);
  assert.equal(h2.streak, 1);
  assert.equal(h2.lastRestartAt, T0);
  assert.equal(h2.events.length, 2);
});

test('retry (pure): suspect targets at once, refused-while-running shortly, others at the next round', async () => {
  const { retryDelayOf, RETRY_DELAY_MS, REFUSED_RETRY_DELAY_MS } = await import('../src/watchdog/step.js');
  assert.equal(retryDelayOf('suspect', 'timeout', true), RETRY_DELAY_MS);
  assert.equal(retryDelayOf('starting', 'refused', true), REFUSED_RETRY_DELAY_MS);
  assert.equal(retryDelayOf('starting', 'error', true), REFUSED_RETRY_DELAY_MS);
  assert.equal(retryDelayOf('starting', 'timeout', true), null);
  assert.equal(retryDelayOf('healthy', 'ok', true), null);
  assert.equal(retryDelayOf('suspect', 'timeout', false), null);
});
