/**
 * parseJsonLossless and stringifyJsonLossless take V8's JSON where the text has no number (or the
 * value no LosslessNumber or bigint): the result must be exactly lossless-json's, on random
 * values and texts, duplicates, `__proto__` keys and broken text included, and ids keep every digit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as losslessParse, stringify as losslessStringify, LosslessNumber } from 'lossless-json';
import { parseJsonLossless, stringifyJsonLossless, JsonSyntaxError } from '../src/index.js';

/** What lossless-json alone gives: the value, or the error message. */
function reference(text: string): { value: unknown } | { error: string } {
  try {
    return { value: losslessParse(text) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function ours(text: string): { value: unknown } | { error: string } {
  try {
    return { value: parseJsonLossless(text) };
  } catch (err) {
    assert.ok(err instanceof JsonSyntaxError);
    return { error: err.message };
  }
}

const referenceStringify = (value: unknown): string | undefined =>
  losslessStringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? new LosslessNumber(v.toString()) : v));

test('parsing: random JSON texts, with and without numbers, give lossless-json\'s value', () => {
  fc.assert(fc.property(fc.json(), (text) => {
    assert.deepStrictEqual(ours(text), reference(text));
  }), { numRuns: 2000 });
  // Strings only (the shape of qsen's own bodies), so the V8 path is taken often.
  const stringsOnly = fc.jsonValue().map((v) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? String(x) : x)));
  fc.assert(fc.property(stringsOnly, (text) => {
    assert.deepStrictEqual(ours(text), reference(text));
  }), { numRuns: 2000 });
});

test('parsing: damaged texts, duplicate keys and __proto__ keys are judged as lossless-json judges them', () => {
  const samples = [
    '{"a": "1", "a": "2"}', '{"a": "1", "a": "1"}', '{"a": {"b": "x"}, "a": {"b": "x"}}', '{"a": {"b": "x", "b": "y"}}',
    '{"__proto__": {"admin": true}}', '{"__proto__": "x", "b": "y"}', '[{"k": "v"}, {"k": "v", "k": "w"}]',
    '{"a": "1",}', '{"a" "1"}', '{"a": "1"', '"\\u12"', '["\u0001"]', '{"a": tru}', '', '  ', 'nul', '{"a": "b"} x',
    '{"id": "9999000000000000001", "price": "1234.50"}', '{"id": 9999000000000000001, "price": 1234.50}',
    '{"a": "x:y", "b": "-1"}', '{"a\\"": "\\"", "b": "\\\\"}',
  ];
  for (const text of samples) assert.deepStrictEqual(ours(text), reference(text), text);
  // Random damage: a character of a valid text replaced.
  fc.assert(fc.property(fc.json(), fc.nat(), fc.constantFrom('"', ':', ',', '{', '}', '[', ']', '\\', 'x', ' '), (text, at, c) => {
    const i = at % Math.max(1, text.length);
    const damaged = text.slice(0, i) + c + text.slice(i + 1);
    assert.deepStrictEqual(ours(damaged), reference(damaged));
  }), { numRuns: 2000 });
});

test('parsing keeps every digit of numbers; strings stay strings', () => {
  const value = parseJsonLossless('{"id": 18446744073709551615, "price": 0.10000000000000000001, "text": "18446744073709551615"}') as Record<string, unknown>;
  assert.ok(value['id'] instanceof LosslessNumber);
  assert.equal(String(value['id']), '18446744073709551615');
  assert.equal(String(value['price']), '0.10000000000000000001');
  assert.equal(value['text'], '18446744073709551615');
});

test('writing: random values with LosslessNumbers, bigints, dates and undefined fields give lossless-json\'s text', () => {
  const leaf = fc.oneof(
    fc.jsonValue(),
    fc.bigInt().map((b) => b),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((b) => new LosslessNumber(b.toString())),
    fc.date({ noInvalidDate: true }),
    fc.constant(undefined),
  );
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node')), fc.dictionary(fc.string(), tie('node'))),
  })).node;
  fc.assert(fc.property(value, (v) => {
    const expected = referenceStringify(v);
    if (expected === undefined) assert.throws(() => stringifyJsonLossless(v), TypeError);
    else assert.equal(stringifyJsonLossless(v), expected);
  }), { numRuns: 3000 });
});

test('writing: a key named isLosslessNumber, a bigint id and an exact number come out exactly', () => {
  const cases: unknown[] = [
    { isLosslessNumber: true, value: '1' },
    { id: 18446744073709551615n },
    { price: new LosslessNumber('1234.500000') },
    { text: '"isLosslessNumber":' },
    [undefined, () => 1, Symbol('s')],
  ];
  for (const v of cases) assert.equal(stringifyJsonLossless(v), referenceStringify(v));
  assert.equal(stringifyJsonLossless({ id: 18446744073709551615n }), '{"id":18446744073709551615}');
});
