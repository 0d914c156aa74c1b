// parseUint64 (src/ids/uint64.ts): the 64-bit bound is checked on the text (only 20 digits can
// pass 2^64-1, and digit strings of one length compare as their numbers); fast-check compares it
// with BigInt on random digit strings around the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseUint64, UINT64_MAX } from '../src/ids/uint64.js';

test('parseUint64: the bound 2^64-1 exactly, as BigInt judges it', () => {
  assert.deepEqual(parseUint64('18446744073709551615'), { ok: true, value: '18446744073709551615' });
  assert.deepEqual(parseUint64('18446744073709551616'), { ok: false, problem: 'too_large' });
  assert.deepEqual(parseUint64('99999999999999999999'), { ok: false, problem: 'too_large' });
  assert.deepEqual(parseUint64('100000000000000000000'), { ok: false, problem: 'not_decimal_digits' });
  const near = fc.bigInt({ min: UINT64_MAX - 10n ** 6n, max: UINT64_MAX + 10n ** 6n });
  const any = fc.bigInt({ min: 0n, max: 10n ** 20n - 1n });
  fc.assert(fc.property(fc.oneof(near, any), (n) => {
    const parsed = parseUint64(n.toString());
    assert.equal(parsed.ok, n <= UINT64_MAX, n.toString());
    if (!parsed.ok) assert.equal(parsed.problem, 'too_large');
  }), { numRuns: 3000 });
});
