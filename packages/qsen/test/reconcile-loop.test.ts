// Start-up reconciliation's one loop (orders/reconcile.ts), with literal and random inputs: every
// pending id is applied exactly once, after as many lookups as it took SENEBI to answer; never
// more than eight lookups at once; a stop ends the pass; `around` wraps each id; waitAtMost is bounded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toUint64, type Uint64 } from '@qsen/core';
import { reconcileByLookup, waitAtMost } from '../src/orders/reconcile.js';

const idOf = (n: number): Uint64 => toUint64(String(9999000000000000000n + BigInt(n)));

describe('reconcileByLookup', () => {
  test('each id is applied once, after its failed lookups were retried, with at most 8 lookups in flight', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.nat({ max: 3 }), { maxLength: 30 }), async (failures) => {
      const ids = failures.map((_, i) => idOf(i));
      const lookups = new Map<Uint64, number>();
      const applied: Uint64[] = [];
      let inFlight = 0;
      let peak = 0;
      await reconcileByLookup({
        subject: 'order',
        ids,
        lookup: async (id) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight -= 1;
          const n = (lookups.get(id) ?? 0) + 1;
          lookups.set(id, n);
          if (n <= (failures[ids.indexOf(id)] ?? 0)) throw new Error('SENEBI down');
          return `record of ${id}`;
        },
        apply: (id, found) => {
          assert.equal(found, `record of ${id}`);
          applied.push(id);
          return 'settled';
        },
        isStopped: () => false,
        retryDelayMs: () => 1,
        log: undefined,
      });
      assert.deepEqual([...applied].sort(), [...ids].sort());
      for (const [i, id] of ids.entries()) assert.equal(lookups.get(id), (failures[i] ?? 0) + 1, `lookups of ${id}`);
      assert.ok(peak <= 8, `peak ${peak}`);
    }), { numRuns: 30 });
  });

  test('a stop ends the pass: no id is looked up after it, the pass resolves', async () => {
    let stopped = false;
    const looked: Uint64[] = [];
    await reconcileByLookup({
      subject: 'cancel',
      ids: Array.from({ length: 20 }, (_, i) => idOf(i)),
      lookup: async (id) => {
        looked.push(id);
        await new Promise((resolve) => setImmediate(resolve));
        stopped = true; // qsen stops while the first lookups are out
        throw new Error('never answers');
      },
      apply: () => assert.fail('nothing answered'),
      isStopped: () => stopped,
      retryDelayMs: () => 1,
      log: undefined,
    });
    assert.equal(looked.length, 8, 'the eight workers each asked once, then saw the stop');
  });

  test('around wraps each id once; an id it settles itself is not looked up', async () => {
    const wrapped: Uint64[] = [];
    const looked: Uint64[] = [];
    await reconcileByLookup({
      subject: 'cancel',
      ids: [idOf(1), idOf(2), idOf(3)],
      lookup: async (id) => { looked.push(id); return id; },
      apply: () => 'ok',
      isStopped: () => false,
      retryDelayMs: () => 1,
      log: undefined,
      around: async (id, reconcileId) => {
        wrapped.push(id);
        if (id !== idOf(2)) await reconcileId();
      },
    });
    assert.deepEqual(wrapped, [idOf(1), idOf(2), idOf(3)]);
    assert.deepEqual(looked, [idOf(1), idOf(3)]);
  });
});

describe('waitAtMost', () => {
  test('returns when the work settles (resolved or rejected), or at the deadline for work that never does', async () => {
    await waitAtMost(Promise.resolve(), 60_000);
    await waitAtMost(Promise.reject(new Error('x')), 60_000);
    const started = Date.now();
    await waitAtMost(new Promise(() => undefined), 20);
    assert.ok(Date.now() - started < 10_000);
  });
});
