/** The disk figures in kan's status: statfs arithmetic with literal inputs, and the real folders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statfs } from 'node:fs/promises';
import { makeTempDir } from '@qsen/testkit';
import { diskFiguresOf, readSystemFigures } from '../src/status/system.js';

test('diskFiguresOf: size, used (blocks - free), available to unprivileged users (bavail), percent of used + available', () => {
  assert.deepEqual(diskFiguresOf({ bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 }), {
    sizeBytes: 4_096_000, usedBytes: 2_867_200, availableBytes: 1_024_000, usePercent: 73.7,
  });
  assert.deepEqual(diskFiguresOf({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 }), { sizeBytes: 0, usedBytes: 0, availableBytes: 0, usePercent: null });
});

test('readSystemFigures: each folder reports its own file system, whatever systeminformation lists', async () => {
  const tmp = makeTempDir('qsen-kan-disk-');
  try {
    const figures = await readSystemFigures({ logs: tmp.path, data: tmp.path });
    const st = await statfs(tmp.path);
    assert.equal(figures.disks.logs.sizeBytes, st.blocks * st.bsize);
    assert.equal(figures.disks.data.path, tmp.path);
    assert.ok(figures.memory.totalBytes > 0);
    assert.ok(figures.load.cpus >= 1);
  } finally {
    tmp.remove();
  }
});
