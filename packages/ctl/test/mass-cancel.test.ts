import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../src/cli/parse.js';
import { describeMassCancel } from '../src/commands/mass-cancel.js';

describe('qsenctl halt --cancel-open', () => {
  it('parses --cancel-open; without it the halt does not cancel (the default)', () => {
    assert.deepEqual(parseCommandLine(['halt', '--reason', 'drill', '--cancel-open']).command, { kind: 'halt', reason: 'drill', cancelOpen: true });
    assert.deepEqual(parseCommandLine(['halt']).command, { kind: 'halt', reason: undefined, cancelOpen: false });
  });

  it('tells the counts and every failure with its code', () => {
    assert.deepEqual(describeMassCancel({
      run: 'r1', state: 'done', listing: 'ok', pending: 0,
      cancelled: ['9999000000000000001', '9999000000000000002'], alreadyMatched: ['9999000000000000003'], notOpen: [],
      failed: [{ id: '9999000000000000004', code: 'SENEBI_TIMEOUT', delivery: 'unknown' }],
    }), [
      'mass cancel r1 done: cancelled 2, already matched 1, not open 0, failed 1',
      '  failed 9999000000000000004: SENEBI_TIMEOUT (delivery unknown)',
    ]);
    assert.deepEqual(describeMassCancel({
      run: 'r3', state: 'done', listing: 'ok', pending: 0, cancelled: [], alreadyMatched: [], notOpen: [], failed: [],
      orphans: [{ id: '9999000000000000042', result: 'cancelled' }, { id: '9999000000000000043', result: 'failed', code: 'SENEBI_ERROR', delivery: 'unknown' }],
    }), [
      'mass cancel r3 done: cancelled 0, already matched 0, not open 0, failed 0, orphans 2',
      '  orphan 9999000000000000042: cancelled',
      '  orphan 9999000000000000043: failed SENEBI_ERROR (delivery unknown)',
    ], 'orphans in their own lines, not among the failures');
    assert.match(describeMassCancel({ run: 'r2', state: 'running', listing: 'unavailable', pending: 7, cancelled: [], alreadyMatched: [], notOpen: [], failed: [] })[0] ?? '', /running: .*pending 7 \(SENEBI's listing unavailable/);
  });
});
