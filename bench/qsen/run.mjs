#!/usr/bin/env node
// qsen benchmark (issues 4 and 17): mutual TLS with keep-alive on both legs, durable journal on.
// Two SENEBIs run side by side: the simulator (no faults) and a minimal mutual-TLS stand-in
// (bench/qsen/stand-in.mjs: answers from the request alone, no store, no journal), each with its
// own qsen in front and its own nginx route, so qsen's own cost shows alone. One run measures:
//   1. latency at a paced rate (default 200 orders/s): straight to the SENEBI, through qsen,
//      through nginx (added latency = path percentile - direct percentile), for both SENEBIs;
//   2. throughput with 32 concurrent closed-loop clients through qsen, nginx and direct;
//   3. qsen's CPU per order (utime + stime from /proc over the closed-loop phase, after a
//      warm-up) and its resident memory (VmRSS, sampled every 100 ms) under that load.
// Usage: npm run build && node bench/qsen/run.mjs [--seconds N] [--rate N] [--clients N] [--warmup N]
//        [--qsen-flags "NODE FLAGS"] [--summary] [--stand-in-only] [--profile DIR] [--perf DIR]
//        [--cpu-only [--repeat N]] [--rounds N] [--tmpfs-journal] [--trace] [--heap-snapshot] [--orders N] [--pin] [--disk-floor] [--out DIR]
// qsen runs with the launcher's QSEN_NODE_FLAGS (the V8 heap flags it ships with, also in
// systemd/qsen.service) unless --qsen-flags says otherwise; --qsen-flags "" is V8's defaults.
// Writes bench/out/qsen/results.json (or DIR/results.json) and prints a Markdown section for bench/RESULTS.md; with
// --summary it ends with one line (the stand-in figures, qsen's own cost):
//   added_p50_ms=… added_p99_ms=… nginx_added_p50_ms=… nginx_added_p99_ms=… throughput_ratio=… cpu_ms_per_order=… rss_mb=…
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { initClusterPki, decryptPrivateKey } from '@qsen/pki';
import { SIMULATOR_MAIN_PATH } from '@qsen/simulator';
import { QSEN_NODE_FLAGS } from '@qsen/launcher';
import { findFreePort, waitFor, httpsCall } from '@qsen/testkit';
import { renderNginxConf } from './nginx.mjs';
import { formatSummary } from './summary.mjs';
import { analyseTrace, formatTrace } from './trace-report.mjs';

const REPOSITORY = new URL('../../', import.meta.url).pathname;
const QSEN_MAIN = join(REPOSITORY, 'packages/qsen/dist/src/main.js');
const STAND_IN = join(REPOSITORY, 'bench/qsen/stand-in.mjs');
const TRACE = join(REPOSITORY, 'bench/qsen/trace.mjs');
const NGINX = '/usr/sbin/nginx';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SECONDS = opt('seconds', 10);
const RATE = opt('rate', 200);
const CLIENTS = opt('clients', 32);
const WARMUP = opt('warmup', 2000);
const SUMMARY = args.includes('--summary');
// --stand-in-only: skip the simulator's phases (profiling, quick checks); --profile DIR: the
// stand-in qsen runs with --cpu-prof into DIR (a .cpuprofile per process, written at exit).
const STAND_IN_ONLY = args.includes('--stand-in-only');
const profileAt = args.indexOf('--profile');
const PROFILE_DIR = profileAt === -1 ? undefined : args[profileAt + 1];
// --perf DIR: `perf record` samples the stand-in qsen on the CPU (every thread, kernel included)
// during its closed-loop phase only, into DIR/qsen.perf.data; qsen runs with --perf-basic-prof so
// its JavaScript frames have names. Unlike --profile (V8's sampler, which also counts the time a
// thread waits for a CPU inside a call), this is where the CPU per order is spent.
// --cpu-only: only the closed loop through the stand-in qsen (N times with --repeat N, each after
// its own warm-up, same processes) and the stand-in's own floor; ends with one line per repeat,
// `cpu_ms_per_order=… orders_per_s=… load1=…`, for before/after comparisons on a loaded machine.
const CPU_ONLY = args.includes('--cpu-only');
const REPEAT = opt('repeat', 1);
const perfAt = args.indexOf('--perf');
const PERF_DIR = perfAt === -1 ? undefined : args[perfAt + 1];
const flagsAt = args.indexOf('--qsen-flags');
const QSEN_FLAGS = flagsAt === -1 ? [...QSEN_NODE_FLAGS] : (args[flagsAt + 1] ?? '').split(' ').filter(Boolean);
// --rounds N: the stand-in's paced phases N times, interleaved (direct, qsen, [qsen on tmpfs],
// nginx per round); the summary takes each added figure's median over the rounds.
const ROUNDS = opt('rounds', 1);
// --tmpfs-journal: a third qsen, also in front of the stand-in, whose [paths] data (journal,
// kill switch) is on tmpfs (/dev/shm): its fdatasync costs nothing, so the difference to the
// qsen on disk is what the durable journal costs on the answer's path.
const TMPFS_JOURNAL = args.includes('--tmpfs-journal');
// --trace: the stand-in qsens run with bench/qsen/trace.mjs (per-request segments, fdatasyncs,
// GC pauses, event-loop delay), gathered over each of their paced phases and printed.
const TRACE_ON = args.includes('--trace');
// --heap-snapshot: the stand-in qsen writes a V8 heap snapshot into the run's folder at the end
// of its closed loop (SIGUSR1, --heapsnapshot-signal), what it holds live when its peak is taken;
// `node bench/qsen/heap-shares.mjs DIR/*.heapsnapshot` sums it by kind of object.
const HEAP_SNAPSHOT = args.includes('--heap-snapshot');
// --orders N: each closed loop sends N orders (after its warm-up) instead of running --seconds.
// qsen's peak RSS grows with the orders its book holds, and a closed loop's count in 5 s is the
// machine's speed (2,700 orders/s on an idle machine, a few hundred under the others' load): a
// fixed count compares memory across runs and machines at the same book.
const CLOSED_ORDERS = opt('orders', 0);
// --pin: the servers under test (every qsen, nginx) run on CPU 0, the load side (this script,
// which is the load generator, the stand-in and the simulator) on CPU 1 (taskset, all threads).
// In production the platform and SENEBI are other machines; on one 2-core box the generator and
// the stand-in are two busy processes that preempt the server they measure, and that wait lands
// in the server's latency (bench/RESULTS.md, "qsen's tail on a quiet machine, split by cause":
// half of the slowest orders' time without the fdatasync). nginx gets the same core as qsen, so
// the comparison stays like for like; direct traffic is the load side alone.
const PIN = args.includes('--pin');
// --disk-floor: each paced round also runs bench/qsen/disk-floor.mjs (a 300-byte append and
// fdatasync per order at the same rate, nothing else) in the disk qsen's state folder, between
// the direct and the qsen phase: the disk's own stalls in this run, next to qsen's tail.
const DISK_FLOOR = args.includes('--disk-floor');
const DISK_FLOOR_SCRIPT = join(REPOSITORY, 'bench/qsen/disk-floor.mjs');
const CPU_OF = { server: '0', load: '1' };
if (PIN) {
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', CPU_OF.load, String(process.pid)], { encoding: 'utf8' });
  if (pinned.status !== 0) throw new Error(`--pin: taskset failed: ${pinned.stderr || pinned.error}`);
}

// --out DIR (default bench/out/qsen): the run's folder, emptied first. Two runs at once in one
// folder would delete each other's state folders and keys: a run holds DIR.lock (its pid) and
// another run there refuses to start while that pid lives; give each concurrent run its own --out.
const outAt = args.indexOf('--out');
const out = outAt === -1 ? join(REPOSITORY, 'bench/out/qsen') : resolve(args[outAt + 1] ?? '');
const lockFile = `${out}.lock`;
mkdirSync(dirname(out), { recursive: true });
for (;;) {
  try {
    writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
    break;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    const holder = Number(readFileSync(lockFile, 'utf8').trim());
    let alive = false;
    try { process.kill(holder, 0); alive = true; } catch (e) { alive = e.code === 'EPERM'; }
    if (alive && holder !== process.pid) {
      console.error(`bench/qsen/run.mjs: another run (pid ${holder}) uses ${out}; wait for it or give this one --out DIR`);
      process.exit(2);
    }
    rmSync(lockFile, { force: true }); // a dead run's lock
  }
}
process.on('exit', () => rmSync(lockFile, { force: true }));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// One state folder per qsen (each has its journal); the second is a copy, so both share the PKI.
const home = join(out, 'home');
const home2 = join(out, 'home-stand-in');
const home3 = join(out, 'home-tmpfs');
const tmpfsData = `/dev/shm/qsen-bench-${process.pid}`;
mkdirSync(home, { recursive: true });
initClusterPki(home);
cpSync(home, home2, { recursive: true });
if (TMPFS_JOURNAL) cpSync(home, home3, { recursive: true });

const ports = {
  qsen: await findFreePort(), senebi: await findFreePort(), nginx: await findFreePort(),
  qsen2: await findFreePort(), standIn: await findFreePort(), nginx2: await findFreePort(),
  qsen3: TMPFS_JOURNAL ? await findFreePort() : 0,
};
const qsenConf = (port, senebiPort, data) => [
  '[server]', 'listen = "127.0.0.1"', `qsen_port = ${port}`,
  '[schedule]', 'timezone = "America/Argentina/Buenos_Aires"', 'start = "00:00"', 'stop = "24:00"',
  'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
  '[senebi]', `url = "https://127.0.0.1:${senebiPort}"`, 'ca = "senebi/ca.crt"', 'cert = "senebi/agent.crt"',
  'key = "senebi/agent.key.enc"', 'passphrase_file = "senebi/passphrase"', 'timeout_ms = 5000', 'test_identity = true',
  '[logging]', 'level = "warn"',
  ...(data ? ['[paths]', `data = "${data}"`] : []), '',
].join('\n');
writeFileSync(join(home, 'conf.toml'), qsenConf(ports.qsen, ports.senebi));
writeFileSync(join(home2, 'conf.toml'), qsenConf(ports.qsen2, ports.standIn));
if (TMPFS_JOURNAL) writeFileSync(join(home3, 'conf.toml'), qsenConf(ports.qsen3, ports.standIn, tmpfsData));

const read = (rel) => readFileSync(join(home, rel), 'utf8');
const agentKey = decryptPrivateKey(read('senebi/agent.key.enc'), read('senebi/passphrase').replace(/\r?\n$/, ''));
// nginx needs the agent's key in clear on disk (0600, inside bench/out only).
writeFileSync(join(out, 'agent.key'), agentKey, { mode: 0o600 });
writeFileSync(join(out, 'nginx.conf'), renderNginxConf({
  prefix: out, home, agentKey: join(out, 'agent.key'),
  routes: [{ port: ports.nginx, upstreamPort: ports.senebi }, { port: ports.nginx2, upstreamPort: ports.standIn }],
}));

const children = [];
let stopping = false;
const startChild = (command, argv, name, env, side = 'server') => {
  // taskset execs the command: the child's pid is the command's own (its /proc CPU and memory).
  const child = spawn(PIN ? 'taskset' : command, PIN ? ['-c', CPU_OF[side], command, ...argv] : argv, { ...(env ? { env: { ...process.env, ...env } } : {}), stdio: ['ignore', process.env.BENCH_STDOUT_DIR ? openSync(join(process.env.BENCH_STDOUT_DIR, `${name.replace(/\W+/g, '-')}.out`), 'w') : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  child.on('exit', (code, signal) => { if (!stopping) console.error(`${name} exited (${code ?? signal}): ${stderr}`); });
  children.push(child);
  return child;
};
const stopAll = async () => {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
  rmSync(tmpfsData, { recursive: true, force: true });
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

startChild(process.execPath, [SIMULATOR_MAIN_PATH, '--home', home, '--port', String(ports.senebi)], 'simulator', undefined, 'load');
const standIn = startChild(process.execPath, [STAND_IN, '--home', home, '--port', String(ports.standIn)], 'stand-in', undefined, 'load');
const qsen = startChild(process.execPath, [...QSEN_FLAGS, QSEN_MAIN, '--config', join(home, 'conf.toml')], 'qsen');
const profileFlags = [...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), ...(PERF_DIR ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(out, 'qsen-v8.log')}`] : [])];
const traceFile = (name) => join(out, `trace-${name}.json`);
const traced = (name) => (TRACE_ON ? { flags: ['--import', TRACE], env: { QSEN_TRACE_FILE: traceFile(name) } } : { flags: [], env: undefined });
const snapshotFlags = HEAP_SNAPSHOT ? ['--heapsnapshot-signal=SIGUSR1', `--diagnostic-dir=${out}`] : [];
const qsen2 = startChild(process.execPath, [...QSEN_FLAGS, ...profileFlags, ...snapshotFlags, ...traced('standInQsen').flags, QSEN_MAIN, '--config', join(home2, 'conf.toml')], 'qsen (stand-in)', traced('standInQsen').env);
const qsen3 = TMPFS_JOURNAL ? startChild(process.execPath, [...QSEN_FLAGS, ...traced('standInQsenTmpfs').flags, QSEN_MAIN, '--config', join(home3, 'conf.toml')], 'qsen (stand-in, journal on tmpfs)', traced('standInQsenTmpfs').env) : undefined;
startChild(NGINX, ['-p', out, '-c', join(out, 'nginx.conf'), '-e', join(out, 'nginx-error.log')], 'nginx');

const ca = read('pki/ca.crt');
const senebiCa = read('senebi/ca.crt');
const platform = { cert: read('pki/clients/platform.crt'), key: read('pki/clients/platform.key') };
const agent = { cert: read('senebi/agent.crt'), key: agentKey };
const ready = (port, path, trust, identity) => waitFor(async () => (await httpsCall(`https://127.0.0.1:${port}${path}`, { ca: trust, identity, timeoutMs: 1000 })).status === 200, { timeoutMs: 30_000, what: `port ${port}` });
await ready(ports.qsen, '/qsen/v1/ping', ca);
await ready(ports.qsen2, '/qsen/v1/ping', ca);
if (TMPFS_JOURNAL) await ready(ports.qsen3, '/qsen/v1/ping', ca);
await ready(ports.senebi, '/senebi/v1/ping', senebiCa, agent);
await ready(ports.standIn, '/senebi/v1/ping', senebiCa, agent);
await ready(ports.nginx, '/senebi/v1/ping', ca, platform);
await ready(ports.nginx2, '/senebi/v1/ping', ca, platform);

// The targets: same order body, different path and identity.
const targets = {
  direct: { port: ports.senebi, path: '/senebi/v1/orders', ca: senebiCa, identity: agent, simulator: true },
  qsen: { port: ports.qsen, path: '/qsen/v1/sendOrder', ca, identity: platform, simulator: true },
  nginx: { port: ports.nginx, path: '/senebi/v1/orders', ca, identity: platform, simulator: true },
  standInDirect: { port: ports.standIn, path: '/senebi/v1/orders', ca: senebiCa, identity: agent },
  standInQsen: { port: ports.qsen2, path: '/qsen/v1/sendOrder', ca, identity: platform },
  standInNginx: { port: ports.nginx2, path: '/senebi/v1/orders', ca, identity: platform },
  standInQsenTmpfs: { port: ports.qsen3, path: '/qsen/v1/sendOrder', ca, identity: platform, process: qsen3 },
};
targets.standInQsen.process = qsen2;
let nextId = 9999100000000000000n;
const orderBody = () => `{"id": "${(nextId++).toString()}", "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210"}`;

// The load generator's agent drops an idle socket before the server's announced keep-alive
// timeout (Node applies the Keep-Alive: timeout=N hint only when the agent has a timeout), so a
// non-200 here is the path's, not a socket the server closed while we reused it.
function makeSender(target, sockets) {
  const agentOpts = new Agent({ keepAlive: true, timeout: 60_000, maxSockets: sockets, ca: target.ca, cert: target.identity.cert, key: target.identity.key });
  const errors = new Map();
  const send = () => new Promise((resolve) => {
    const body = orderBody();
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port: target.port, path: target.path, method: 'POST', agent: agentOpts, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) errors.set(`${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`, (errors.get(`${res.statusCode}`) ?? 0) + 1);
        resolve({ ms: performance.now() - started, status: res.statusCode });
      });
    });
    req.on('error', (err) => {
      errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
      resolve({ ms: performance.now() - started, status: 0 });
    });
    req.end(body);
  });
  return { send, errors, close: () => agentOpts.destroy() };
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const summarise = (samples, errors) => {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const bad = samples.filter((s) => s.status !== 200).length;
  return { n: samples.length, non200: bad, ...(errors.size > 0 ? { errors: Object.fromEntries(errors) } : {}), p50: pct(sorted, 0.5), p90: pct(sorted, 0.9), p99: pct(sorted, 0.99), max: sorted[sorted.length - 1] };
};

/** The disk's floor at the paced rate (bench/qsen/disk-floor.mjs), on the servers' CPU when pinned. */
function diskFloor(rate, seconds) {
  const argv = [DISK_FLOOR_SCRIPT, '--dir', home2, '--rate', String(rate), '--seconds', String(seconds)];
  const run = spawnSync(PIN ? 'taskset' : process.execPath, PIN ? ['-c', CPU_OF.server, process.execPath, ...argv] : argv, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`disk-floor.mjs failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

// The simulator slows down as it accumulates orders (it keeps and persists every one), so each
// phase on it starts from a reset simulator: every path is measured against the same SENEBI.
async function resetSimulator() {
  const r = await httpsCall(`https://127.0.0.1:${ports.senebi}/admin/v1/reset`, { method: 'POST', ca: senebiCa, identity: agent, body: '{}' });
  if (r.status !== 200) throw new Error(`simulator reset failed: ${r.status} ${r.body}`);
}

async function warmUp(sender, clients) {
  let left = WARMUP;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (left-- > 0) await sender.send();
  }));
}

async function paced(name, rate, seconds) {
  if (targets[name].simulator) await resetSimulator();
  const sender = makeSender(targets[name], 32);
  await warmUp(sender, 4);
  const tracedProcess = TRACE_ON && targets[name].process;
  // The trace window opens after the warm-up (SIGUSR2) and is written at its end (SIGUSR2 again).
  if (tracedProcess) tracedProcess.kill('SIGUSR2');
  const total = rate * seconds;
  const interval = 1000 / rate;
  const samples = [];
  const pending = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(sender.send().then((s) => samples.push(s)));
  }
  await Promise.all(pending);
  sender.close();
  let trace;
  if (tracedProcess) {
    rmSync(traceFile(name), { force: true });
    tracedProcess.kill('SIGUSR2');
    let written;
    await waitFor(() => {
      try {
        written = JSON.parse(readFileSync(traceFile(name), 'utf8'));
        return true;
      } catch {
        return false; // not there yet, or still being written
      }
    }, { timeoutMs: 10_000, what: `the trace of ${name}` });
    trace = analyseTrace(written);
  }
  return { ...summarise(samples, sender.errors), achievedRate: total / ((performance.now() - t0) / 1000), ...(trace ? { trace } : {}) };
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S; // utime + stime
};
// MB here is 10^6 bytes, the unit of issue 17's targets; /proc counts in KiB ("kB"). Before
// 2026-12-02 these figures were KiB / 1024 (MiB) under the same label: multiply those by 1.048576.
const KIB_TO_MB = 1024 / 1e6;
const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * KIB_TO_MB : NaN;
};

/** Resident memory of a process by kind of mapping (MB): file-backed, anonymous (V8 heap, malloc arenas), [heap] (brk malloc), stacks. */
const rssByKind = (pid) => {
  const kinds = {};
  let kind = 'other';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const name = head[2];
      kind = name === '[heap]' ? 'brk heap' : name.startsWith('[stack') ? 'stack' : name === '' ? 'anonymous' : name.startsWith('[') ? 'other' : 'file-backed';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds[kind] = (kinds[kind] ?? 0) + Number(rss[1]) * KIB_TO_MB;
  }
  return Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, Math.round(v)]));
};

/** Starts `perf record` on a process (all its threads); stop() ends it and waits for the file. */
function startPerf(pid) {
  mkdirSync(PERF_DIR, { recursive: true });
  const child = spawn('perf', ['record', '-F', '997', '-g', '-p', String(pid), '-o', join(PERF_DIR, 'qsen.perf.data')], { stdio: 'ignore' });
  return { stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGINT'); }) };
}

/** Has a qsen started with --heapsnapshot-signal write its snapshot, and waits until it answers again (the write is synchronous). */
async function writeHeapSnapshot(child) {
  const before = new Set(readdirSync(out).filter((f) => f.endsWith('.heapsnapshot')));
  child.kill('SIGUSR1');
  await waitFor(() => readdirSync(out).some((f) => f.endsWith('.heapsnapshot') && !before.has(f)), { timeoutMs: 60_000, what: 'the heap snapshot' });
  await waitFor(async () => (await httpsCall(`https://127.0.0.1:${ports.qsen2}/qsen/v1/ping`, { ca, timeoutMs: 60_000 })).status === 200, { timeoutMs: 120_000, what: 'qsen after its heap snapshot' });
}

/** Closed loop; `watch` is a qsen process whose CPU per order and peak RSS are measured. */
async function closedLoop(name, clients, seconds, watch) {
  if (targets[name].simulator) await resetSimulator();
  const sender = makeSender(targets[name], clients);
  await warmUp(sender, clients);
  const samples = [];
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let peakRss = watch ? rssMb(watch.pid) : undefined;
  const perf = PERF_DIR && watch === qsen2 ? startPerf(watch.pid) : undefined;
  // A traced qsen gathers this closed loop too (its allocations with QSEN_TRACE_ALLOC=1).
  const tracedProcess = TRACE_ON && targets[name].process;
  if (tracedProcess) tracedProcess.kill('SIGUSR2');
  const cpu0 = watch ? cpuMs(watch.pid) : 0;
  // At each new peak 1 MB or more above the one last broken down, the mappings are read again:
  // what the peak is made of (compared with that reading, not with the last sample, so that a
  // peak reached by small steps is broken down too).
  let peakKinds;
  let kindsAtMb = -Infinity;
  const tick = setInterval(() => {
    if (!watch) return;
    const now = rssMb(watch.pid);
    if (now >= kindsAtMb + 1) {
      peakKinds = rssByKind(watch.pid);
      kindsAtMb = now;
    }
    peakRss = Math.max(peakRss, now);
  }, 100);
  let toSend = CLOSED_ORDERS;
  const more = () => (CLOSED_ORDERS > 0 ? toSend-- > 0 : performance.now() < deadline);
  await Promise.all(Array.from({ length: clients }, async () => {
    while (more()) samples.push(await sender.send());
  }));
  clearInterval(tick);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = watch ? cpuMs(watch.pid) - cpu0 : undefined;
  await perf?.stop();
  if (tracedProcess) tracedProcess.kill('SIGUSR2');
  const rssKinds = watch ? rssByKind(watch.pid) : undefined;
  if (HEAP_SNAPSHOT && watch === qsen2) await writeHeapSnapshot(watch);
  sender.close();
  return {
    ...summarise(samples, sender.errors),
    ordersPerSecond: samples.length / elapsed,
    ...(watch ? { qsenCpuMsPerOrder: cpu / samples.length, qsenCpuCores: cpu / 1000 / elapsed, qsenPeakRssMb: peakRss, qsenRssByKindAtPeakMb: peakKinds, qsenRssByKindAtEndMb: rssKinds } : {}),
  };
}

const SKIPPED = { n: 0, non200: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, ordersPerSecond: NaN, qsenPeakRssMb: NaN };
const added = (path, direct) => ({ p50: path.p50 - direct.p50, p99: path.p99 - direct.p99 });
const results = { date: new Date().toISOString(), loadAverageAtStart: loadavg().map((x) => x.toFixed(2)).join(' '), machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version, nginx: '1.22.1 (Debian)' }, settings: { seconds: SECONDS, rate: RATE, clients: CLIENTS, warmup: WARMUP, qsenNodeFlags: QSEN_FLAGS.join(' ') || '(none: V8 defaults)', pinned: PIN ? `servers under test on CPU ${CPU_OF.server}, load side on CPU ${CPU_OF.load}` : 'no' } };
try {
  if (CPU_ONLY) {
    results.cpuOnly = [];
    for (let i = 0; i < REPEAT; i++) {
      const r = await closedLoop('standInQsen', CLIENTS, SECONDS, qsen2);
      results.cpuOnly.push({ ...r, loadAverage: loadavg()[0] });
    }
    results.cpuOnlyStandIn = await closedLoop('standInDirect', CLIENTS, SECONDS, standIn);
  }
  const L = {};
  // Interleaved: direct, qsen, [qsen on tmpfs], nginx on the stand-in (--rounds times), then on the simulator.
  const standInNames = ['standInDirect', 'standInQsen', ...(TMPFS_JOURNAL ? ['standInQsenTmpfs'] : []), 'standInNginx'];
  results.rounds = [];
  for (let round = 0; round < (CPU_ONLY ? 0 : ROUNDS); round++) {
    const R = {};
    let floor;
    for (const name of standInNames) {
      R[name] = await paced(name, RATE, SECONDS);
      if (DISK_FLOOR && name === 'standInDirect') floor = diskFloor(RATE, SECONDS);
    }
    results.rounds.push({
      loadAverage: loadavg()[0],
      ...(floor ? { diskFloor: floor } : {}),
      latency: R,
      added: { qsen: added(R.standInQsen, R.standInDirect), nginx: added(R.standInNginx, R.standInDirect), ...(TMPFS_JOURNAL ? { qsenTmpfs: added(R.standInQsenTmpfs, R.standInDirect) } : {}) },
    });
    if (round === 0) Object.assign(L, R);
  }
  for (const name of ['standInDirect', 'standInQsen', 'standInNginx']) L[name] ??= SKIPPED;
  for (const name of ['direct', 'qsen', 'nginx']) {
    L[name] = CPU_ONLY || STAND_IN_ONLY ? SKIPPED : await paced(name, RATE, SECONDS);
  }
  results.latency = L;
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const medianAdded = (path) => (results.rounds.length === 0 ? { p50: NaN, p99: NaN } : { p50: median(results.rounds.map((r) => r.added[path].p50)), p99: median(results.rounds.map((r) => r.added[path].p99)) });
  results.addedLatency = {
    standIn: { qsen: medianAdded('qsen'), nginx: medianAdded('nginx'), ...(TMPFS_JOURNAL ? { qsenTmpfs: medianAdded('qsenTmpfs') } : {}) },
    simulator: { qsen: added(L.qsen, L.direct), nginx: added(L.nginx, L.direct) },
  };
  const T = {};
  T.standInQsen = CPU_ONLY ? results.cpuOnly.at(-1) : await closedLoop('standInQsen', CLIENTS, SECONDS, qsen2);
  T.standInNginx = CPU_ONLY ? SKIPPED : await closedLoop('standInNginx', CLIENTS, SECONDS);
  // The stand-in's own CPU per order: what one Node TLS server leg with no framework costs (a floor).
  T.standInDirect = CPU_ONLY ? results.cpuOnlyStandIn : await closedLoop('standInDirect', CLIENTS, SECONDS, standIn);
  T.qsen = STAND_IN_ONLY || CPU_ONLY ? SKIPPED : await closedLoop('qsen', CLIENTS, SECONDS, qsen);
  T.nginx = STAND_IN_ONLY || CPU_ONLY ? SKIPPED : await closedLoop('nginx', CLIENTS, SECONDS);
  T.direct = STAND_IN_ONLY || CPU_ONLY ? SKIPPED : await closedLoop('direct', CLIENTS, SECONDS);
  results.throughput = T;
  results.ratios = {
    standIn: { throughputQsenOverNginx: T.standInQsen.ordersPerSecond / T.standInNginx.ordersPerSecond },
    simulator: { throughputQsenOverNginx: T.qsen.ordersPerSecond / T.nginx.ordersPerSecond },
  };
  results.memory = { qsenPeakRssMb: Math.max(T.standInQsen.qsenPeakRssMb, STAND_IN_ONLY ? 0 : T.qsen.qsenPeakRssMb) };
  const status = await httpsCall(`https://127.0.0.1:${ports.qsen}/qsen/v1/status`, { ca, identity: platform });
  results.qsenJournal = JSON.parse(status.body).journal;
} finally {
  results.loadAverageAtEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  await stopAll();
}
writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

const f = (x, d = 2) => (typeof x === 'number' ? x.toFixed(d) : String(x));
const L = results.latency;
const T = results.throughput;
const A = results.addedLatency;
const row = (label, x) => `| ${label} | ${f(x.p50)} | ${f(x.p90)} | ${f(x.p99)} | ${f(x.max)} | ${x.non200}${x.errors ? ` (${Object.entries(x.errors).map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''} |`;
const trow = (label, x) => `| ${label} | ${f(x.ordersPerSecond, 0)} | ${f(x.p50)} | ${f(x.p99)} | ${x.non200} | ${x.qsenCpuMsPerOrder === undefined ? '' : `${f(x.qsenCpuMsPerOrder, 3)} ms/order, ${f(x.qsenCpuCores)} cores, peak RSS ${f(x.qsenPeakRssMb, 0)} MB${x.qsenRssByKindAtPeakMb ? ` (at the peak: ${Object.entries(x.qsenRssByKindAtPeakMb).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`}${label.startsWith('direct to the stand-in') ? ' (the stand-in process itself)' : ''} |`;
console.log(`### qsen: ${results.date.slice(0, 16).replace('T', ' ')} UTC

Machine: ${results.machine.cpus} × ${results.machine.model}, ${results.machine.memoryGb} GB, Linux ${results.machine.kernel}, Node ${results.machine.node}, nginx ${results.machine.nginx}.
Load generator, both SENEBIs, both qsens and nginx on this machine (CPU pinning: ${results.settings.pinned}). Mutual TLS with keep-alive on both legs; qsen's journal on (fdatasync, group commit). qsen's Node flags: ${results.settings.qsenNodeFlags}. Warm-up ${WARMUP} orders per phase.
Load average (1, 5, 15 min) at start: ${results.loadAverageAtStart}; at end: ${results.loadAverageAtEnd}.

| paced ${RATE} orders/s, ${SECONDS} s | p50 ms | p90 ms | p99 ms | max ms | non-200 |
|---|---|---|---|---|---|
${row('direct to the stand-in', L.standInDirect)}
${row('qsen -> stand-in', L.standInQsen)}
${row('nginx -> stand-in', L.standInNginx)}
${row('direct to the simulator', L.direct)}
${row('qsen -> simulator', L.qsen)}
${row('nginx -> simulator', L.nginx)}

| added over direct (ms) | qsen p50 | qsen p99 | nginx p50 | nginx p99 |
|---|---|---|---|---|
| stand-in | ${f(A.standIn.qsen.p50)} | ${f(A.standIn.qsen.p99)} | ${f(A.standIn.nginx.p50)} | ${f(A.standIn.nginx.p99)} |
| simulator | ${f(A.simulator.qsen.p50)} | ${f(A.simulator.qsen.p99)} | ${f(A.simulator.nginx.p50)} | ${f(A.simulator.nginx.p99)} |

| ${CLIENTS} concurrent clients, ${SECONDS} s | orders/s | p50 ms | p99 ms | non-200 | CPU and memory of the watched process |
|---|---|---|---|---|---|
${trow('qsen -> stand-in', T.standInQsen)}
${trow('nginx -> stand-in', T.standInNginx)}
${trow('direct to the stand-in', T.standInDirect)}
${trow('qsen -> simulator', T.qsen)}
${trow('nginx -> simulator', T.nginx)}
${trow('direct to the simulator', T.direct)}

${ROUNDS > 1 || TMPFS_JOURNAL ? `| paced round (stand-in) | load1 | direct p50 / p99 | qsen added p50 / p99 |${TMPFS_JOURNAL ? ' qsen, journal on tmpfs, added p50 / p99 |' : ''} nginx added p50 / p99 |${DISK_FLOOR ? ' disk floor p50 / p99 / max (orders over 5 ms) |' : ''}
|---|---|---|---|${TMPFS_JOURNAL ? '---|' : ''}---|${DISK_FLOOR ? '---|' : ''}
${results.rounds.map((r, i) => `| ${i + 1} | ${f(r.loadAverage)} | ${f(r.latency.standInDirect.p50)} / ${f(r.latency.standInDirect.p99)} | ${f(r.added.qsen.p50)} / ${f(r.added.qsen.p99)} |${TMPFS_JOURNAL ? ` ${f(r.added.qsenTmpfs.p50)} / ${f(r.added.qsenTmpfs.p99)} |` : ''} ${f(r.added.nginx.p50)} / ${f(r.added.nginx.p99)} |${r.diskFloor ? ` ${f(r.diskFloor.p50)} / ${f(r.diskFloor.p99)} / ${f(r.diskFloor.max)} (${r.diskFloor.over5ms}) |` : ''}`).join('\n')}
| median | | | ${f(A.standIn.qsen.p50)} / ${f(A.standIn.qsen.p99)} |${TMPFS_JOURNAL ? ` ${f(A.standIn.qsenTmpfs.p50)} / ${f(A.standIn.qsenTmpfs.p99)} |` : ''} ${f(A.standIn.nginx.p50)} / ${f(A.standIn.nginx.p99)} |${DISK_FLOOR ? ' |' : ''}
` : ''}
${TRACE_ON ? results.rounds.flatMap((r, i) => ['standInQsen', 'standInQsenTmpfs'].filter((n) => r.latency[n]?.trace).map((n) => formatTrace(`${n === 'standInQsen' ? 'qsen' : 'qsen (journal on tmpfs)'}, round ${i + 1}`, r.latency[n].trace))).join('\n') : ''}
Throughput qsen / nginx: ${f(results.ratios.standIn.throughputQsenOverNginx)} on the stand-in, ${f(results.ratios.simulator.throughputQsenOverNginx)} on the simulator.
qsen peak resident memory under the ${CLIENTS}-client load: ${f(results.memory.qsenPeakRssMb, 0)} MB.
qsen journal (simulator side): ${results.qsenJournal.records} records in ${results.qsenJournal.flushes} fsyncs (${f(results.qsenJournal.records / results.qsenJournal.flushes, 1)} records per fsync).
`);
if (CPU_ONLY) {
  for (const r of results.cpuOnly) console.log(`cpu_ms_per_order=${f(r.qsenCpuMsPerOrder, 3)} orders_per_s=${f(r.ordersPerSecond, 0)} cores=${f(r.qsenCpuCores)} load1=${f(r.loadAverage)}`);
}
if (SUMMARY) {
  console.log(formatSummary({
    addedP50Ms: A.standIn.qsen.p50,
    addedP99Ms: A.standIn.qsen.p99,
    nginxAddedP50Ms: A.standIn.nginx.p50,
    nginxAddedP99Ms: A.standIn.nginx.p99,
    throughputRatio: results.ratios.standIn.throughputQsenOverNginx,
    cpuMsPerOrder: T.standInQsen.qsenCpuMsPerOrder,
    rssMb: results.memory.qsenPeakRssMb,
  }));
}
