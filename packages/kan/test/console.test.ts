// The console's server side (session, kill switch through the halt marker, headers, loopback
// reads) with literal inputs and real files. The page, its assets and its follow logic are
// tested in packages/console/test; the whole console in a real browser is
// test/console/console.test.ts.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError, isHaltMarked, readHaltMarker, type AuditEntry, type ScheduleConfig } from '@qsen/core';
import { makeTempDir, findFreePort } from '@qsen/testkit';
import { describeSession } from '../src/console/session.js';
import { switchKillSwitch } from '../src/console/kill-switch.js';
import { CONSOLE_CSP } from '../src/console/headers.js';
import { readLoopbackJson } from '../src/console/loopback-read.js';

const SCHEDULE: ScheduleConfig = {
  timezone: 'America/Argentina/Buenos_Aires', start: '11:00', stop: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2026-12-25'],
  kan_restart: '00:05', kan_restart_spacing_minutes: 10,
} as unknown as ScheduleConfig;

describe('describeSession', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('gives operators halt, resume and restarts, and auditors none', () => {
    const operator = describeSession({ role: 'operator', subject: 'CN=op', kan: 1, schedule: SCHEDULE, clientNotAfter: 'Dec 11 12:00:00 2026 GMT', nowMs: now });
    assert.equal(operator.mayHalt, true);
    assert.equal(operator.mayRestart, true);
    assert.deepEqual(operator.client, { notAfter: '2026-12-11T12:00:00.000Z', daysLeft: 10 });
    const auditor = describeSession({ role: 'auditor', subject: 'CN=au', kan: 1, schedule: SCHEDULE, clientNotAfter: undefined, nowMs: now });
    assert.equal(auditor.mayHalt, false);
    assert.equal(auditor.mayRestart, false);
    assert.deepEqual(auditor.client, { notAfter: null, daysLeft: null });
    assert.equal(auditor.schedule.timezone, 'America/Argentina/Buenos_Aires');
  });

  it('tells an all-day window, and one that never closes', () => {
    const weekdays = describeSession({ role: 'auditor', subject: '', kan: 0, schedule: { ...SCHEDULE, start: '00:00', stop: '24:00' }, clientNotAfter: undefined, nowMs: now });
    assert.deepEqual([weekdays.schedule.allDay, weekdays.schedule.alwaysOpen], [true, false]);
    const always = describeSession({ role: 'auditor', subject: '', kan: 0, schedule: { ...SCHEDULE, start: '00:00', stop: '24:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], holidays: [] }, clientNotAfter: undefined, nowMs: now });
    assert.deepEqual([always.schedule.allDay, always.schedule.alwaysOpen], [true, true]);
    const hours = describeSession({ role: 'auditor', subject: '', kan: 0, schedule: SCHEDULE, clientNotAfter: undefined, nowMs: now });
    assert.deepEqual([hours.schedule.allDay, hours.schedule.alwaysOpen], [false, false]);
  });
});

describe('switchKillSwitch (the halt marker qsen reads)', () => {
  const tmp = makeTempDir('kan-console-');
  after(() => tmp.remove());
  const entries: AuditEntry[] = [];
  const audit = { record: (e: AuditEntry) => { entries.push(e); } };
  const clock = { now: () => Date.parse('2026-12-01T15:00:00Z') };

  it('halt writes the marker qsen\'s own kill switch reads, resume removes it, both audited with the subject', () => {
    const dataDir = join(tmp.path, 'data');
    mkdirSync(dataDir);
    const halted = switchKillSwitch({ dataDir, audit, kan: 2, clock }, { action: 'halt', subject: 'CN=alice,OU=operator', requestId: 'r1', reason: 'console drill' });
    assert.equal(halted.halted, true);
    // The reader qsen's kill switch goes through (core's halt marker).
    const qsenView = { isHalted: () => isHaltMarked(dataDir), read: () => readHaltMarker(dataDir) };
    assert.equal(qsenView.isHalted(), true);
    assert.deepEqual(qsenView.read(), { halted: true, since: '2026-12-01T15:00:00.000Z', by: 'CN=alice,OU=operator', reason: 'console drill' });
    const resumed = switchKillSwitch({ dataDir, audit, kan: 2, clock }, { action: 'resume', subject: 'CN=alice,OU=operator', requestId: 'r2', reason: undefined });
    assert.equal(resumed.halted, false);
    assert.equal(qsenView.isHalted(), false);
    assert.equal(existsSync(join(dataDir, 'halt.json')), false);
    assert.deepEqual(entries.map((e) => [e.action, e.outcome, e.subject, e.requestId, e.details?.['channel'], e.details?.['kan'], e.details?.['reason']]), [
      ['halt', 'done', 'CN=alice,OU=operator', 'r1', 'console', 2, 'console drill'],
      ['resume', 'done', 'CN=alice,OU=operator', 'r2', 'console', 2, null],
    ]);
  });

  it('a marker that cannot be written is 500 KILL_SWITCH_FAILED, audited as failed, and nothing is halted', () => {
    entries.length = 0;
    const blocker = join(tmp.path, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const dataDir = join(blocker, 'data');
    assert.throws(() => switchKillSwitch({ dataDir, audit, kan: 0, clock }, { action: 'halt', subject: 'CN=bob', requestId: 'r3', reason: undefined }),
      (err: unknown) => err instanceof ApiError && err.code === 'KILL_SWITCH_FAILED' && err.status === 500);
    assert.deepEqual(entries.map((e) => [e.action, e.outcome, e.code]), [['halt', 'failed', 'KILL_SWITCH_FAILED']]);
    assert.equal(readFileSync(blocker, 'utf8'), 'x');
  });
});

describe('the console\'s headers and loopback reads', () => {
  it('the Content-Security-Policy allows only this origin\'s own files', () => {
    assert.match(CONSOLE_CSP, /^default-src 'self';/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe/);
  });

  it('a node that does not answer is reported, not thrown', async () => {
    const tmp = makeTempDir('kan-console-ca-');
    try {
      const missing = await readLoopbackJson({ caFile: join(tmp.path, 'none.crt') }, 1, '/kan/v1/ping');
      assert.equal(missing.reachable, false);
      writeFileSync(join(tmp.path, 'ca.crt'), 'not a certificate');
      const refused = await readLoopbackJson({ caFile: join(tmp.path, 'ca.crt'), timeoutMs: 2000 }, await findFreePort(), '/kan/v1/ping');
      assert.equal(refused.reachable, false);
    } finally {
      tmp.remove();
    }
  });
});
