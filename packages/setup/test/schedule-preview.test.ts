// The preview of the next stretches that qsen-config check prints (moved from @qsen/core's
// schedule/describe.ts with the code).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluateWindow, type ScheduleConfig } from '@qsen/core';
import { previewWindow, renderWindowPreview } from '../src/index.js';

const BA = 'America/Argentina/Buenos_Aires';
const weekdays: ScheduleConfig = {
  timezone: BA, start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2026-11-23'],
  kan_restart: '00:05', kan_restart_stagger_minutes: 2,
};
const allDay: ScheduleConfig = { ...weekdays, start: '00:00', stop: '24:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], holidays: [] };
const at = (iso: string): number => Date.parse(iso);

describe('schedule preview (qsen-config check)', () => {
  test('open all day, every day: one line, no far-off date', () => {
    assert.deepEqual(renderWindowPreview(allDay, at('2026-11-20T15:00:00Z'), 3), [`  open all day, every day (${BA})`]);
  });

  test('the preview lists the next stretches, the first one already open', () => {
    const stretches = previewWindow(weekdays, at('2026-11-20T15:00:00Z'), 3);
    assert.deepEqual(stretches, [
      { opensAt: null, closesAt: at('2026-11-20T20:30:00Z') },
      { opensAt: at('2026-11-24T13:30:00Z'), closesAt: at('2026-11-24T20:30:00Z') },
      { opensAt: at('2026-11-25T13:30:00Z'), closesAt: at('2026-11-25T20:30:00Z') },
    ]);
  });

  test('property: every previewed stretch is open from its opening to just before its closing, and closed at the closing', () => {
    const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
    fc.assert(fc.property(
      fc.subarray([...days], { minLength: 1 }),
      fc.integer({ min: 0, max: 23 }), fc.integer({ min: 1, max: 24 }),
      fc.constantFrom(BA, 'America/New_York', 'Europe/London', 'Asia/Kolkata'),
      fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') }),
      (chosen, startHour, stopOffset, timezone, nowMs) => {
        const stopHour = Math.min(24, startHour + stopOffset);
        const schedule: ScheduleConfig = {
          ...weekdays, timezone, days: chosen, holidays: [],
          start: `${String(startHour).padStart(2, '0')}:00`, stop: `${String(stopHour).padStart(2, '0')}:00`,
        };
        const stretches = previewWindow(schedule, nowMs, 3);
        assert.ok(stretches.length >= 1);
        let previous = nowMs;
        for (const s of stretches) {
          const opens = s.opensAt ?? nowMs;
          assert.ok(opens >= previous);
          assert.equal(evaluateWindow(schedule, opens).open, true);
          if (s.closesAt !== null) {
            assert.ok(s.closesAt > opens);
            assert.equal(evaluateWindow(schedule, s.closesAt - 1).open, true);
            assert.equal(evaluateWindow(schedule, s.closesAt).open, false);
            previous = s.closesAt;
          }
        }
      },
    ), { numRuns: 150 });
  });
});
