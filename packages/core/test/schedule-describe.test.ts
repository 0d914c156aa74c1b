import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeWindow, formatLocalInstant, formatZoneOffset, type ScheduleConfig,
} from '../src/index.js';

const BA = 'America/Argentina/Buenos_Aires';
const weekdays: ScheduleConfig = {
  timezone: BA, start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2026-11-23'],
  kan_restart: '00:05', kan_restart_stagger_minutes: 2,
};
const allDay: ScheduleConfig = { ...weekdays, start: '00:00', stop: '24:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], holidays: [] };
const at = (iso: string): number => Date.parse(iso);

describe('schedule: times in the zone with UTC alongside', () => {
  test('Buenos Aires is -03:00 and New York changes offset with DST', () => {
    assert.equal(formatZoneOffset(BA, at('2026-11-20T12:00:00Z')), '-03:00');
    assert.equal(formatZoneOffset('America/New_York', at('2026-07-01T12:00:00Z')), '-04:00');
    assert.equal(formatZoneOffset('America/New_York', at('2026-12-01T12:00:00Z')), '-05:00');
    assert.equal(formatZoneOffset('Asia/Kolkata', at('2026-12-01T12:00:00Z')), '+05:30');
  });

  test('an instant reads on the zone clock, UTC time alongside, UTC date only when it differs', () => {
    assert.equal(formatLocalInstant(BA, at('2026-11-20T20:30:00Z')), '2026-11-20 17:30 -03:00 (20:30Z)');
    assert.equal(formatLocalInstant(BA, at('2026-11-21T01:00:00Z')), '2026-11-20 22:00 -03:00 (2026-11-21 01:00Z)');
  });
});

describe('schedule: the window described for people', () => {
  test('open on a Friday: closes at 17:30 local', () => {
    const d = describeWindow(weekdays, at('2026-11-20T15:00:00Z'));
    assert.equal(d.open, true);
    assert.equal(d.continuous, false);
    assert.equal(d.nextChangeAt, at('2026-11-20T20:30:00Z'));
    assert.equal(d.summary, 'open, closes at 2026-11-20 17:30 -03:00 (20:30Z)');
  });

  test('after Friday\'s stop: the holiday Monday is skipped, it opens on Tuesday', () => {
    const d = describeWindow(weekdays, at('2026-11-20T21:00:00Z'));
    assert.equal(d.summary, 'closed (after_stop), opens at 2026-11-24 10:30 -03:00 (13:30Z)');
  });

  test('open all day, every day: continuous, no far-off date', () => {
    const d = describeWindow(allDay, at('2026-11-20T15:00:00Z'));
    assert.equal(d.continuous, true);
    assert.equal(d.nextChangeAt, null);
    assert.equal(d.nextChangeLocal, null);
    assert.equal(d.summary, `open all day, every day (${BA})`);
  });
});
