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
