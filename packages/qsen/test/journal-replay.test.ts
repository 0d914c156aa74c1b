// The start-up replay's line decoder (decodeRecordAt, src/journal/records.ts) against the
// reference decoder (decodeRecord on the line as text): the same record or the same refusal for
// every line, so that making the replay faster changed none of its checks. fast-check draws
// records the writer writes (encodeRecord), hand-made lines with a correct checksum that
// JSON.stringify would not write (whitespace, keys twice, numbers written otherwise, escapes,
// `__proto__`), lines that are not UTF-8 with a checksum over their bytes or over their text,
// and lines with flipped bytes. bench/qsen/replay.mjs measures the replay (bench/RESULTS.md);
// packages/qsen/test/book-bounded.test.ts checks a replayed book equals the live one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { decodeRecord, decodeRecordAt, encodeRecord, scanJournal, type JournalRecord } from '../src/journal/records.js';

const hex = (n: number): string => n.toString(16).padStart(8, '0');
/** A line whose checksum is taken over `body`'s bytes. */
const lineOf = (body: Buffer): Buffer => Buffer.concat([Buffer.from(`${hex(crc32(body))} `, 'latin1'), body]);

/** Both decoders on one line (without newline), placed at an offset inside a larger buffer. */
function bothOn(line: Buffer): { fast: JournalRecord | undefined; reference: JournalRecord | undefined } {
  const framed = Buffer.concat([Buffer.from('x\n'), line, Buffer.from('\nyz')]);
  return { fast: decodeRecordAt(framed, 2, 2 + line.length), reference: decodeRecord(line.toString('utf8')) };
}

/**
 * The two results are equal. A `__proto__` key makes the reference decoder give an object whose
 * prototype is a fresh value (toWireValue assigns it), so two runs of it are never reference-equal
 * there: such results are compared by their full inspection (prototypes shown) instead.
 */
function assertSame(fast: unknown, reference: unknown, message?: string): void {
  try {
    assert.deepStrictEqual(fast, reference, message);
  } catch (err) {
    if (!/not reference-equal/.test(String(err))) throw err;
    const show = (v: unknown): string => inspect(v, { depth: null, showHidden: true, showProxy: true });
    assert.equal(show(fast), show(reference), message);
  }
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const anyText = fc.oneof(text, fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', '__proto__', '{"id":"1"}'));
const id = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const wire = fc.dictionary(fc.oneof(text, fc.constantFrom('id', 'status', 'price', '__proto__')), fc.oneof(anyText, fc.boolean(), fc.constant(null), fc.integer(), fc.double(), fc.array(anyText, { maxLength: 3 })), { maxKeys: 6 });
const record: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('order'), id, order: fc.record({ id, instrument: anyText, side: fc.constantFrom('buy', 'sell'), quantity: anyText, price: anyText }), at: anyText }),
  fc.record({ type: fc.constant('state'), id, state: fc.constantFrom('received', 'sent', 'accepted', 'rejected', 'unknown', 'not_sent', 'weird'), senebi: fc.option(wire, { nil: undefined }), error: fc.option(anyText, { nil: undefined }), at: anyText }, { requiredKeys: ['type', 'id', 'state', 'at'] }),
  fc.record({ type: fc.constant('cancel'), id, cancel: fc.constantFrom('requested', 'cancelled', 'matched', 'unknown', 'not_sent', 'bogus'), senebi: fc.option(wire, { nil: undefined }), at: anyText }, { requiredKeys: ['type', 'id', 'cancel', 'at'] }),
  fc.record({ type: fc.constant('damaged'), id: fc.oneof(id, fc.constant('007'), fc.constant('18446744073709551616')), at: anyText, line: fc.option(fc.integer(), { nil: undefined }) }, { requiredKeys: ['type', 'id', 'at'] }),
);

describe('journal replay decoder', () => {
  test('every record the writer writes decodes to the same record, at any offset', () => {
    fc.assert(fc.property(record, (r) => {
      const line = encodeRecord(r as unknown as JournalRecord);
      const { fast, reference } = bothOn(line.subarray(0, line.length - 1));
      assertSame(fast, reference);
    }), { numRuns: 2000 });
  });

  test('hand-made lines with a correct checksum: whitespace, keys twice, numbers written otherwise, escapes, __proto__', () => {
    const rewrite = fc.constantFrom(
      (j: string) => j.replace(/,/g, ', '),
      (j: string) => j.replace(/^\{/, '{"at":"x",'),
      (j: string) => j.replace(/^\{/, '{"id":"9999000000000000001",'),
      (j: string) => j.replace(/"line":(-?\d+)/, '"line":$1.0'),
      (j: string) => j.replace(/"line":(-?\d+)/, '"line":1e1'),
      (j: string) => j.replace(/"at":"/, '"at":"\\u0041'),
      (j: string) => j.replace(/\}$/, ',"n":12345678901234567890123}'),
      (j: string) => j.replace(/\}$/, ',"n":-0}'),
      (j: string) => j.replace(/\}$/, ',"__proto__":{"x":"1"}}'),
      (j: string) => `${j} `,
      (j: string) => j.replace(/:/, ' : '),
    );
    fc.assert(fc.property(record, rewrite, (r, change) => {
      const json = change(JSON.stringify(r));
      const { fast, reference } = bothOn(lineOf(Buffer.from(json, 'utf8')));
      assertSame(fast, reference, json);
    }), { numRuns: 2000 });
  });

  test('lines that are not UTF-8 (checksum over the bytes or over the text) and lines with flipped bytes', () => {
    fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 0x80, max: 0xff }), fc.boolean(), (r, at, bad, overText) => {
      const json = Buffer.from(JSON.stringify(r), 'utf8');
      const position = at % (json.length + 1);
      const body = Buffer.concat([json.subarray(0, position), Buffer.from([bad]), json.subarray(position)]);
      const line = overText ? Buffer.concat([Buffer.from(`${hex(crc32(Buffer.from(body.toString('utf8'), 'utf8')))} `), body]) : lineOf(body);
      const { fast, reference } = bothOn(line);
      assertSame(fast, reference);
    }), { numRuns: 1000 });
    fc.assert(fc.property(record, fc.nat(), fc.integer({ min: 0, max: 255 }), (r, at, byte) => {
      const line = encodeRecord(r as unknown as JournalRecord);
      const cut = line.subarray(0, line.length - 1);
      cut[at % cut.length] = byte === 0x0a ? 0x0b : byte;
      const { fast, reference } = bothOn(cut);
      assertSame(fast, reference);
    }), { numRuns: 2000 });
  });

  test('lines too short or without the checksum frame', () => {
    for (const line of ['', 'abc', '0000000', '00000000', '00000000 ', 'ABCDEF01 {}', '0000000g {}', '00000000\t{}', `${hex(crc32(Buffer.from('{}')))} {}`]) {
      const { fast, reference } = bothOn(Buffer.from(line, 'utf8'));
      assertSame(fast, reference, line);
    }
  });

  test('a scan of many records gives the same records as decoding each line as text', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 30 }), (rs) => {
      const bytes = Buffer.concat(rs.map((r) => encodeRecord(r as unknown as JournalRecord)));
      const expected = bytes.toString('utf8').split('\n').slice(0, -1).map((l) => decodeRecord(l)).filter((r) => r !== undefined);
      assertSame(scanJournal(bytes).records, expected);
    }), { numRuns: 300 });
  });
});
