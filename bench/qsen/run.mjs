#!/usr/bin/env node
// qsen benchmark (issue 4): the simulator with no faults, mutual TLS with keep-alive on both
// legs, durable journal on. Measures, in one run on this machine:
//   1. latency at a paced 200 orders/s: straight to the simulator, through qsen, through nginx
//      (qsen's added latency = qsen percentile - direct percentile);
//   2. throughput with 32 concurrent closed-loop clients, through qsen and through nginx;
//   3. qsen's resident memory (VmRSS, sampled every 100 ms) under the throughput load.
// Usage: npm run build && node bench/qsen/run.mjs [--seconds N] [--rate N] [--clients N] [--qsen-flags "V8 FLAGS"]
// Writes bench/out/qsen/results.json and prints a Markdown section for bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { initClusterPki, decryptPrivateKey } from '@qsen/pki';
import { SIMULATOR_MAIN_PATH } from '@qsen/simulator';
import { findFreePort, waitFor, httpsCall } from '@qsen/testkit';
import { renderNginxConf } from './nginx.mjs';

const REPOSITORY = new URL('../../', import.meta.url).pathname;
const QSEN_MAIN = join(REPOSITORY, 'packages/qsen/dist/src/main.js');
const NGINX = '/usr/sbin/nginx';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SECONDS = opt('seconds', 10);
const RATE = opt('rate', 200);
const CLIENTS = opt('clients', 32);
const WARMUP = 500;
const flagsAt = args.indexOf('--qsen-flags');
const QSEN_FLAGS = flagsAt === -1 ? [] : (args[flagsAt + 1] ?? '').split(' ').filter(Boolean);

const out = join(REPOSITORY, 'bench/out/qsen');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const home = join(out, 'home');
mkdirSync(home, { recursive: true });
initClusterPki(home);

const ports = { qsen: await findFreePort(), senebi: await findFreePort(), nginx: await findFreePort() };
writeFileSync(join(home, 'conf.toml'), [
  '[server]', 'listen = "127.0.0.1"', `qsen_port = ${ports.qsen}`,
  '[schedule]', 'timezone = "America/Argentina/Buenos_Aires"', 'start = "00:00"', 'stop = "24:00"',
  'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
  '[senebi]', `url = "https://127.0.0.1:${ports.senebi}"`, 'ca = "senebi/ca.crt"', 'cert = "senebi/agent.crt"',
  'key = "senebi/agent.key.enc"', 'passphrase_file = "senebi/passphrase"', 'timeout_ms = 5000', 'test_identity = true',
  '[logging]', 'level = "warn"', '',
].join('\n'));

const read = (rel) => readFileSync(join(home, rel), 'utf8');
const agentKey = decryptPrivateKey(read('senebi/agent.key.enc'), read('senebi/passphrase').replace(/\r?\n$/, ''));
// nginx needs the agent's key in clear on disk (0600, inside bench/out only).
writeFileSync(join(out, 'agent.key'), agentKey, { mode: 0o600 });
writeFileSync(join(out, 'nginx.conf'), renderNginxConf({ prefix: out, home, port: ports.nginx, upstreamPort: ports.senebi, agentKey: join(out, 'agent.key') }));

const children = [];
const startChild = (command, argv, name) => {
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  child.on('exit', (code, signal) => { if (!stopping) console.error(`${name} exited (${code ?? signal}): ${stderr}`); });
  children.push(child);
  return child;
};
let stopping = false;
const stopAll = async () => {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))));
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

startChild(process.execPath, [SIMULATOR_MAIN_PATH, '--home', home, '--port', String(ports.senebi)], 'simulator');
const qsen = startChild(process.execPath, [...QSEN_FLAGS, QSEN_MAIN, '--config', join(home, 'conf.toml')], 'qsen');
startChild(NGINX, ['-p', out, '-c', join(out, 'nginx.conf'), '-e', join(out, 'nginx-error.log')], 'nginx');

const ca = read('pki/ca.crt');
const platform = { cert: read('pki/clients/platform.crt'), key: read('pki/clients/platform.key') };
const agent = { cert: read('senebi/agent.crt'), key: agentKey };
await waitFor(async () => (await httpsCall(`https://127.0.0.1:${ports.qsen}/qsen/v1/ping`, { ca, timeoutMs: 1000 })).status === 200, { timeoutMs: 30_000, what: 'qsen' });
await waitFor(async () => (await httpsCall(`https://127.0.0.1:${ports.senebi}/senebi/v1/ping`, { ca: read('senebi/ca.crt'), identity: agent, timeoutMs: 1000 })).status === 200, { timeoutMs: 30_000, what: 'simulator' });
await waitFor(async () => (await httpsCall(`https://127.0.0.1:${ports.nginx}/senebi/v1/ping`, { ca, identity: platform, timeoutMs: 1000 })).status === 200, { timeoutMs: 30_000, what: 'nginx' });

// The three targets: same order body, different path and identity.
const targets = {
  direct: { port: ports.senebi, path: '/senebi/v1/orders', ca: read('senebi/ca.crt'), identity: agent },
  qsen: { port: ports.qsen, path: '/qsen/v1/sendOrder', ca, identity: platform },
  nginx: { port: ports.nginx, path: '/senebi/v1/orders', ca, identity: platform },
};
let nextId = 9999100000000000000n;
const orderBody = () => `{"id": "${(nextId++).toString()}", "instrument": "AL30", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210"}`;

function makeSender(target, sockets) {
  const agentOpts = new Agent({ keepAlive: true, maxSockets: sockets, ca: target.ca, cert: target.identity.cert, key: target.identity.key });
  const send = () => new Promise((resolve, reject) => {
    const body = orderBody();
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port: target.port, path: target.path, method: 'POST', agent: agentOpts, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode }));
    });
    req.on('error', reject);
    req.end(body);
  });
  return { send, close: () => agentOpts.destroy() };
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const summarise = (samples) => {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const bad = samples.filter((s) => s.status !== 200).length;
  return { n: samples.length, non200: bad, p50: pct(sorted, 0.5), p90: pct(sorted, 0.9), p99: pct(sorted, 0.99), max: sorted[sorted.length - 1] };
};

// The simulator slows down as it accumulates orders (it keeps and persists every one), so each
// phase starts from a reset simulator: every path is measured against the same SENEBI.
async function resetSimulator() {
  const r = await httpsCall(`https://127.0.0.1:${ports.senebi}/admin/v1/reset`, { method: 'POST', ca: targets.direct.ca, identity: agent, body: '{}' });
  if (r.status !== 200) throw new Error(`simulator reset failed: ${r.status} ${r.body}`);
}

async function paced(name, rate, seconds) {
  await resetSimulator();
  const sender = makeSender(targets[name], 32);
  for (let i = 0; i < WARMUP; i++) await sender.send();
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
  return { ...summarise(samples), achievedRate: total / ((performance.now() - t0) / 1000) };
}

async function closedLoop(name, clients, seconds, onTick) {
  await resetSimulator();
  const sender = makeSender(targets[name], clients);
  for (let i = 0; i < WARMUP; i++) await sender.send();
  const samples = [];
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const tick = setInterval(onTick ?? (() => undefined), 100);
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) samples.push(await sender.send());
  }));
  clearInterval(tick);
  const elapsed = (performance.now() - t0) / 1000;
  sender.close();
  return { ...summarise(samples), ordersPerSecond: samples.length / elapsed };
}

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const results = { date: new Date().toISOString(), loadAverageAtStart: loadavg().map((x) => x.toFixed(2)).join(' '), machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version, nginx: '1.22.1 (Debian)' }, settings: { seconds: SECONDS, rate: RATE, clients: CLIENTS, qsenNodeFlags: QSEN_FLAGS.join(' ') || '(none)' } };
try {
  results.latency = { direct: await paced('direct', RATE, SECONDS), qsen: await paced('qsen', RATE, SECONDS), nginx: await paced('nginx', RATE, SECONDS) };
  results.addedLatency = {
    qsen: { p50: results.latency.qsen.p50 - results.latency.direct.p50, p99: results.latency.qsen.p99 - results.latency.direct.p99 },
    nginx: { p50: results.latency.nginx.p50 - results.latency.direct.p50, p99: results.latency.nginx.p99 - results.latency.direct.p99 },
  };
  let maxRss = rssMb(qsen.pid);
  const idleRss = maxRss;
  results.throughput = {
    qsen: await closedLoop('qsen', CLIENTS, SECONDS, () => { maxRss = Math.max(maxRss, rssMb(qsen.pid)); }),
    nginx: await closedLoop('nginx', CLIENTS, SECONDS),
    direct: await closedLoop('direct', CLIENTS, SECONDS),
  };
  results.memory = { qsenRssBeforeLoadMb: idleRss, qsenMaxRssMb: maxRss };
  results.ratios = {
    throughputQsenOverNginx: results.throughput.qsen.ordersPerSecond / results.throughput.nginx.ordersPerSecond,
    p50LatencyQsenOverNginx: results.latency.qsen.p50 / results.latency.nginx.p50,
    p99LatencyQsenOverNginx: results.latency.qsen.p99 / results.latency.nginx.p99,
  };
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
console.log(`### qsen (issue 4): ${results.date.slice(0, 10)}

Machine: ${results.machine.cpus} × ${results.machine.model}, ${results.machine.memoryGb} GB, Linux ${results.machine.kernel}, Node ${results.machine.node}, nginx ${results.machine.nginx}.
Load generator, simulator, qsen and nginx all on this machine. Mutual TLS with keep-alive on both legs; qsen's journal on (fdatasync, group commit). qsen's Node flags: ${results.settings.qsenNodeFlags}.
Load average (1, 5, 15 min) at start: ${results.loadAverageAtStart}; at end: ${results.loadAverageAtEnd} (other work was running on the machine when it was above 0.5).

| paced ${RATE} orders/s, ${SECONDS} s | p50 ms | p90 ms | p99 ms | max ms | non-200 |
|---|---|---|---|---|---|
| direct to the simulator | ${f(L.direct.p50)} | ${f(L.direct.p90)} | ${f(L.direct.p99)} | ${f(L.direct.max)} | ${L.direct.non200} |
| through qsen | ${f(L.qsen.p50)} | ${f(L.qsen.p90)} | ${f(L.qsen.p99)} | ${f(L.qsen.max)} | ${L.qsen.non200} |
| through nginx | ${f(L.nginx.p50)} | ${f(L.nginx.p90)} | ${f(L.nginx.p99)} | ${f(L.nginx.max)} | ${L.nginx.non200} |

Added latency of qsen over direct: p50 ${f(results.addedLatency.qsen.p50)} ms (target < 2), p99 ${f(results.addedLatency.qsen.p99)} ms (target < 5); nginx adds p50 ${f(results.addedLatency.nginx.p50)} ms, p99 ${f(results.addedLatency.nginx.p99)} ms.

| ${CLIENTS} concurrent clients, ${SECONDS} s | orders/s | p50 ms | p99 ms | non-200 |
|---|---|---|---|---|
| through qsen | ${f(T.qsen.ordersPerSecond, 0)} | ${f(T.qsen.p50)} | ${f(T.qsen.p99)} | ${T.qsen.non200} |
| through nginx | ${f(T.nginx.ordersPerSecond, 0)} | ${f(T.nginx.p50)} | ${f(T.nginx.p99)} | ${T.nginx.non200} |
| direct to the simulator | ${f(T.direct.ordersPerSecond, 0)} | ${f(T.direct.p50)} | ${f(T.direct.p99)} | ${T.direct.non200} |

Ratios qsen / nginx: throughput ${f(results.ratios.throughputQsenOverNginx)}, p50 latency ${f(results.ratios.p50LatencyQsenOverNginx)}, p99 latency ${f(results.ratios.p99LatencyQsenOverNginx)}.
qsen resident memory: ${f(results.memory.qsenRssBeforeLoadMb, 0)} MB after the paced runs, at most ${f(results.memory.qsenMaxRssMb, 0)} MB under the ${CLIENTS}-client load (target < 150).
qsen journal: ${results.qsenJournal.records} records in ${results.qsenJournal.flushes} fsyncs (${f(results.qsenJournal.records / results.qsenJournal.flushes, 1)} records per fsync).
`);
