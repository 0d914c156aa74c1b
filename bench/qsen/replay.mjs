#!/usr/bin/env node
// Start-up replay of a large journal (issue: 300k records, 2.2 s of CPU): writes a journal of N
// records through the journal's own writer (openJournal + append, the live path's records: per
// order `order`, `sent`, `accepted` with SENEBI's echo, and a cancel every K orders), then
// replays it R times, each in a fresh process, exactly as qsen's start does (openJournal with
// onRecord -> applyRecord into the order book, then markDamage), and prints the CPU and wall time
// of the replay (median and range). The replays run with qsen's own V8 flags (QSEN_NODE_FLAGS:
// its young generation is small, so the garbage a replay makes costs what it costs at qsen's
// start); `--default-v8` runs them with Node's defaults. `--cpu-prof DIR` writes a V8 CPU profile
// of each replay. Usage:
//   npm run build && node bench/qsen/replay.mjs [--records 300000] [--runs 5] [--cancel-every 10] [--default-v8] [--cpu-prof DIR] [--keep FILE]
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJsonLossless } from '@qsen/core';
import { openJournal } from '../../packages/qsen/dist/src/journal/journal.js';
import { applyRecord, createOrderBook, markDamage } from '../../packages/qsen/dist/src/orders/book.js';
import { checkOrder } from '../../packages/qsen/dist/src/orders/validation.js';
import { toWireValue } from '../../packages/qsen/dist/src/senebi/wire.js';
import { QSEN_NODE_FLAGS } from '../../packages/launcher/dist/src/system/local-system.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '5' },
    'cancel-every': { type: 'string', default: '10' },
    'cpu-prof': { type: 'string' },
    'default-v8': { type: 'boolean', default: false },
    replay: { type: 'string' },
    keep: { type: 'string' },
  },
});

/** Child mode: replay one journal file as qsen's start does and print the figures as JSON. */
async function replayOnce(file) {
  const book = createOrderBook();
  let replayed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const opened = await openJournal(file, { onRecord: (record) => { replayed += 1; applyRecord(book, record); } });
  markDamage(book, opened, new Date().toISOString());
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await opened.journal.close();
  console.log(JSON.stringify({ records: replayed, orders: book.size, settled: book.settledCount(), cpuMs: (cpu.user + cpu.system) / 1000, wallMs }));
}

/** Writes a journal of about `records` records through the journal's own writer. */
async function writeJournal(file, records, cancelEvery) {
  const { journal } = await openJournal(file);
  const range = { min: '9999000000000000000', max: '9999999999999999999' };
  let id = 9999100000000000000n;
  let t = Date.parse('2026-12-01T14:00:00.000Z');
  const at = () => new Date((t += 3)).toISOString();
  let written = 0;
  for (let i = 0; written < records; i++) {
    const body = `{"id": "${(id++).toString()}", "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210"}`;
    const checked = checkOrder(parseJsonLossless(body), range);
    if (!checked.ok) throw checked.error;
    const { order } = checked;
    journal.append({ type: 'order', id: order.id, order, at: at() });
    journal.append({ type: 'state', id: order.id, state: 'sent', at: at() });
    const time = at();
    const answer = `{"order": {"id": ${order.id}, "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210", "status": "accepted", "time": "${time}", "tradeDate": "${time.slice(0, 10)}"}}`;
    const senebi = toWireValue(parseJsonLossless(answer).order);
    senebi.id = order.id;
    journal.append({ type: 'state', id: order.id, state: 'accepted', senebi, at: at() });
    written += 3;
    if (cancelEvery > 0 && i % cancelEvery === 0) {
      journal.append({ type: 'cancel', id: order.id, cancel: 'requested', at: at() });
      journal.append({ type: 'cancel', id: order.id, cancel: 'cancelled', senebi: { ...senebi, status: 'cancelled', cancelledAt: at() }, at: at() });
      written += 2;
    }
    if (i % 5000 === 0) await journal.flush();
  }
  await journal.close();
  return written;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (values.replay !== undefined) {
  await replayOnce(values.replay);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'qsen-bench-replay-'));
  try {
    // --keep FILE: the journal is written there and left for other tools (a profile, an A/B run).
    const file = values.keep ?? join(dir, 'journal.log');
    const written = await writeJournal(file, Number(values.records), Number(values['cancel-every']));
    const runs = [];
    for (let r = 0; r < Number(values.runs); r++) {
      const flags = [...(values['default-v8'] ? [] : QSEN_NODE_FLAGS), ...(values['cpu-prof'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [])];
      const out = execFileSync(process.execPath, [...flags, fileURLToPath(import.meta.url), '--replay', file], { encoding: 'utf8' });
      runs.push(JSON.parse(out.trim().split('\n').at(-1)));
    }
    const cpu = runs.map((r) => r.cpuMs);
    const wall = runs.map((r) => r.wallMs);
    console.log(`V8 flags: ${values['default-v8'] ? "Node's defaults" : QSEN_NODE_FLAGS.join(' ')}`);
    console.log(`journal: ${written} records, ${(statSync(file).size / 1048576).toFixed(1)} MiB, ${runs[0].orders} orders (${runs[0].settled} settled)`);
    console.log(`replay CPU ms: median ${median(cpu).toFixed(0)} (${Math.min(...cpu).toFixed(0)}-${Math.max(...cpu).toFixed(0)}), wall ms: median ${median(wall).toFixed(0)} (${Math.min(...wall).toFixed(0)}-${Math.max(...wall).toFixed(0)}), ${runs.length} runs`);
    console.log(`CPU µs per record: ${((median(cpu) * 1000) / written).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
