// The journal's fast line decoder (decodeRecordAt, src/journal/records.ts): order ids
// written as bare JSON numbers (a hand-repaired journal, an older writer) must keep every digit.
// JSON.parse rounds such numbers to a double; the fast path may take JSON.parse's value only when
// JSON.stringify writes the line back unchanged, so a rounded number must send the line to the
// lossless reference decoder. The ids drawn here sit where doubles are sparse (2^53 .. 2^64-1),
// including the ones whose double prints back as the same digits (e.g. 9223372036854778000), and
// -0 / exponent forms. Each record decodes to exactly its digits, or both decoders refuse it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { decodeRecord, decodeRecordAt } from '../src/journal/records.js';

const hex = (n: number): string => n.toString(16).padStart(8, '0');
const lineOf = (json: string): Buffer => {
  const body = Buffer.from(json, 'utf8');
  return Buffer.concat([Buffer.from(`${hex(crc32(body))} `, 'latin1'), body]);
};
const fastOf = (line: Buffer): unknown => {
  const framed = Buffer.concat([Buffer.from('\n'), line, Buffer.from('\n')]);
  return decodeRecordAt(framed, 1, 1 + line.length);
};

/** Digit strings of ids beyond 2^53: any, and the ones a double prints back unchanged. */
const bigId = fc.oneof(
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }).map(String),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }).map((b) => String(Number(b))).filter((s) => /^[0-9]{1,20}$/.test(s) && BigInt(s) <= 2n ** 64n - 1n),
  fc.constantFrom('9223372036854778000', '9999000000000000000', '9999000000000000001', '18446744073709551615', '18446744073709552000', '9007199254740993'),
);

test('an id written as a bare JSON number keeps every digit through the fast decoder (state, cancel and order records)', () => {
  fc.assert(fc.property(bigId, fc.constantFrom('state', 'cancel', 'order'), (digits, type) => {
    const json = type === 'state'
      ? `{"type":"state","id":${digits},"state":"accepted","senebi":{"id":${digits},"status":"accepted"},"at":"2026-12-01T14:00:00.000Z"}`
      : type === 'cancel'
        ? `{"type":"cancel","id":${digits},"cancel":"cancelled","at":"2026-12-01T14:00:00.000Z"}`
        : `{"type":"order","id":${digits},"order":{"id":${digits},"instrument":"AL30","side":"buy","quantity":"1000","price":"62.40","currency":"USD","settlement":"T1","counterparty":"210"},"at":"2026-12-01T14:00:00.000Z"}`;
    const line = lineOf(json);
    const fast = fastOf(line) as Record<string, unknown> | undefined;
    const reference = decodeRecord(line.toString('utf8'));
    assert.deepStrictEqual(fast, reference, json);
    if (BigInt(digits) <= 2n ** 64n - 1n) {
      assert.ok(fast, `${json}: a well-formed record is decoded`);
      assert.equal(fast['id'], digits, 'the id is its digits, exactly');
      if (type === 'state') assert.equal((fast['senebi'] as Record<string, unknown>)['id'], digits, 'SENEBI\'s echo keeps its digits too');
      if (type === 'order') assert.equal((fast['order'] as Record<string, unknown>)['id'], digits);
    }
  }), { numRuns: 3000 });
});

test('-0, exponents and integer-like keys in a line go the same way through both decoders', () => {
  const forms = ['-0', '0', '1e21', '1e+21', '1E21', '9.999e18', '9999000000000000001.0', '99990000000000000010e-1', '-1', '18446744073709551616'];
  for (const form of forms) {
    for (const json of [
      `{"type":"state","id":"9999000000000000001","state":"accepted","senebi":{"qty":${form}},"at":"x"}`,
      `{"type":"state","id":${form},"state":"accepted","at":"x"}`,
      `{"type":"state","id":"9999000000000000001","state":"accepted","senebi":{"b":1,"1":${form}},"at":"x"}`,
    ]) {
      const line = lineOf(json);
      assert.deepStrictEqual(fastOf(line), decodeRecord(line.toString('utf8')), json);
    }
  }
});
