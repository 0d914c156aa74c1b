// The simulator's durable state under load: pipelined group commits (each commit resolves only
// once its lines are in the file), compaction that lets commits go on and leaves a loadable pair
// of files at every step, and the counter-order id allocator that resumes instead of rescanning.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toUint64, type Uint64 } from '@qsen/core';
import { makeTempDir } from '@qsen/testkit';
import { createPrng, createStateStorage } from '../src/index.js';
import { allocateOutsideId, createOutsideIdAllocator } from '../src/business/ids.js';

const RANGE = { min: toUint64('9999000000000000000'), max: toUint64('9999999999999999999') };

describe('counter-order ids', () => {
  test('the resuming allocator answers what a full scan answers, over random taken sets (seeded)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const prng = createPrng(seed);
      const range = seed === 5 ? { min: toUint64('0'), max: toUint64('40') } : RANGE;
      const taken = new Set<Uint64>();
      const isTaken = (id: Uint64): boolean => taken.has(id);
      const allocator = createOutsideIdAllocator(range, isTaken, 200);
      for (let round = 0; round < 150; round++) {
        // Other ids get taken too (seeded business), ahead of and behind the allocator's position.
        if (prng.next() < 0.5) {
          const base = seed === 5 ? 40n : BigInt(range.min);
          const offset = BigInt(Math.floor(prng.next() * 60)) + 1n;
          taken.add(String(seed === 5 ? base + offset : base - offset) as Uint64);
        }
        const expected = allocateOutsideId(range, isTaken, 200);
        assert.equal(allocator.allocate(), expected, `seed ${seed} round ${round}`);
        taken.add(expected);
      }
      taken.clear();
      allocator.restart();
      assert.equal(allocator.allocate(), allocateOutsideId(range, isTaken, 200), 'after a reset the first free id again');
    }
  });
  test('it throws once both directions are exhausted', () => {
    const taken = new Set<Uint64>();
    const allocator = createOutsideIdAllocator({ min: toUint64('0'), max: toUint64('18446744073709551613') }, (id) => taken.has(id), 10);
    taken.add(allocator.allocate());
    taken.add(allocator.allocate());
    assert.throws(() => allocator.allocate(), RangeError);
  });
});

describe('state journal', () => {
  test('concurrent commits resolve only once their own lines are in the file, in order, and the file holds each line once', async () => {
    const dir = makeTempDir('qsen-sim-pipeline-');
    try {
      const storage = createStateStorage(join(dir.path, 'state.json'));
      const prng = createPrng(7);
      const checks: Promise<void>[] = [];
      const resolvedOrder: number[] = [];
      let line = 0;
      for (let burst = 0; burst < 60; burst++) {
        const n = 1 + Math.floor(prng.next() * 5);
        for (let i = 0; i < n; i++) {
          const mine = ++line;
          storage.append(`{"seq": "${mine}"}`);
          const index = checks.length;
          checks.push(storage.commit().then(() => {
            const text = readFileSync(storage.journalPath, 'utf8');
            assert.ok(text.includes(`{"seq": "${mine}"}\n`), `line ${mine} is in the file when its commit resolves`);
            resolvedOrder.push(index);
          }));
        }
        if (prng.next() < 0.5) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(checks);
      assert.deepEqual(resolvedOrder, [...resolvedOrder].sort((a, b) => a - b), 'commits resolve in the order they were made');
      const { lines } = await storage.load();
      assert.deepEqual(lines, Array.from({ length: line }, (_, i) => `{"seq": "${i + 1}"}`));
      await storage.close();
    } finally {
      dir.remove();
    }
  });
  test('commits go on during a compaction; every line is in the retired journal, the new one or the snapshot', async () => {
    const dir = makeTempDir('qsen-sim-compact-');
    try {
      const path = join(dir.path, 'state.json');
      const storage = createStateStorage(path);
      for (let i = 1; i <= 20; i++) storage.append(`{"seq": "${i}"}`);
      await storage.commit();
      let rendered = '';
      const compaction = storage.compact(() => {
        rendered = 'snapshot up to 20';
        return rendered;
      });
      const during: Promise<void>[] = [];
      for (let i = 21; i <= 40; i++) {
        storage.append(`{"seq": "${i}"}`);
        during.push(storage.commit());
      }
      await Promise.all([compaction, ...during]);
      assert.equal(readFileSync(path, 'utf8'), rendered);
      assert.equal(existsSync(`${storage.journalPath}.old`), false, 'the retired journal is removed once the snapshot is durable');
      const { snapshot, lines } = await createStateStorage(path).load();
      assert.equal(snapshot, rendered);
      // The lines committed while it ran are in the new journal (those the snapshot covers are skipped by seq at load).
      for (let i = 21; i <= 40; i++) assert.ok(lines.includes(`{"seq": "${i}"}`), `line ${i}`);
      await storage.close();
    } finally {
      dir.remove();
    }
  });
  test('a crash between the rename and the snapshot: load reads the retired journal, then the new one; the next compaction keeps the retired lines', async () => {
    const dir = makeTempDir('qsen-sim-retired-');
    try {
      const path = join(dir.path, 'state.json');
      const storage = createStateStorage(path);
      writeFileSync(`${storage.journalPath}.old`, '{"seq": "1"}\n{"seq": "2"}\n');
      writeFileSync(storage.journalPath, '{"seq": "3"}\n{"seq": "4"');
      assert.deepEqual((await storage.load()).lines, ['{"seq": "1"}', '{"seq": "2"}', '{"seq": "3"}']);
      // A compaction with a retired journal still present does not rename over it: it stays until the snapshot is durable.
      await storage.compact(() => 'covers 1..3');
      assert.equal(existsSync(`${storage.journalPath}.old`), false);
      assert.equal(readFileSync(path, 'utf8'), 'covers 1..3');
      await storage.close();
    } finally {
      dir.remove();
    }
  });
});
