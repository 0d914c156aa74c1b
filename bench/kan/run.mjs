#!/usr/bin/env node
// kan benchmarks (issue 5), against the real local system started by the launcher:
//   1. resident memory of each kan, idle;
//   2. qsen kill -9 -> healthy again (ping answers with a new pid), N trials;
//   3. qsen SIGSTOP -> a healthy replacement, M trials, past the start-up grace and (3b) inside it
//      (stopped about 1 s after the new qsen answers: /proc says T, the grace does not apply);
//   6. kan kill -9 -> that kan healthy again (its ping answers with a new pid), K trials;
//   4. tail of the last 64 KiB of a 1 GiB log through /kan/v1/logs/tail vs `tail -c 65536`;
//   5. /kan/v1/metrics/system vs node_exporter scraped directly (added latency).
// Usage: npm run build && node bench/kan/run.mjs [--kill 20] [--stop 10] [--stop-grace 10] [--kan-kill 10] [--tail 50] [--metrics 300]
// (--tail 0 / --metrics 0 skip those parts).
// Writes bench/out/kan/results-<time>.json and prints a summary.
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, rmSync, mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';

const REPO = new URL('../../', import.meta.url).pathname;
const LAUNCHER = join(REPO, 'packages/launcher/dist/src/main.js');
const { values } = parseArgs({ options: { kill: { type: 'string', default: '20' }, stop: { type: 'string', default: '10' }, tail: { type: 'string', default: '50' }, metrics: { type: 'string', default: '300' }, 'stop-grace': { type: 'string', default: '10' }, 'kan-kill': { type: 'string', default: '10' } } });
// Production defaults except: a short stable period (each trial is a new failure, not a crash loop)
// and a shorter startup grace (so SIGSTOP trials need not wait 15 s each).
const WATCHDOG = { stable_after_ms: 2000, startup_grace_ms: 5000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const anyFreePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
// Distinct free ports (the kernel may hand the same one out twice in a row once it is closed).
const taken = new Set();
const freePort = async () => { for (;;) { const port = await anyFreePort(); if (!taken.has(port)) { taken.add(port); return port; } } };
const pct = (arr, p) => { const s = [...arr].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const summary = (arr) => ({ n: arr.length, p50: pct(arr, 50), p90: pct(arr, 90), p99: pct(arr, 99), min: Math.min(...arr), max: Math.max(...arr) });
const r1 = (x) => Math.round(x * 10) / 10;

async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch { /* retry */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const home = join(mkdtempSync(join(tmpdir(), 'qsen-bench-kan-')), 'home');
const ports = { qsen: await freePort(), kans: [await freePort(), await freePort(), await freePort()], senebi: await freePort(), exporter: await freePort() };
const env = { ...process.env, QSEN_HOME: home, QSEN_QSEN_PORT: String(ports.qsen), QSEN_KAN_PORTS: ports.kans.join(','), QSEN_SENEBI_PORT: String(ports.senebi), QSEN_NODE_EXPORTER_PORT: String(ports.exporter) };
await promisify(execFile)(process.execPath, [LAUNCHER, 'init'], { cwd: REPO, env });
let conf = readFileSync(join(home, 'conf.toml'), 'utf8');
for (const [k, v] of Object.entries(WATCHDOG)) conf = conf.replace(new RegExp(`^${k} = \\d+$`, 'm'), `${k} = ${v}`);
writeFileSync(join(home, 'conf.toml'), conf);
const launcher = spawn(process.execPath, [LAUNCHER, 'start'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
launcher.stdout.on('data', (c) => { out += c; });
launcher.stderr.on('data', (c) => { out += c; });

const ca = readFileSync(join(home, 'pki/ca.crt'));
const op = { cert: readFileSync(join(home, 'pki/clients/operator.crt')), key: readFileSync(join(home, 'pki/clients/operator.key')) };
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, ca, ...op });
const httpKeepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });

function get(url, { agent = false, identity = true } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent, ...(identity && !agent ? op : {}), timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
function getHttp(url) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: httpKeepAlive }, (res) => { const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) })); });
    req.on('error', reject);
    req.end();
  });
}
const ping = async (port, path) => { try { const r = await get(`https://127.0.0.1:${port}${path}`, { identity: false }); return r.status === 200 ? JSON.parse(r.body) : null; } catch { return null; } };
const qsenPid = async () => (await ping(ports.qsen, '/qsen/v1/ping'))?.pid ?? null;
const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
// Resident and proportional set size (PSS charges each shared page 1/n to each of its n users:
// the node binary's pages are shared by the five Node processes of the system).
const memoryOf = (pid) => {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssMiB: r1(kb('Rss') / 1024), pssMiB: r1(kb('Pss') / 1024), anonMiB: r1(kb('Anonymous') / 1024) };
};
const kanPids = async () => Promise.all(ports.kans.map(async (p) => (await ping(p, '/kan/v1/ping'))?.pid));

const results = { date: new Date().toISOString(), machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem(), node: process.version }, watchdog: 'defaults (interval 1000 ms, timeout 700 ms, threshold 3) with stable_after_ms 2000, startup_grace_ms 5000' };
try {
  await waitFor(async () => (await qsenPid()) && (await kanPids()).every(Boolean), 120_000, `the local system (${out})`);
  await sleep(WATCHDOG.startup_grace_ms + 3000);

  // 1. Idle memory.
  await sleep(5000);
  const pids = await kanPids();
  results.kanRssIdleBytes = pids.map(rssOf);
  results.kanMemoryIdle = pids.map(memoryOf);
  console.log('kan RSS idle (MB):', results.kanRssIdleBytes.map((b) => r1(b / 1e6)).join(', '));
  console.log('kan idle (MiB):', results.kanMemoryIdle.map((m, i) => `kan${i} rss ${m.rssMiB} pss ${m.pssMiB} anon ${m.anonMiB}`).join('; '));
  const st = JSON.parse((await get(`https://localhost:${ports.kans[0]}/kan/v1/status`, { agent: keepAlive })).body);
  results.kan0Memory = st.node.memory;
  console.log('kan0 memory after a status call:', JSON.stringify(st.node.memory));

  // 2. kill -9 of qsen.
  const killMs = [];
  for (let i = 0; i < Number(values.kill); i++) {
    const pid = await qsenPid();
    await sleep(WATCHDOG.stable_after_ms + 500 + Math.random() * 1000); // a fresh failure, random phase
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => { const p = await qsenPid(); return p !== null && p !== pid; }, 60_000, 'qsen back');
    killMs.push(performance.now() - t0);
    console.log(`kill -9 trial ${i + 1}: ${Math.round(killMs.at(-1))} ms`);
  }
  results.qsenKill9ToHealthyMs = summary(killMs.map(Math.round));

  // 3. SIGSTOP of qsen.
  const stopMs = [];
  for (let i = 0; i < Number(values.stop); i++) {
    const pid = await qsenPid();
    await sleep(WATCHDOG.startup_grace_ms + 500 + Math.random() * 1000);
    const t0 = performance.now();
    process.kill(pid, 'SIGSTOP');
    await waitFor(async () => { const p = await qsenPid(); return p !== null && p !== pid; }, 60_000, 'qsen replaced');
    stopMs.push(performance.now() - t0);
    console.log(`SIGSTOP trial ${i + 1}: ${Math.round(stopMs.at(-1))} ms`);
  }
  results.qsenSigstopToHealthyMs = summary(stopMs.map(Math.round));

  // 3b. SIGSTOP of a qsen inside its start-up grace.
  const graceMs = [];
  for (let i = 0; i < Number(values['stop-grace']); i++) {
    const old = await qsenPid();
    await sleep(WATCHDOG.stable_after_ms + 500);
    process.kill(old, 'SIGKILL');
    const pid = await waitFor(async () => { const p = await qsenPid(); return p !== null && p !== old ? p : null; }, 60_000, 'a new qsen');
    await sleep(500 + Math.random() * 1000); // about 1 s into a 5 s grace
    const t0 = performance.now();
    process.kill(pid, 'SIGSTOP');
    await waitFor(async () => { const p = await qsenPid(); return p !== null && p !== pid; }, 60_000, 'qsen replaced');
    graceMs.push(performance.now() - t0);
    console.log(`SIGSTOP inside the grace, trial ${i + 1}: ${Math.round(graceMs.at(-1))} ms`);
  }
  if (graceMs.length > 0) results.qsenSigstopInGraceToHealthyMs = summary(graceMs.map(Math.round));

  // 6. kill -9 of a kan (each in turn).
  const kanMs = [];
  for (let i = 0; i < Number(values['kan-kill']); i++) {
    const k = i % 3;
    const pid = (await kanPids())[k];
    await sleep(WATCHDOG.stable_after_ms + 500 + Math.random() * 1000);
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => { const p = (await ping(ports.kans[k], '/kan/v1/ping'))?.pid; return p !== undefined && p !== pid; }, 60_000, `kan${k} back`);
    kanMs.push(performance.now() - t0);
    console.log(`kan${k} kill -9 trial ${i + 1}: ${Math.round(kanMs.at(-1))} ms`);
  }
  if (kanMs.length > 0) results.kanKill9ToHealthyMs = summary(kanMs.map(Math.round));

  // 4. Tail of 64 KiB of a 1 GiB log.
  if (Number(values.tail) > 0) {
  const logFile = join(home, 'logs', 'big-2026-01-01.log');
  const fd = openSync(logFile, 'w');
  let line = '';
  let n = 0;
  const block = [];
  for (let size = 0; size < 1024 * 1024; size += line.length) { n += 1; line = `{"level":"info","message":"bench line ${n}","pad":"${'x'.repeat(60)}"}\n`; block.push(line); }
  const buf = Buffer.from(block.join(''));
  for (let written = 0; written < 1024 * 1024 * 1024; written += buf.length) writeSync(fd, buf);
  closeSync(fd);
  const endpointMs = [];
  const tailMs = [];
  for (let i = 0; i < Number(values.tail); i++) {
    let t0 = performance.now();
    const r = await get(`https://localhost:${ports.kans[0]}/kan/v1/logs/tail?file=big-2026-01-01.log&bytes=65536`, { agent: keepAlive });
    endpointMs.push(performance.now() - t0);
    if (r.status !== 200 || r.body.length > 65536 || r.body.length < 65000) throw new Error(`tail answered ${r.status} ${r.body.length}`);
    t0 = performance.now();
    await promisify(execFile)('tail', ['-c', '65536', logFile], { encoding: 'buffer', maxBuffer: 1 << 20 });
    tailMs.push(performance.now() - t0);
  }
  rmSync(logFile);
  results.tail64KiBOf1GiB = { endpointMs: summary(endpointMs.map(r1)), tailCommandMs: summary(tailMs.map(r1)), ratioP50: r1(pct(endpointMs, 50) / pct(tailMs, 50)) };
  console.log('tail:', JSON.stringify(results.tail64KiBOf1GiB));
  }

  // 5. metrics/system vs node_exporter directly.
  if (Number(values.metrics) > 0) {
  const direct = [];
  const proxied = [];
  for (let i = 0; i < Number(values.metrics); i++) {
    let t0 = performance.now();
    const a = await getHttp(`http://127.0.0.1:${ports.exporter}/metrics`);
    direct.push(performance.now() - t0);
    t0 = performance.now();
    const b = await get(`https://localhost:${ports.kans[1]}/kan/v1/metrics/system`, { agent: keepAlive });
    proxied.push(performance.now() - t0);
    if (a.status !== 200 || b.status !== 200) throw new Error(`metrics answered ${a.status} / ${b.status}`);
  }
  results.metricsSystem = { directMs: summary(direct.map(r1)), proxiedMs: summary(proxied.map(r1)), addedP50Ms: r1(pct(proxied, 50) - pct(direct, 50)) };
  console.log('metrics/system:', JSON.stringify(results.metricsSystem));
  }

  results.kanRssAfterBytes = (await kanPids()).map(rssOf);
  results.kanMemoryAfter = (await kanPids()).map(memoryOf);
  console.log('kan after (MiB):', results.kanMemoryAfter.map((m, i) => `kan${i} rss ${m.rssMiB} pss ${m.pssMiB}`).join('; '));
} finally {
  launcher.kill('SIGTERM');
  await new Promise((r) => launcher.once('exit', r));
  rmSync(join(home, '..'), { recursive: true, force: true });
}
mkdirSync(join(REPO, 'bench/out/kan'), { recursive: true });
const file = join(REPO, 'bench/out/kan', `results-${results.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(JSON.stringify(results, null, 2));
console.log(`written ${file}`);
