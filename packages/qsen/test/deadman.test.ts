/**
 * The dead man's switch with a fake clock (docs/qsen.md, "Dead man's switch"): the pure
 * decisions with literal inputs, then the switch itself (arming, the deadline, the trip, the
 * window closing, a restart while armed) with a ManualClock and a real data folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiError, type DeadmanConfig, type AuditEntry } from '@qsen/core';
import { makeTempDir, ManualClock } from '@qsen/testkit';
import { applyDisarm, applyHeartbeat, initialState, judgeDeadman } from '../src/deadman/decide.js';
import { DEADMAN_FILE, openDeadman, type DeadmanTrip } from '../src/deadman/switch.js';

const T0 = Date.parse('2026-12-01T14:00:00Z');
const DAY = '2026-12-01';

test('decide: the first heartbeat arms, the next ones move the deadline, a missed deadline trips, the window closing disarms', () => {
  const off = initialState(false, T0, 10_000, undefined, DAY);
  assert.deepEqual(off, { phase: 'off' });
  const start = initialState(true, T0, 10_000, undefined, DAY);
  assert.equal(start.phase, 'disarmed');
  assert.deepEqual(judgeDeadman(start, T0 + 1e9, true, DAY), { kind: 'none' }, 'a disarmed switch never trips');
  const first = applyHeartbeat(start, T0, 10_000, DAY);
  assert.equal(first.event, 'armed');
  assert.deepEqual(first.state, { phase: 'armed', tradingDay: DAY, armedAt: T0, lastHeartbeatAt: T0, deadline: T0 + 10_000 });
  const second = applyHeartbeat(first.state, T0 + 4000, 10_000, DAY);
  assert.equal(second.event, 'beat');
  assert.equal(second.state.deadline, T0 + 14_000);
  assert.equal(second.state.armedAt, T0);
  assert.deepEqual(judgeDeadman(second.state, T0 + 14_000, true, DAY), { kind: 'none' }, 'at the deadline itself it holds');
  assert.deepEqual(judgeDeadman(second.state, T0 + 14_001, true, DAY), { kind: 'trip' });
  assert.deepEqual(judgeDeadman(second.state, T0 + 14_001, false, DAY), { kind: 'disarm', cause: 'window_closed' });
  assert.deepEqual(judgeDeadman(second.state, T0 + 1000, true, '2026-12-02'), { kind: 'disarm', cause: 'new_day' });
  const disarmed = applyDisarm(second.state, T0 + 5000, 'platform');
  assert.equal(disarmed.changed, true);
  assert.deepEqual(disarmed.state, { phase: 'disarmed', disarmedAt: T0 + 5000, disarmCause: 'platform' });
  assert.equal(applyDisarm(disarmed.state, T0 + 6000, 'platform').changed, false);
  const tomorrow = applyHeartbeat(second.state, T0 + 5000, 10_000, '2026-12-02');
  assert.equal(tomorrow.event, 'armed', 'the first heartbeat of another trading day arms afresh');
});

test('decide: restored after a restart only for the same trading day, with a full interval from the start', () => {
  assert.deepEqual(initialState(true, T0, 10_000, { tradingDay: DAY, armedAt: T0 - 60_000 }, DAY), { phase: 'armed', tradingDay: DAY, armedAt: T0 - 60_000, deadline: T0 + 10_000 });
  assert.deepEqual(initialState(true, T0, 10_000, { tradingDay: '2026-11-30', armedAt: T0 - 86_400_000 }, DAY), { phase: 'disarmed' });
});

test('decide (property): an armed switch trips exactly when a gap between heartbeats, or after the last one, exceeds the interval', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.array(fc.integer({ min: 0, max: 90_000 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 90_000 }), (intervalSeconds, gaps, after) => {
    const intervalMs = intervalSeconds * 1000;
    let state = initialState(true, T0, intervalMs, undefined, DAY);
    let now = T0;
    let tripped = false;
    state = applyHeartbeat(state, now, intervalMs, DAY).state;
    for (const gap of gaps) {
      // the check runs at every millisecond that matters: right before the next heartbeat
      if (judgeDeadman(state, now + gap, true, DAY).kind === 'trip') {
        tripped = true;
        break;
      }
      now += gap;
      state = applyHeartbeat(state, now, intervalMs, DAY).state;
    }
    if (!tripped && judgeDeadman(state, now + after, true, DAY).kind === 'trip') tripped = true;
    const expected = gaps.some((g) => g > intervalMs) || after > intervalMs;
    return tripped === expected;
  }));
});

interface Rig {
  readonly clock: ManualClock;
  readonly audit: AuditEntry[];
  readonly trips: DeadmanTrip[];
  windowOpen: boolean;
  readonly dir: string;
  open(settings?: Partial<DeadmanConfig>): ReturnType<typeof openDeadman>;
  remove(): void;
}

function makeRig(): Rig {
  const temp = makeTempDir('qsen-deadman-');
  const rig: Rig = {
    clock: new ManualClock(T0),
    audit: [],
    trips: [],
    windowOpen: true,
    dir: temp.path,
    open(settings = {}) {
      return openDeadman({
        settings: { enabled: true, interval_seconds: 10, cancel_open: false, ...settings },
        clock: rig.clock,
        isMarketOpen: () => rig.windowOpen,
        tradingDayOf: (ms) => new Date(ms).toISOString().slice(0, 10),
        dataDir: temp.path,
        audit: { record: (e) => rig.audit.push(e) },
        onTrip: (trip) => {
          rig.trips.push(trip);
        },
      });
    },
    remove: () => temp.remove(),
  };
  return rig;
}

const PLATFORM = { subject: 'CN=platform,OU=platform', requestId: 'r1' };

test('switch: off by configuration, a heartbeat is 409 DEADMAN_DISABLED and nothing ever trips', async () => {
  const rig = makeRig();
  try {
    const deadman = rig.open({ enabled: false });
    assert.equal(deadman.view().state, 'off');
    assert.throws(() => deadman.heartbeat(PLATFORM), (err: unknown) => err instanceof ApiError && err.code === 'DEADMAN_DISABLED' && err.status === 409);
    rig.clock.advance(3_600_000);
    await deadman.tick();
    assert.equal(rig.trips.length, 0);
    assert.equal(rig.audit.length, 0);
  } finally {
    rig.remove();
  }
});

test('switch: armed by the first heartbeat (audited once, marker written), tripped one interval after the last heartbeat, re-armed by the next', async () => {
  const rig = makeRig();
  try {
    const deadman = rig.open({ cancel_open: true });
    assert.equal(deadman.view().state, 'disarmed');
    const armed = deadman.heartbeat(PLATFORM);
    assert.equal(armed.state, 'armed');
    assert.equal(armed.deadline, new Date(T0 + 10_000).toISOString());
    assert.equal(armed.secondsLeft, 10);
    assert.ok(existsSync(join(rig.dir, DEADMAN_FILE)));
    for (let i = 0; i < 5; i++) {
      rig.clock.advance(9_000);
      await deadman.tick();
      deadman.heartbeat(PLATFORM);
    }
    assert.equal(rig.trips.length, 0, 'heartbeats within the interval keep it armed');
    assert.deepEqual(rig.audit.map((e) => [e.action, e.outcome, e.details?.['event']]), [['heartbeat', 'done', 'armed']], 'only the arming is audited');
    rig.clock.advance(10_000);
    await deadman.tick();
    assert.equal(rig.trips.length, 0, 'at the deadline it still holds');
    rig.clock.advance(1);
    await deadman.tick();
    assert.equal(rig.trips.length, 1);
    assert.deepEqual(rig.trips[0], { armedAt: new Date(T0).toISOString(), lastHeartbeatAt: new Date(T0 + 45_000).toISOString(), deadline: new Date(T0 + 55_000).toISOString(), intervalSeconds: 10, cancelOpen: true });
    assert.equal(deadman.view().state, 'tripped');
    assert.ok(!existsSync(join(rig.dir, DEADMAN_FILE)), 'a tripped switch leaves no marker');
    rig.clock.advance(60_000);
    await deadman.tick();
    assert.equal(rig.trips.length, 1, 'it trips once');
    assert.equal(deadman.heartbeat(PLATFORM).state, 'armed', 'the next heartbeat arms it again');
  } finally {
    rig.remove();
  }
});

test('switch: a late heartbeat the check timer has not judged yet does not rescue the switch', async () => {
  const rig = makeRig();
  try {
    const deadman = rig.open();
    deadman.heartbeat(PLATFORM);
    rig.clock.advance(10_500);
    const view = deadman.heartbeat(PLATFORM);
    await deadman.tick();
    assert.equal(rig.trips.length, 1, 'the missed deadline tripped');
    assert.equal(view.state, 'armed', 'and the late heartbeat armed it again');
  } finally {
    rig.remove();
  }
});

test('switch: the platform disarms it (audited), the window closing disarms it without a trip, a heartbeat outside the window is 409 MARKET_CLOSED', async () => {
  const rig = makeRig();
  try {
    const deadman = rig.open();
    deadman.heartbeat(PLATFORM);
    const disarmed = deadman.disarm(PLATFORM);
    assert.equal(disarmed.state, 'disarmed');
    assert.equal(disarmed.disarmCause, 'platform');
    rig.clock.advance(60_000);
    await deadman.tick();
    assert.equal(rig.trips.length, 0);
    deadman.heartbeat(PLATFORM);
    rig.windowOpen = false;
    rig.clock.advance(60_000);
    await deadman.tick();
    assert.equal(rig.trips.length, 0, 'the window closing is no trip');
    assert.equal(deadman.view().disarmCause, 'window_closed');
    assert.throws(() => deadman.heartbeat(PLATFORM), (err: unknown) => err instanceof ApiError && err.code === 'MARKET_CLOSED');
    assert.deepEqual(rig.audit.map((e) => [e.details?.['event'], e.details?.['cause'] ?? null, e.subject]), [
      ['armed', null, PLATFORM.subject], ['disarmed', 'platform', PLATFORM.subject], ['armed', null, PLATFORM.subject], ['disarmed', 'window_closed', 'deadman'],
    ]);
  } finally {
    rig.remove();
  }
});

test('switch: a qsen restarted while armed is armed again for the same day and trips one interval after the start without a heartbeat', async () => {
  const rig = makeRig();
  try {
    rig.open().heartbeat(PLATFORM);
    rig.clock.advance(30_000);
    const restarted = rig.open();
    assert.equal(restarted.view().state, 'armed');
    assert.equal(restarted.view().deadline, new Date(T0 + 40_000).toISOString());
    rig.clock.advance(10_001);
    await restarted.tick();
    assert.equal(rig.trips.length, 1);
    rig.clock.advance(86_400_000);
    rig.open().heartbeat(PLATFORM);
    rig.clock.advance(86_400_000);
    assert.equal(rig.open().view().state, 'disarmed', 'a marker of another day does not arm it');
  } finally {
    rig.remove();
  }
});
