#!/usr/bin/env node
// kan log endpoints under load (issue 13), against the real local system started by the launcher:
//   1. tail of the last 64 MiB of a 256 MiB log through /kan/v1/logs/tail vs `tail -c 67108864`;
//   2. 80 concurrent 64 MiB tails (auditor) at kan0: served / refused, wall time, kan0 peak RSS;
//   3. truncation under load: a writer appending numbered lines as fast as it can, N rounds of
//      C concurrent truncate calls spread over the three kans (keep 64 KiB .. 1 MiB): latency of
//      each call vs one truncation alone, lines lost (must be 0), whole-line check;
//   4. GET /kan/v1/logs?file=all over --archive-mb MB of logs (one half-size file, the rest in
//      10 MB files): kan0's RSS peak over its level before, once read at full speed (the archive
//      listed by `tar -tzv` and checked entry by entry) and once by a client reading 2 MiB/s.
// Usage: npm run build && node bench/kan/logs.mjs [--tails 20] [--rounds 10] [--concurrent 12] [--archive-mb 200]
// (--tails 0, --rounds 0, --archive-mb 0 skip parts 1-2, 3 and 4).
// Writes bench/out/kan/logs-<time>.json and prints a summary.
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync, openSync, writeSync, closeSync, rmSync, mkdtempSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify, parseArgs } from 'node:util';

const REPO = new URL('../../', import.meta.url).pathname;
const LAUNCHER = join(REPO, 'packages/launcher/dist/src/main.js');
const WRITER = join(REPO, 'packages/kan/test/fixtures/append-writer.mjs');
const { values } = parseArgs({ options: { tails: { type: 'string', default: '20' }, rounds: { type: 'string', default: '10' }, concurrent: { type: 'string', default: '12' }, 'archive-mb': { type: 'string', default: '200' } } });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const pct = (arr, p) => { const s = [...arr].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const summary = (arr) => ({ n: arr.length, p50: pct(arr, 50), p90: pct(arr, 90), p99: pct(arr, 99), max: Math.max(...arr) });
const r1 = (x) => Math.round(x * 10) / 10;
const mib = (b) => r1(b / 1048576);
const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(status(pid))?.[1] ?? 0) * 1024;

async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch { /* retry */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const home = join(mkdtempSync(join(tmpdir(), 'qsen-bench-logs-')), 'home');
const ports = { qsen: await freePort(), kans: [await freePort(), await freePort(), await freePort()], senebi: await freePort(), exporter: await freePort() };
const env = { ...process.env, QSEN_HOME: home, QSEN_QSEN_PORT: String(ports.qsen), QSEN_KAN_PORTS: ports.kans.join(','), QSEN_SENEBI_PORT: String(ports.senebi), QSEN_NODE_EXPORTER_PORT: String(ports.exporter) };
await promisify(execFile)(process.execPath, [LAUNCHER, 'init'], { cwd: REPO, env });
const launcher = spawn(process.execPath, [LAUNCHER, 'start'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
launcher.stdout.on('data', (c) => { out += c; });
launcher.stderr.on('data', (c) => { out += c; });
const ca = readFileSync(join(home, 'pki/ca.crt'));
const id = (role) => ({ cert: readFileSync(join(home, `pki/clients/${role}.crt`)), key: readFileSync(join(home, `pki/clients/${role}.key`)) });
const auditor = id('auditor');
const operator = id('operator');

/** One call; the body is counted, not kept. */
function call(k, path, { identity = auditor, method = 'GET', identityless = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`https://localhost:${ports.kans[k]}${path}`, { method, ca, ...(identityless ? {} : identity), agent: false, timeout: 300_000 }, (res) => {
      let length = 0;
      const keep = [];
      res.on('data', (c) => { length += c.length; if (length < 65536) keep.push(c); });
      res.on('end', () => resolve({ status: res.statusCode, length, head: Buffer.concat(keep).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
const kanPid = async (k) => { try { const r = await call(k, '/kan/v1/ping', { identityless: true }); return r.status === 200 ? JSON.parse(r.head).pid : null; } catch { return null; } };

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version },
  loadAtStart: loadavg().map(r1),
};
try {
  await waitFor(async () => (await Promise.all([0, 1, 2].map(kanPid))).every(Boolean), 120_000, `the local system (${out})`);
  const logs = join(home, 'logs');

  if (Number(values.tails) > 0) {
  // 1. A 64 MiB tail of a 256 MiB log vs tail -c.
  const big = join(logs, 'big-2026-01-01.log');
  const fd = openSync(big, 'w');
  const lines = [];
  for (let n = 1, size = 0; size < 1 << 20; n++) { const l = `{"level":"info","message":"bench line ${n}","pad":"${'x'.repeat(60)}"}\n`; lines.push(l); size += l.length; }
  const block = Buffer.from(lines.join(''));
  for (let w = 0; w < 256 << 20; w += block.length) writeSync(fd, block);
  closeSync(fd);
  const endpointMs = [];
  const tailMs = [];
  for (let i = 0; i < Number(values.tails); i++) {
    let t0 = performance.now();
    const r = await call(0, '/kan/v1/logs/tail?file=big-2026-01-01.log&bytes=67108864');
    endpointMs.push(performance.now() - t0);
    if (r.status !== 200 || r.length > 67108864 || r.length < 67000000) throw new Error(`tail answered ${r.status} ${r.length}`);
    t0 = performance.now();
    await new Promise((resolve, reject) => { const c = spawn('tail', ['-c', '67108864', big], { stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.resume(); c.on('exit', resolve); c.on('error', reject); });
    tailMs.push(performance.now() - t0);
  }
  results.tail64MiBOf256MiB = { endpointMs: summary(endpointMs.map(r1)), tailCommandMs: summary(tailMs.map(r1)), ratioP50: r1(pct(endpointMs, 50) / pct(tailMs, 50)) };
  console.log('tail 64 MiB:', JSON.stringify(results.tail64MiBOf256MiB));

  // 2. 80 concurrent 64 MiB tails at kan0.
  const pid0 = await kanPid(0);
  const rssBefore = rssOf(pid0);
  let peak = rssBefore;
  const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid0)); }, 10);
  let t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: 80 }, () => call(0, '/kan/v1/logs/tail?file=big-2026-01-01.log&bytes=67108864')));
  const wallMs = performance.now() - t0;
  clearInterval(sampler);
  results.concurrentTails80 = {
    served: answers.filter((a) => a.status === 200).length, refused503: answers.filter((a) => a.status === 503).length, other: answers.filter((a) => a.status !== 200 && a.status !== 503).length,
    wallMs: Math.round(wallMs), rssBeforeMiB: mib(rssBefore), rssPeakMiB: mib(peak), kan0Restarted: (await kanPid(0)) !== pid0,
  };
  console.log('80 concurrent tails:', JSON.stringify(results.concurrentTails80));
  rmSync(big);
  }

  if (Number(values.rounds) > 0) {
  // 3. Truncation under load.
  const race = join(logs, 'race-2026-01-01.log');
  writeFileSync(race, '');
  const writer = spawn(process.execPath, [WRITER, race, '40'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let wout = '';
  writer.stdout.on('data', (c) => { wout += c; });
  await waitFor(() => statSync(race).size > 4 << 20, 60_000, 'the writer');
  const aloneMs = [];
  let t0 = 0;
  for (let i = 0; i < 5; i++) {
    t0 = performance.now();
    const r = await call(i % 3, '/kan/v1/logs/truncate?file=race-2026-01-01.log&keep=1048576', { identity: operator, method: 'POST' });
    aloneMs.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`truncate ${r.status} ${r.head}`);
    await waitFor(() => statSync(race).size > 3 << 20, 60_000, 'more lines');
  }
  const concurrentMs = [];
  const statuses = {};
  const keeps = [65536, 262144, 1048576];
  for (let round = 0; round < Number(values.rounds); round++) {
    const calls = Array.from({ length: Number(values.concurrent) }, async (_, i) => {
      const s = performance.now();
      const r = await call(i % 3, `/kan/v1/logs/truncate?file=race-2026-01-01.log&keep=${keeps[i % keeps.length]}`, { identity: operator, method: 'POST' });
      concurrentMs.push(performance.now() - s);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    });
    await Promise.all(calls);
    await waitFor(() => statSync(race).size > 3 << 20, 60_000, 'more lines');
  }
  const exited = new Promise((r) => writer.once('exit', r));
  writer.kill('SIGTERM');
  await exited;
  const written = Number(/written (\d+)/.exec(wout)?.[1]);
  const text = readFileSync(race, 'latin1').split('\n');
  text.pop();
  const numbers = text.filter((l) => !/^ *$/.test(l)).map((l) => Number(/^line (\d{9}) x{40}$/.exec(l)?.[1] ?? Number.NaN));
  const torn = numbers.filter(Number.isNaN).length;
  let gaps = 0;
  for (let i = 1; i < numbers.length; i++) if (numbers[i] !== numbers[i - 1] + 1) gaps += 1;
  results.truncationUnderLoad = {
    writerLines: written, lastKept: numbers.at(-1), tornLines: torn, gaps, statuses,
    aloneMs: summary(aloneMs.map(r1)), concurrentMs: summary(concurrentMs.map(r1)), ratioP50: r1(pct(concurrentMs, 50) / pct(aloneMs, 50)),
    rounds: Number(values.rounds), concurrent: Number(values.concurrent),
  };
  console.log('truncation under load:', JSON.stringify(results.truncationUnderLoad));
  }

  // 4. The whole log folder as one .tar.gz.
  const archiveMiB = Number(values['archive-mb']);
  if (archiveMiB > 0) {
    const sizes = new Map();
    const line = (n) => `{"level":"info","message":"archive bench line ${n}","orderId":"${9999000000000000000n + BigInt(n)}","pad":"${(n * 7919).toString(36).repeat(6)}"}\n`;
    const writeLog = (name, bytes) => {
      const fd = openSync(join(logs, name), 'w');
      const parts = [];
      for (let n = 1, size = 0; size < 1 << 20; n++) { const l = line(n + bytes); parts.push(l); size += l.length; }
      const chunk = Buffer.from(parts.join(''));
      let written = 0;
      for (; written < bytes; written += Math.min(chunk.length, bytes - written)) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
      closeSync(fd);
      sizes.set(name, written);
    };
    writeLog('archive-big-2026-01-01.log', (archiveMiB / 2) * 1e6);
    for (let i = 0, left = (archiveMiB / 2) * 1e6; left > 0; i++, left -= 10e6) writeLog(`archive-${String(i).padStart(3, '0')}-2026-01-02.log`, Math.min(left, 10e6));
    for (const name of readdirSync(logs)) if (!sizes.has(name)) sizes.set(name, null); // the nodes' own logs, still being written
    const total = [...sizes.values()].reduce((a, b) => a + (b ?? 0), 0);
    const pid0 = await kanPid(0);
    const fetchArchive = (bytesPerSecond) => new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(`https://localhost:${ports.kans[0]}/kan/v1/logs?file=all`, { ca, ...auditor, agent: false, timeout: 600_000 }, (res) => {
        const list = spawn('tar', ['-tzv'], { stdio: ['pipe', 'pipe', 'inherit'] });
        let listing = '';
        list.stdout.on('data', (c) => { listing += c; });
        let length = 0;
        res.on('data', (c) => {
          length += c.length;
          if (!list.stdin.write(c)) { res.pause(); list.stdin.once('drain', () => res.resume()); }
          if (bytesPerSecond > 0) {
            const due = started + (length / bytesPerSecond) * 1000;
            const wait = due - performance.now();
            if (wait > 0) { res.pause(); setTimeout(() => res.resume(), wait); }
          }
        });
        res.on('end', () => { list.stdin.end(); list.on('exit', (code) => resolve({ status: res.statusCode, length, code, listing, ms: performance.now() - started })); });
      });
      req.on('error', reject);
      req.end();
    });
    for (const [label, rate] of [['fullSpeed', 0], ['client2MiBs', 2 << 20]]) {
      await sleep(2000);
      const before = rssOf(pid0);
      let peak = before;
      const sampler = setInterval(() => { peak = Math.max(peak, rssOf(pid0)); }, 10);
      const r = await fetchArchive(rate);
      clearInterval(sampler);
      const listed = new Map(r.listing.trim().split('\n').map((l) => { const f = l.trim().split(/\s+/); return [f.at(-1), Number(f[2])]; }));
      const mismatched = [...sizes].filter(([name, size]) => size !== null && listed.get(name) !== size).map(([name]) => name);
      results[`archive_${label}`] = {
        logsMB: r1(total / 1e6), status: r.status, tarExit: r.code, compressedMiB: mib(r.length), entries: listed.size, mismatched, ms: Math.round(r.ms),
        rssBeforeMiB: mib(before), rssPeakMiB: mib(peak), addedMiB: mib(peak - before), addedMB: r1((peak - before) / 1e6), kan0Restarted: (await kanPid(0)) !== pid0,
      };
      console.log(`logs?file=all (${label}):`, JSON.stringify(results[`archive_${label}`]));
    }
  }
  results.loadAtEnd = loadavg().map(r1);
} finally {
  launcher.kill('SIGTERM');
  await new Promise((r) => launcher.once('exit', r));
  rmSync(join(home, '..'), { recursive: true, force: true });
}
mkdirSync(join(REPO, 'bench/out/kan'), { recursive: true });
const file = join(REPO, 'bench/out/kan', `logs-${results.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(JSON.stringify(results, null, 2));
console.log(`written ${file}`);
