import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonLossless, toUint64 } from '@qsen/core';
import { fenceOperations, fenceOrders } from '../src/orders/listings.js';

const range = { min: toUint64('9999000000000000000'), max: toUint64('9999999999999999999') };

test('orders: only ids inside the range leave, edges included, as strings', () => {
  const answer = parseJsonLossless(`{"orders": [
    {"id": 9998999999999999999, "instrument": "AL30", "status": "accepted"},
    {"id": 9999000000000000000, "instrument": "AL30", "status": "accepted", "price": 1234.50},
    {"id": 9999999999999999999, "instrument": "GD30", "status": "rejected", "reason": "NO_LIMIT"},
    {"id": 10000000000000000000, "instrument": "AL30", "status": "accepted"},
    {"id": "not-an-id"},
    {"id": 9999000000000000005, "extra": {"hidden": 1}, "legs": [12345678901234567890]}
  ]}`) as { orders: unknown[] };
  const out = fenceOrders(answer.orders, range);
  assert.deepEqual(out, [
    { id: '9999000000000000000', instrument: 'AL30', status: 'accepted', price: '1234.50' },
    { id: '9999999999999999999', instrument: 'GD30', status: 'rejected', reason: 'NO_LIMIT' },
    { id: '9999000000000000005' },
  ]);
});

test('operations: kept only for in-range orderId; counterOrderId dropped when outside', () => {
  const answer = parseJsonLossless(`{"operations": [
    {"id": 5000000000000000001, "orderId": 9999000000000000001, "counterOrderId": 9999000000000000002, "instrument": "AL30", "quantity": 10},
    {"id": 5000000000000000002, "orderId": 9999999999999999999, "counterOrderId": 1234567890123456789},
    {"id": 5000000000000000003, "orderId": 9998999999999999999, "counterOrderId": 9999000000000000003},
    {"id": 5000000000000000004, "orderId": 10000000000000000000, "counterOrderId": 9999000000000000003},
    {"id": 5000000000000000005, "orderId": 9999000000000000000, "counterOrderId": 10000000000000000000}
  ]}`) as { operations: unknown[] };
  const out = fenceOperations(answer.operations, range);
  assert.deepEqual(out, [
    { id: '5000000000000000001', orderId: '9999000000000000001', counterOrderId: '9999000000000000002', instrument: 'AL30', quantity: '10' },
    { id: '5000000000000000002', orderId: '9999999999999999999' },
    { id: '5000000000000000005', orderId: '9999000000000000000' },
  ]);
  const text = JSON.stringify(out);
  assert.ok(!text.includes('1234567890123456789') && !text.includes('9998999999999999999') && !text.includes('10000000000000000000'));
});
