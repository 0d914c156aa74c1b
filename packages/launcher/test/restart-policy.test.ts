import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs } from '@qsen/kan';
import { computeRestartDelayMs, countConsecutiveCrashes, DEFAULT_RESTART_POLICY } from '../src/supervise/restart-policy.js';

describe('restart policy', () => {
  it('waits 1 s after the first exit and doubles up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => computeRestartDelayMs(n, DEFAULT_RESTART_POLICY)),
      [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    assert.equal(computeRestartDelayMs(5000, DEFAULT_RESTART_POLICY), 60000, 'no overflow for huge counts');
  });

  it('is the watchdog\'s back-off formula (one source): the n-th exit waits what the n-th restart in a streak waits', () => {
    for (const settings of [DEFAULT_RESTART_POLICY, { initialDelayMs: 1, maxDelayMs: 3_600_000, stableAfterMs: 1 }, { initialDelayMs: 700, maxDelayMs: 700, stableAfterMs: 1 }]) {
      for (let n = 1; n <= 64; n++) {
        assert.equal(computeRestartDelayMs(n, settings), backoffDelayMs(n, settings.initialDelayMs, settings.maxDelayMs), `exit ${n}`);
      }
    }
  });

  it('counts exits in a row and starts over after a stable run', () => {
    const settings = { initialDelayMs: 1000, maxDelayMs: 60000, stableAfterMs: 60000 };
    assert.equal(countConsecutiveCrashes(0, 10, settings), 1);
    assert.equal(countConsecutiveCrashes(3, 59_999, settings), 4);
    assert.equal(countConsecutiveCrashes(6, 60_000, settings), 1);
  });
});
