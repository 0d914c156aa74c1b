#!/usr/bin/env node
// The floor the disk sets under qsen's durable path (issue 17's tail): a process that does what
// qsen's journal does for one order at a paced rate, and nothing else: append a 300-byte record
// to a file in DIR and fdatasync it, RATE times a second for SECONDS. bench/qsen/run.mjs
// --disk-floor runs it in each paced round, in the qsen-on-disk's own state folder, between the
// direct and the qsen phase, so the disk's own stalls in that run are measured next to qsen's
// tail. Prints one JSON line: { n, p50, p90, p99, max, over5ms, over20ms } in ms.
// Usage: node bench/qsen/disk-floor.mjs --dir DIR [--rate 200] [--seconds 5]
import { closeSync, fdatasync, openSync, unlinkSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const dir = opt('dir', '/var/tmp');
const rate = Number(opt('rate', 200));
const seconds = Number(opt('seconds', 5));
const datasync = promisify(fdatasync);

const file = `${dir}/disk-floor-${process.pid}.log`;
const fd = openSync(file, 'a');
const record = Buffer.alloc(300, 'x');
record[299] = 10;
const times = [];
const total = Math.round(rate * seconds);
const t0 = performance.now();
// Like qsen's group commit: a record due while an fdatasync is in flight waits for it, then
// goes with the next one, and its time counts from when it was due.
let waiting = [];
let syncing = false;
async function drain() {
  syncing = true;
  while (waiting.length > 0) {
    const batch = waiting;
    waiting = [];
    for (let i = 0; i < batch.length; i++) writeSync(fd, record);
    await datasync(fd);
    const done = performance.now();
    for (const due of batch) times.push(done - due);
  }
  syncing = false;
}
for (let i = 0; i < total; i++) {
  const due = t0 + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  waiting.push(performance.now());
  if (!syncing) void drain();
}
while (syncing || waiting.length > 0) await new Promise((r) => setTimeout(r, 5));
closeSync(fd);
unlinkSync(file);
times.sort((a, b) => a - b);
const pct = (q) => Number(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)].toFixed(3));
console.log(JSON.stringify({ n: times.length, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: Number(times.at(-1).toFixed(2)), over5ms: times.filter((t) => t > 5).length, over20ms: times.filter((t) => t > 20).length }));
