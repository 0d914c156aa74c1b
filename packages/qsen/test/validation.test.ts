import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApiError, parseJsonLossless } from '@qsen/core';
import { canonicalPrice, canonicalQuantity, isSameOrder, validateOrder } from '../src/orders/validation.js';
import { qsenErrors } from '../src/errors.js';

const base = '{"id": "9999000000000000001", "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "1234.50", "currency": "ARS", "settlement": "T1", "counterparty": "210"}';

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'INVALID_REQUEST');
    return err.details?.['field'];
  }
  assert.fail('expected INVALID_REQUEST');
}

function withField(field: string, json: string): unknown {
  const body = parseJsonLossless(base) as Record<string, unknown>;
  body[field] = (parseJsonLossless(`{"v": ${json}}`) as Record<string, unknown>)['v'];
  return body;
}

test('a valid order comes out canonical, with numbers read exactly', () => {
  const order = validateOrder(parseJsonLossless('{"id": 18446744073709551615, "instrument": "GD30.D", "side": "sell", "quantity": 0001000, "price": 1234.500000, "currency": "EXT", "settlement": "T0", "counterparty": 7}'.replace('0001000', '1000')));
  assert.deepEqual(order, { id: '18446744073709551615', instrument: 'GD30.D', side: 'sell', quantity: '1000', price: '1234.5', currency: 'EXT', settlement: 'T0', counterparty: '7' });
});

test('ids as strings and as numbers are the same exact id, beyond 2^53', () => {
  const a = validateOrder(withField('id', '"9999000000000000001"'));
  const b = validateOrder(withField('id', '9999000000000000001'));
  assert.equal(a.id, '9999000000000000001');
  assert.equal(b.id, '9999000000000000001');
  assert.ok(isSameOrder(a, b));
});

test('each field is checked and the error names it', () => {
  assert.equal(fieldOf(() => validateOrder(withField('id', '"-1"'))), 'id');
  assert.equal(fieldOf(() => validateOrder(withField('id', '1e19'))), 'id');
  assert.equal(fieldOf(() => validateOrder(withField('id', '"18446744073709551616"'))), 'id');
  assert.equal(fieldOf(() => validateOrder(withField('instrument', '"al30"'))), 'instrument');
  assert.equal(fieldOf(() => validateOrder(withField('instrument', '"ABCDEFGHIJKLM"'))), 'instrument');
  assert.equal(fieldOf(() => validateOrder(withField('side', '"hold"'))), 'side');
  assert.equal(fieldOf(() => validateOrder(withField('quantity', '0'))), 'quantity');
  assert.equal(fieldOf(() => validateOrder(withField('quantity', '"1.5"'))), 'quantity');
  assert.equal(fieldOf(() => validateOrder(withField('quantity', '-3'))), 'quantity');
  assert.equal(fieldOf(() => validateOrder(withField('price', '"0.0000001"'))), 'price');
  assert.equal(fieldOf(() => validateOrder(withField('price', '0'))), 'price');
  assert.equal(fieldOf(() => validateOrder(withField('price', '1e3'))), 'price');
  assert.equal(fieldOf(() => validateOrder(withField('price', 'true'))), 'price');
  assert.equal(fieldOf(() => validateOrder(withField('currency', '"EUR"'))), 'currency');
  assert.equal(fieldOf(() => validateOrder(withField('settlement', '"T2"'))), 'settlement');
  assert.equal(fieldOf(() => validateOrder(withField('counterparty', '"1234567"'))), 'counterparty');
  assert.equal(fieldOf(() => validateOrder(withField('extra', '1'))), 'extra');
  assert.equal(fieldOf(() => validateOrder([])), 'body');
  const missing = parseJsonLossless(base) as Record<string, unknown>;
  delete missing['price'];
  assert.equal(fieldOf(() => validateOrder(missing)), 'price');
});

test('prices stay exact decimals: six decimals pass, seven do not, no float rounding', () => {
  assert.deepEqual(canonicalPrice('0.000001'), { ok: true, value: '0.000001' });
  assert.deepEqual(canonicalPrice('100.10'), { ok: true, value: '100.1' });
  assert.equal(canonicalPrice('1234567890123.5').ok, false);
  assert.deepEqual(canonicalPrice('000123456789012.123456'), { ok: true, value: '123456789012.123456' });
  assert.deepEqual(canonicalPrice('123456789012.123456'), { ok: true, value: '123456789012.123456' });
  assert.equal(canonicalPrice('1.1234567').ok, false);
  assert.deepEqual(canonicalQuantity('007'), { ok: true, value: '7' });
});

test('the error codes of the registry are unique, upper snake case, with contract statuses', () => {
  const specs = qsenErrors.specs as Record<string, { status: number }>;
  const expected: Record<string, number> = { ID_OUT_OF_RANGE: 403, DUPLICATE_ORDER_ID: 409, MARKET_CLOSED: 409, HALTED: 423, SENEBI_ERROR: 502, SENEBI_TIMEOUT: 504, INVALID_REQUEST: 400 };
  for (const [code, status] of Object.entries(expected)) assert.equal(specs[code]?.status, status, code);
  for (const code of Object.keys(specs)) assert.match(code, /^[A-Z][A-Z0-9_]*$/);
});

test('every error code is documented in docs/qsen.md with its status', () => {
  const doc = readFileSync(new URL('../../../../docs/qsen.md', import.meta.url), 'utf8');
  for (const [code, spec] of Object.entries(qsenErrors.specs as Record<string, { status: number }>)) {
    const row = doc.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${code}\``));
    assert.ok(row, `${code} is in the error table`);
    assert.ok(row.includes(String(spec.status)), `${code} is documented with ${spec.status}`);
  }
});
