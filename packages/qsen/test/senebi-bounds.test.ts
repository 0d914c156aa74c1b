// The transport's slots (src/senebi/slots.ts): at most `capacity` requests handed to undici at
// once, waiters served first come first served, a waiter that left (its deadline passed) never
// served. fast-check drives random sequences of takes, releases and departures against a plain
// model. The end-to-end behaviour (an order that gives up queued is `not_sent` and never reaches
// SENEBI; the answer cap) is tested against the simulator in test/system/qsen-answer-cap.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSlots, type ReleaseSlot } from '../src/senebi/slots.js';

describe('senebi slots', () => {
  test('a free slot is taken at once; the next caller waits until a release, then gets it', () => {
    const slots = createSlots(1);
    const got: string[] = [];
    let first: ReleaseSlot = () => undefined;
    slots.take((release) => { got.push('a'); first = release; });
    slots.take(() => got.push('b'));
    assert.deepEqual(got, ['a']);
    assert.equal(slots.waiting(), 1);
    first();
    first();
    assert.deepEqual(got, ['a', 'b'], 'a second release of the same slot frees nothing more');
    assert.equal(slots.busy(), 1);
  });

  test('a waiter that left is never served, and leaving after being served is a no-op', () => {
    const slots = createSlots(1);
    const got: string[] = [];
    let held: ReleaseSlot = () => undefined;
    const leaveA = slots.take((release) => { got.push('a'); held = release; });
    const leaveB = slots.take(() => got.push('b'));
    slots.take(() => got.push('c'));
    assert.equal(leaveB(), true, 'b was waiting');
    assert.equal(leaveB(), false);
    assert.equal(leaveA(), false, 'a already had its slot');
    held();
    assert.deepEqual(got, ['a', 'c']);
  });

  test('capacity must be a positive integer', () => {
    assert.throws(() => createSlots(0), RangeError);
    assert.throws(() => createSlots(1.5), RangeError);
  });

  test('random takes, releases and departures: never over capacity, FIFO, each waiter served at most once and only if it stayed', () => {
    type Step = { kind: 'take' } | { kind: 'release'; pick: number } | { kind: 'leave'; pick: number };
    const step = fc.oneof(
      fc.constant<Step>({ kind: 'take' }),
      fc.nat(50).map((pick): Step => ({ kind: 'release', pick })),
      fc.nat(50).map((pick): Step => ({ kind: 'leave', pick })),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 120 }), (capacity, steps) => {
      const slots = createSlots(capacity);
      const held: Array<{ caller: number; release: ReleaseSlot }> = [];
      const waiting: Array<{ caller: number; leave: () => boolean }> = [];
      const served: number[] = [];
      const left = new Set<number>();
      let next = 0;
      for (const s of steps) {
        if (s.kind === 'take') {
          const caller = next++;
          const before = served.length;
          const leave = slots.take((release) => { served.push(caller); held.push({ caller, release }); });
          if (served.length === before) waiting.push({ caller, leave });
        } else if (s.kind === 'release' && held.length > 0) {
          const [slot] = held.splice(s.pick % held.length, 1);
          const expected = waiting.shift();
          slot?.release();
          if (expected) assert.equal(served.at(-1), expected.caller, 'the longest waiter is served first');
        } else if (s.kind === 'leave' && waiting.length > 0) {
          const [gone] = waiting.splice(s.pick % waiting.length, 1);
          assert.equal(gone?.leave(), true);
          left.add(gone?.caller ?? -1);
        }
        assert.ok(slots.busy() <= capacity);
        assert.equal(slots.busy(), held.length);
        assert.equal(slots.waiting(), waiting.length);
        if (waiting.length > 0) assert.equal(slots.busy(), capacity, 'nobody waits while a slot is free');
      }
      assert.equal(new Set(served).size, served.length, 'served once each');
      for (const caller of served) assert.ok(!left.has(caller), 'a departed waiter is never served');
    }), { numRuns: 300 });
  });
});
