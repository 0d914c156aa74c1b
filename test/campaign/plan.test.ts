// The campaign's plan is drawn up front from its seed: the same seed gives the same schedule of
// orders and faults (and the same digest), another seed another one; the latency windows sit
// below, at and above qsen's timeout; windows never overlap; ids are unique and in qsen's range.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PLAN_OPTIONS, PROCESS_FAULTS, SENEBI_FAULTS, createRandom, digestPlan, orderIdOf, planCampaign } from '../support/campaign/index.js';

const plan = (seed: number, orders = 1700) => planCampaign({ ...DEFAULT_PLAN_OPTIONS, seed, orders });

describe('campaign plan', () => {
  test('the same seed gives the same plan and digest; another seed another digest', () => {
    const a = plan(1);
    const b = plan(1);
    assert.deepEqual(a, b);
    assert.equal(digestPlan(a), digestPlan(b));
    assert.match(digestPlan(a), /^[0-9a-f]{64}$/);
    const digests = new Set([1, 2, 3, 4, 5].map((s) => digestPlan(plan(s))));
    assert.equal(digests.size, 5);
    assert.notEqual(digestPlan(plan(1, 1700)), digestPlan(plan(1, 1701)));
  });

  test('the fault schedule does not depend on the number of orders (separate streams)', () => {
    const small = plan(9, 900);
    const large = plan(9, 1000);
    const prefix = large.senebi.filter((w) => w.atMs + w.durationMs <= small.durationMs - 500);
    assert.deepEqual(small.senebi.slice(0, prefix.length), prefix);
  });

  test('the pure-rand draws replay for a seed and stay in their bounds', () => {
    const draw = (seed: number): number[] => {
      const r = createRandom(seed);
      return Array.from({ length: 50 }, () => r.int(3, 9));
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
    assert.ok(draw(42).every((n) => n >= 3 && n <= 9));
    const weighted = createRandom(5);
    const picks = Array.from({ length: 2000 }, () => weighted.weighted({ a: 1, b: 3 }));
    const share = picks.filter((p) => p === 'b').length / picks.length;
    assert.ok(share > 0.68 && share < 0.82, `b drawn ${share}`);
  });

  test('orders: unique ids in the default range, planned in time order, some sent twice on purpose, some unknown at SENEBI', () => {
    const p = plan(3);
    assert.equal(p.orders.length, 1700);
    const ids = new Set(p.orders.map((o) => o.id));
    assert.equal(ids.size, 1700);
    for (const o of p.orders) {
      assert.match(o.id, /^9999\d{15}$/);
      assert.ok(o.client >= 0 && o.client < p.clients);
      if (o.resend === 'concurrent') assert.ok(o.twin !== undefined && o.twin !== o.client);
    }
    assert.equal(orderIdOf(3, 12), '9999100003000000012');
    assert.ok(p.orders.every((o, i) => i === 0 || o.atMs >= (p.orders[i - 1]?.atMs ?? 0)));
    assert.ok(p.orders.some((o) => o.resend === 'concurrent') && p.orders.some((o) => o.resend === 'after_answer'));
    assert.ok(p.orders.some((o) => o.content.instrument === 'ZZ99'));
  });

  test('SENEBI windows do not overlap, stay inside the run, and set latency below, at and above timeout_ms', () => {
    const kinds = new Set<string>();
    const processKinds = new Set<string>();
    for (const seed of [1, 2, 3]) {
      const p = plan(seed);
      let end = 0;
      for (const w of p.senebi) {
        assert.ok(w.atMs >= end, 'no overlap');
        end = w.atMs + w.durationMs;
        assert.ok(end <= p.durationMs);
        kinds.add(w.fault);
        const latency = w.settings['latency'] as { fixed_ms: number; jitter_ms: number } | undefined;
        if (w.fault === 'latency_below') assert.ok(latency && latency.fixed_ms + latency.jitter_ms < p.timeoutMs);
        if (w.fault === 'latency_at') assert.ok(latency && latency.fixed_ms < p.timeoutMs && latency.fixed_ms + latency.jitter_ms > p.timeoutMs);
        if (w.fault === 'latency_above') assert.ok(latency && latency.fixed_ms > p.timeoutMs);
      }
      let last = 0;
      for (const e of p.process) {
        assert.ok(e.atMs >= last);
        last = e.atMs + e.durationMs;
        processKinds.add(e.fault);
      }
    }
    assert.deepEqual([...kinds].sort(), [...SENEBI_FAULTS].sort(), 'three seeds cover every SENEBI fault');
    assert.deepEqual([...processKinds].sort(), [...PROCESS_FAULTS].sort(), 'and every process fault');
  });

  test('bad seeds and order counts are refused', () => {
    assert.throws(() => plan(-1), /seed/);
    assert.throws(() => plan(1.5), /seed/);
    assert.throws(() => plan(1, 0), /orders/);
  });
});
