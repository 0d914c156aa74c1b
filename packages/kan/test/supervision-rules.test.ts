// The pure rules added for issue 13, with literal inputs: a stopped process is hung evidence
// even inside the startup grace (/proc state T), a timeout while the heartbeat advances is busy
// and not hung, the kan quorum, the restart cycle of requested restarts, and the step that
// combines them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_DEFAULTS, heartbeatAgeMs, parseHeartbeat, type WatchdogConfig } from '@qsen/core';
import { kernelStateOf, parseProcStat } from '../src/process/proc.js';
import { isReplaced } from '../src/process/systemd.js';
import { outcomeOfError } from '../src/watchdog/probe.js';
import { isBusyNotHung, judgeTarget } from '../src/watchdog/policy.js';
import { judgeKanRestart } from '../src/watchdog/quorum.js';
import { isInRestartCycle } from '../src/watchdog/requests.js';
import { backoffPolicyOf } from '../src/watchdog/ledger.js';
import {
  decideTarget, heartbeatMaxAgeMs, initialTargetState, probeTimeoutOf, recordProbe, STOPPED_PROBE_TIMEOUT_MS, type DecisionContext, type Observation,
} from '../src/watchdog/step.js';
import type { ProcessState } from '../src/process/control.js';

const T0 = 1_700_000_000_000;
const settings: WatchdogConfig = { ...CONFIG_DEFAULTS.watchdog };

test('/proc/PID/stat: state and start time, with spaces and parentheses in the command', () => {
  const line = '4242 (node (qsen) x) T 1 4242 4242 0 -1 4194560 1 0 0 0 5 1 0 0 20 0 11 0 987654 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n';
  assert.deepEqual(parseProcStat(line), { state: 'stopped', startTicks: '987654' });
  assert.equal(parseProcStat('garbage'), null);
  assert.deepEqual(['R', 'S', 'I', 'D', 'T', 't', 'Z', 'X', '?'].map(kernelStateOf), ['running', 'sleeping', 'sleeping', 'disk-sleep', 'stopped', 'stopped', 'zombie', 'dead', 'other']);
});

const running = { state: 'running' as const, pid: 42, startedAt: T0 };
const base = { lastOutcome: 'timeout' as const, failureThreshold: 3, startupGraceMs: 15_000 };

test('verdict: a stopped process inside its startup grace is hung after failure_threshold failures, not starting', () => {
  const inGrace = { ...base, now: T0 + 2_000, owner: running };
  assert.deepEqual(judgeTarget({ ...inGrace, failures: 5 }), { kind: 'starting' }, 'a slow starter keeps its grace');
  assert.deepEqual(judgeTarget({ ...inGrace, failures: 5, stopped: false }), { kind: 'starting' });
  assert.deepEqual(judgeTarget({ ...inGrace, failures: 2, stopped: true }), { kind: 'suspect', failures: 2 }, 'the usual threshold');
  assert.deepEqual(judgeTarget({ ...inGrace, failures: 3, stopped: true }), { kind: 'hung', failures: 3 });
  assert.deepEqual(judgeTarget({ ...inGrace, failures: 3, stopped: true, owner: { ...running, state: 'stopping' } }), { kind: 'starting' }, 'an owner transition still wins');
});

test('busy is not hung: a timeout with an advancing heartbeat is excused; refusals, stale and missing heartbeats are not', () => {
  assert.equal(isBusyNotHung('timeout', 300, 2_100), true);
  assert.equal(isBusyNotHung('timeout', 2_101, 2_100), false);
  assert.equal(isBusyNotHung('timeout', null, 2_100), false);
  assert.equal(isBusyNotHung('reset', 300, 2_100), true, 'a connection dropped by the listener\'s limits');
  assert.equal(isBusyNotHung('refused', 10, 2_100), false);
  assert.equal(isBusyNotHung('error', 10, 2_100), false);
  assert.equal(heartbeatMaxAgeMs(settings), 2_100);
  assert.equal(heartbeatMaxAgeMs({ failure_threshold: 1, timeout_ms: 100 }), 1_000);
});

test('probe: refused, reset and other connection errors are told apart', () => {
  assert.deepEqual(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', undefined].map(outcomeOfError), ['refused', 'reset', 'reset', 'error', 'error']);
});

test('heartbeat: its age counts only for the pid the owner names', () => {
  const reading = parseHeartbeat('4242\n', T0);
  assert.deepEqual(reading, { pid: 4242, touchedAt: T0 });
  assert.equal(parseHeartbeat('42 43', T0), null);
  assert.equal(heartbeatAgeMs(reading, 4242, T0 + 500), 500);
  assert.equal(heartbeatAgeMs(reading, 4243, T0 + 500), null, 'a previous process\'s heartbeat is no evidence');
  assert.equal(heartbeatAgeMs(null, 4242, T0), null);
});

test('quorum: a kan that answers may be restarted only while both others answer; a kan that is down always', () => {
  assert.deepEqual(judgeKanRestart(0, [true, true, true]), { ok: true });
  assert.deepEqual(judgeKanRestart(0, [true, false, true]), { ok: false, up: [0, 2] });
  assert.deepEqual(judgeKanRestart(1, [true, false, true]), { ok: true }, 'kan1 is down: restarting it cannot lower the count');
  assert.deepEqual(judgeKanRestart(2, [false, false, true]), { ok: false, up: [2] });
  assert.deepEqual(judgeKanRestart(2, [false, false, false]), { ok: true });
});

test('restart cycle: a request joins the last cycle while it is under way or its process is younger than the cycle', () => {
  const owner = { state: 'running' as const, invocation: '8' };
  const input = { owner, cycle: { replacing: '7', at: T0 }, now: T0 + 1_000, cycleMs: 15_000 };
  assert.equal(isInRestartCycle(input), true, 'the current process came from the cycle');
  assert.equal(isInRestartCycle({ ...input, now: T0 + 14_999 }), true);
  assert.equal(isInRestartCycle({ ...input, now: T0 + 15_000 }), false, 'bounded by the cycle length');
  assert.equal(isInRestartCycle({ ...input, cycle: { replacing: '8', at: T0 } }), false, 'the cycle is about the current process: the owner coalesces it');
  assert.equal(isInRestartCycle({ ...input, cycle: undefined }), false);
  assert.equal(isInRestartCycle({ ...input, cycle: undefined, owner: { state: 'stopping', invocation: '8' } }), true, 'the owner is on it');
  assert.equal(isInRestartCycle({ ...input, now: T0 - 1 }), false, 'a cycle from the future (clock step) is ignored');
});

test('systemd: a verb for an invocation that is gone, or a unit on its way, has nothing left to do', () => {
  const s: ProcessState = { name: 'qsen', state: 'running', pid: 1, invocation: 'abc', startedAt: T0, starts: null };
  assert.equal(isReplaced('abc', s), false);
  assert.equal(isReplaced('old', s), true);
  assert.equal(isReplaced('abc', { ...s, state: 'stopping' }), true);
});

function ctx(now: number): DecisionContext {
  return { settings, policy: backoffPolicyOf(settings), windowOpen: true, rank: 0, ownerRestartGraceMs: 16_000, now };
}

function failedProbe(state: ReturnType<typeof initialTargetState>, at: number) {
  const timeoutMs = probeTimeoutOf(state, settings);
  return recordProbe(state, { outcome: 'timeout', durationMs: timeoutMs, pid: null, dueAt: at, firedAt: at, settledAt: at + timeoutMs, timeoutMs, now: at + timeoutMs }, settings);
}

test('step: SIGSTOP inside the startup grace is restarted after failure_threshold probes, with short probes once seen stopped', () => {
  const owner: ProcessState = { name: 'qsen', state: 'running', pid: 42, invocation: '3', startedAt: T0, starts: 3 };
  const stopped: Observation = { owner, kernel: 'stopped', heartbeatAgeMs: null, history: undefined };
  let state = initialTargetState('qsen', 8443, '/qsen/v1/ping');
  let at = T0 + 1_000;
  const actions: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = failedProbe(state, at);
    const d = decideTarget(r.state, r.evidence, stopped, ctx(at + 700));
    state = d.state;
    actions.push(d.action.kind);
    at += 800;
  }
  assert.deepEqual(actions, ['none', 'none', 'restart']);
  assert.equal(state.verdict.kind, 'hung');
  assert.equal(probeTimeoutOf(state, settings), STOPPED_PROBE_TIMEOUT_MS);
  // The same failures from a process that is merely slow to start: no action inside the grace.
  let slow = initialTargetState('qsen', 8443, '/qsen/v1/ping');
  for (let i = 0; i < 5; i++) {
    const r = failedProbe(slow, T0 + 1_000 + i * 800);
    slow = decideTarget(r.state, r.evidence, { ...stopped, kernel: 'sleeping' }, ctx(T0 + 1_700 + i * 800)).state;
  }
  assert.equal(slow.verdict.kind, 'starting');
});

test('step: timeouts while the heartbeat advances never reach a verdict; once it stops, they do', () => {
  const owner: ProcessState = { name: 'qsen', state: 'running', pid: 42, invocation: '3', startedAt: T0 - 60_000, starts: 3 };
  let state = initialTargetState('qsen', 8443, '/qsen/v1/ping');
  for (let i = 0; i < 10; i++) {
    const r = failedProbe(state, T0 + i * 800);
    const d = decideTarget(r.state, r.evidence, { owner, kernel: 'running', heartbeatAgeMs: 200, history: undefined }, ctx(T0 + i * 800 + 700));
    assert.equal(d.action.kind, 'none');
    assert.equal(d.busy, true);
    state = d.state;
  }
  assert.equal(state.failures, 0);
  assert.equal(state.busyProbes, 10);
  assert.equal(state.verdict.kind, 'healthy');
  const kinds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = failedProbe(state, T0 + 10_000 + i * 800);
    const d = decideTarget(r.state, r.evidence, { owner, kernel: 'running', heartbeatAgeMs: 2_500 + i * 800, history: undefined }, ctx(T0 + 10_700 + i * 800));
    state = d.state;
    kinds.push(d.action.kind);
  }
  assert.deepEqual(kinds, ['none', 'none', 'restart'], 'a busy loop stops the heartbeat: hung');
});

test('step: a killed process\'s heartbeat is still fresh for a moment, but it is no evidence: gone or zombie, not busy', () => {
  const owner: ProcessState = { name: 'qsen', state: 'running', pid: 42, invocation: '3', startedAt: T0 - 60_000, starts: 3 };
  for (const kernel of [null, 'zombie', 'dead'] as const) {
    const r = recordProbe(initialTargetState('qsen', 8443, '/qsen/v1/ping'), { outcome: 'reset', durationMs: 3, pid: null, dueAt: T0, firedAt: T0, settledAt: T0 + 3, timeoutMs: 700, now: T0 + 3 }, settings);
    const d = decideTarget(r.state, r.evidence, { owner, kernel, heartbeatAgeMs: 100, history: undefined }, ctx(T0 + 3));
    assert.equal(d.busy, false, String(kernel));
    assert.equal(d.state.failures, 1);
  }
});
