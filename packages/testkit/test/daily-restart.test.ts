// The daily kan restart is put 12 hours away from the test's now, on the schedule's clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dailyRestartFarFrom, moveDailyRestartAway } from '../src/daily-restart.js';
import { makeTempDir } from '../src/tmp.js';

test('dailyRestartFarFrom: 12 hours later on the zone clock, across midnight and DST', () => {
  // 03:04Z is 00:04 in Buenos Aires (UTC-3): a run then would meet kan 0's default 00:05 restart.
  assert.equal(dailyRestartFarFrom('America/Argentina/Buenos_Aires', Date.parse('2026-12-02T03:04:00Z')), '12:04');
  assert.equal(dailyRestartFarFrom('America/Argentina/Buenos_Aires', Date.parse('2026-12-01T20:30:00Z')), '05:30');
  assert.equal(dailyRestartFarFrom('UTC', Date.parse('2026-12-01T23:59:00Z')), '11:59');
  // 2026-03-08 00:30 EST + 12 h = 13:30 EDT (the clock moved forward in between).
  assert.equal(dailyRestartFarFrom('America/New_York', Date.parse('2026-03-08T05:30:00Z')), '13:30');
});

test('moveDailyRestartAway rewrites the one kan_restart line with the file\'s own zone', () => {
  const dir = makeTempDir('testkit-daily-');
  try {
    const file = join(dir.path, 'conf.toml');
    writeFileSync(file, '[schedule]\ntimezone = "Asia/Kolkata"\nkan_restart = "00:05"\nkan_restart_stagger_minutes = 2\n');
    assert.equal(moveDailyRestartAway(file, Date.parse('2026-12-01T00:00:00Z')), '17:30');
    assert.equal(readFileSync(file, 'utf8'), '[schedule]\ntimezone = "Asia/Kolkata"\nkan_restart = "17:30"\nkan_restart_stagger_minutes = 2\n');
    writeFileSync(file, '[schedule]\n');
    assert.throws(() => moveDailyRestartAway(file), /0 kan_restart lines/);
  } finally {
    dir.remove();
  }
});
