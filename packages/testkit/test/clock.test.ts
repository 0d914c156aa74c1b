// The hand-set test clock (packages/testkit/src/clock.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/clock.js';

test('ManualClock starts where told, is set and advanced by hand', () => {
  const clock = new ManualClock(1_000);
  assert.equal(clock.now(), 1_000);
  clock.advance(500);
  assert.equal(clock.now(), 1_500);
  clock.set(42);
  assert.equal(clock.now(), 42);
  clock.advance(-2);
  assert.equal(clock.now(), 40);
});
