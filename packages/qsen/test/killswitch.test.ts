import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { makeTempDir } from '@qsen/testkit';
import { openKillSwitch } from '../src/killswitch/killswitch.js';

test('halt is persisted atomically and seen by a fresh switch (a restart); resume lifts it', () => {
  const dir = makeTempDir();
  try {
    const first = openKillSwitch(dir.path);
    assert.equal(first.isHalted(), false);
    const state = first.halt('CN=ops,OU=operator', 'drill', new Date('2026-11-20T14:00:00Z'));
    assert.deepEqual(state, { halted: true, since: '2026-11-20T14:00:00.000Z', by: 'CN=ops,OU=operator', reason: 'drill' });
    assert.deepEqual(readdirSync(dir.path), ['halt.json'], 'no temporary file is left behind');
    const afterRestart = openKillSwitch(dir.path);
    assert.equal(afterRestart.isHalted(), true);
    assert.deepEqual(afterRestart.read(), state);
    afterRestart.resume();
    assert.equal(first.isHalted(), false);
    assert.deepEqual(first.read(), { halted: false });
  } finally {
    dir.remove();
  }
});

test('a halt while halted keeps the standing since, by and reason (a dead man trip never rewrites them) and still records a new cancelOpen request', () => {
  const dir = makeTempDir();
  try {
    const ks = openKillSwitch(dir.path);
    const first = ks.halt('CN=ops,OU=operator', 'drill', new Date('2026-11-20T14:00:00Z'));
    const again = ks.halt('deadman', 'no heartbeat from the platform for 30 s', new Date('2026-11-20T14:05:00Z'));
    assert.deepEqual(again, first);
    const request = { run: 'run-1', requestedAt: '2026-11-20T14:06:00.000Z', channel: 'deadman' as const };
    const withCancel = ks.halt('deadman', 'no heartbeat', new Date('2026-11-20T14:06:00Z'), request);
    assert.deepEqual(withCancel, { ...first, cancelOpen: { ...request, by: 'deadman', reason: 'no heartbeat' } }, 'the request carries who asked for it and why');
    assert.deepEqual(openKillSwitch(dir.path).read(), withCancel, 'what a restart reads');
    ks.resume();
    const fresh = ks.halt('deadman', 'no heartbeat', new Date('2026-11-20T15:00:00Z'));
    assert.deepEqual(fresh, { halted: true, since: '2026-11-20T15:00:00.000Z', by: 'deadman', reason: 'no heartbeat' }, 'after a resume a halt is new');
  } finally {
    dir.remove();
  }
});
