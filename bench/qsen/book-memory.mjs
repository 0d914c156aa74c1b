#!/usr/bin/env node --expose-gc
// Heap bytes per order held in qsen's order book (issue 17): N orders through the live path's
// shapes (a sendOrder body validated by checkOrder, then `sent`, then `accepted` with a SENEBI echo
// parsed as lossless JSON, as qsen's SENEBI adapter does), with settled entries compacted (the
// default) and kept as objects (the unbounded reference). Usage:
//   npm run build && node --expose-gc bench/qsen/book-memory.mjs [--orders N] [--cancel-every K]
import { parseArgs } from 'node:util';
import { parseJsonLossless } from '@qsen/core';
import { applyRecord, createOrderBook } from '../../packages/qsen/dist/src/orders/book.js';
import { checkOrder } from '../../packages/qsen/dist/src/orders/validation.js';
import { toWireValue } from '../../packages/qsen/dist/src/senebi/wire.js';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const { values } = parseArgs({ options: { orders: { type: 'string', default: '50000' }, 'cancel-every': { type: 'string', default: '0' } } });
const N = Number(values.orders);
const CANCEL_EVERY = Number(values['cancel-every']);
const range = { min: '9999000000000000000', max: '9999999999999999999' };
const heapAfterGc = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

function fill(book) {
  let id = 9999100000000000000n;
  let t = Date.parse('2026-12-01T14:00:00.000Z');
  const at = () => new Date((t += 3)).toISOString();
  for (let i = 0; i < N; i++) {
    const body = `{"id": "${(id++).toString()}", "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210"}`;
    const checked = checkOrder(parseJsonLossless(body), range);
    if (!checked.ok) throw checked.error;
    const { order } = checked;
    applyRecord(book, { type: 'order', id: order.id, order, at: at() });
    applyRecord(book, { type: 'state', id: order.id, state: 'sent', at: at() });
    const time = at();
    const answer = `{"order": {"id": "${order.id}", "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210", "status": "accepted", "time": "${time}", "tradeDate": "${time.slice(0, 10)}", "origin": "agent"}}`;
    const senebi = toWireValue(parseJsonLossless(answer).order);
    senebi.id = order.id;
    applyRecord(book, { type: 'state', id: order.id, state: 'accepted', senebi, at: at() });
    if (CANCEL_EVERY > 0 && i % CANCEL_EVERY === 0) {
      applyRecord(book, { type: 'cancel', id: order.id, cancel: 'requested', at: at() });
      applyRecord(book, { type: 'cancel', id: order.id, cancel: 'cancelled', senebi: { ...senebi, status: 'cancelled', cancelledAt: at() }, at: at() });
    }
  }
  return book;
}

const rows = [];
let held;
for (const [label, options] of [['objects (unbounded reference)', { compactSettled: false }], ['settled entries compact (default)', {}]]) {
  held = undefined;
  const before = heapAfterGc();
  const started = process.cpuUsage();
  held = fill(createOrderBook(options));
  const cpu = process.cpuUsage(started);
  const bytes = (heapAfterGc() - before) / N;
  rows.push(`| ${label} | ${N} | ${bytes.toFixed(0)} | ${((cpu.user + cpu.system) / N).toFixed(2)} | ${held.size} |`);
}
console.log('| book | orders | heap bytes per order | CPU µs per order (3-4 records) | entries |');
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(row);
