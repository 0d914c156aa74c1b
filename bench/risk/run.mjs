#!/usr/bin/env node
// The risk check's cost per order (docs/risk.md): createRiskControls(...).admit(order), the exact
// code the desk runs before the journal, with every kind of limit of [risk] in force and with no
// [risk] at all, in the same run. Rounds alternate between the two so that machine drift (other
// work on the box) hits both alike. Each admitted order reserves its consumption (distinct ids),
// so the ledger grows as it does over a trading day.
//
//   npm run build && node bench/risk/run.mjs [--orders N] [--rounds N]
//
// Prints a Markdown table for bench/RESULTS.md and writes bench/out/risk/results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '@qsen/core';
import { createRiskControls } from '../../packages/qsen/dist/src/risk/controls.js';
import { readReferencePrices } from '../../packages/qsen/dist/src/risk/prices.js';

const { values } = parseArgs({ options: { orders: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '10' } } });
const ORDERS = Number(values.orders);
const ROUNDS = Number(values.rounds);
const TZ = 'America/Argentina/Buenos_Aires';
const INSTRUMENTS = Array.from({ length: 50 }, (_, i) => `BOND${String(i).padStart(2, '0')}`);

/** Every limit kind in force, none of them reached by the benchmark's orders. */
const FULL = {
  max_order_quantity: '100000000',
  max_order_notional: { ARS: '10000000000', USD: '10000000000', EXT: '10000000000' },
  max_daily_notional: { ARS: '100000000000000000', USD: '100000000000000000' },
  max_daily_instrument_notional: { ARS: '100000000000000000', USD: '100000000000000000' },
  max_daily_orders: 100_000_000,
  max_orders_per_second: 100_000_000,
  max_orders_per_minute: 100_000_000,
  price_band_percent: '50',
  unreferenced: 'refuse',
  instruments_allow: INSTRUMENTS,
  counterparties_deny: ['999', '998', '997'],
  currencies_allow: ['ARS', 'USD'],
  settlements_deny: ['T0'],
};
const NONE = { unreferenced: 'refuse' };

function makeControls(risk) {
  const prices = readReferencePrices(Object.fromEntries(INSTRUMENTS.map((i, n) => [i, `${1000 + n}.5`])));
  if (!prices.ok) throw new Error(prices.problems.join('; '));
  const controls = createRiskControls({ risk, timezone: TZ, clock: systemClock, readRiskConfig: () => risk, audit: { record() {} } });
  if (risk.price_band_percent) controls.setReferencePrices(Object.fromEntries([...prices.prices].map(([k, v]) => [k, v.price])), 'bench', { subject: 'bench', requestId: '' });
  return controls;
}

function makeOrders(round) {
  return Array.from({ length: ORDERS }, (_, i) => {
    const n = round * ORDERS + i;
    return {
      id: String(9999000000000000000n + BigInt(n)),
      instrument: INSTRUMENTS[n % INSTRUMENTS.length],
      side: n % 2 ? 'buy' : 'sell',
      quantity: String(1000 + (n % 977)),
      price: `${1000 + (n % INSTRUMENTS.length)}.${String(n % 1000).padStart(3, '0')}`,
      currency: n % 3 ? 'ARS' : 'USD',
      settlement: 'T1',
      counterparty: String(200 + (n % 50)),
    };
  });
}

/** Admits every order, timing the batch; returns µs per order. A refusal is a benchmark bug. */
function runBatch(controls, orders) {
  const start = process.hrtime.bigint();
  for (const order of orders) controls.admit(order);
  return Number(process.hrtime.bigint() - start) / 1000 / orders.length;
}

/** Times single calls (includes hrtime's own cost, ~0.1 µs) for the tail. */
function runSingles(controls, orders) {
  const samples = new Float64Array(orders.length);
  for (let i = 0; i < orders.length; i += 1) {
    const start = process.hrtime.bigint();
    controls.admit(orders[i]);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return samples.sort();
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const loadStart = loadavg();
const modes = { full: { risk: FULL, batches: [], singles: [] }, none: { risk: NONE, batches: [], singles: [] } };
for (const mode of Object.values(modes)) mode.controls = makeControls(mode.risk);
// Warm-up: let the JIT settle on both paths.
for (const mode of Object.values(modes)) runBatch(mode.controls, makeOrders(1000).slice(0, 5000));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, mode] of round % 2 ? Object.entries(modes).reverse() : Object.entries(modes)) {
    const orders = makeOrders(round * 2 + (name === 'full' ? 0 : 1));
    mode.batches.push(runBatch(mode.controls, orders.slice(0, ORDERS / 2)));
    mode.singles.push(...runSingles(mode.controls, orders.slice(ORDERS / 2)));
  }
}
const loadEnd = loadavg();

const summary = Object.fromEntries(Object.entries(modes).map(([name, mode]) => {
  const singles = Float64Array.from(mode.singles).sort();
  return [name, {
    meanUsPerOrder: median(mode.batches),
    batchUs: mode.batches,
    p50Us: quantile(singles, 0.5),
    p99Us: quantile(singles, 0.99),
    p999Us: quantile(singles, 0.999),
    maxUs: singles[singles.length - 1],
    orders: ROUNDS * ORDERS,
  }];
}));
const fmt = (x) => x.toFixed(2);
const lines = [
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Date: ${new Date().toISOString()}.`,
  `Load average (1, 5, 15 min) at start: ${loadStart.map((l) => l.toFixed(2)).join(' ')}; at end: ${loadEnd.map((l) => l.toFixed(2)).join(' ')}.`,
  `${ROUNDS} alternating rounds of ${ORDERS} orders per mode (half timed as a batch, half one by one); ${INSTRUMENTS.length} instruments.`,
  '',
  '| risk check per order | batch mean µs (median of rounds) | single p50 µs | p99 µs | p99.9 µs | max µs |',
  '|---|---|---|---|---|---|',
  ...Object.entries(summary).map(([name, s]) => `| ${name === 'full' ? 'every limit kind in [risk]' : 'no [risk]'} | ${fmt(s.meanUsPerOrder)} | ${fmt(s.p50Us)} | ${fmt(s.p99Us)} | ${fmt(s.p999Us)} | ${fmt(s.maxUs)} |`),
  '',
  `Cost of [risk] over none: ${fmt(summary.full.meanUsPerOrder - summary.none.meanUsPerOrder)} µs per order (target: the check <= 20 µs).`,
];
console.log(lines.join('\n'));
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'risk');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.json'), JSON.stringify({ date: new Date().toISOString(), loadStart, loadEnd, summary }, null, 2));
