#!/usr/bin/env node
// qsen's outbound leg alone (issue 17): the SENEBI adapter (packages/qsen/src/senebi/client.ts)
// placing orders against the minimal mutual-TLS stand-in (bench/qsen/stand-in.mjs, its own
// process), once per HTTP client behind the adapter's SenebiTransport interface, phases
// interleaved round by round in one run so every client meets the same machine:
//   - undici: the production transport (packages/qsen/src/senebi/https-transport.ts);
//   - axios as shipped before issue 17's client work (keep-alive https.Agent, one secure context,
//     text answers, identity transformResponse, validateStatus, per-request content-type);
//   - axios tuned (also: identity transformRequest, decompress off, headers fixed on the
//     instance, no params object, no per-request config but url, method and data).
// Per client and round: a closed loop of --clients callers for --seconds (CPU ms per call of this
// process from process.cpuUsage(), calls/s, p50/p99), then --rate calls/s paced for --seconds
// (p50/p99). The process's CPU includes the loop that drives the calls, the same for each client.
// Usage: npm run build && node bench/qsen/client-leg.mjs [--seconds N] [--rounds N] [--clients N] [--rate N]
// Prints a Markdown table (medians over the rounds) and writes bench/out/client-leg/results.json.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext } from 'node:tls';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import axios from 'axios';
import { initClusterPki, decryptPrivateKey } from '@qsen/pki';
import { findFreePort, waitFor, httpsCall } from '@qsen/testkit';

const REPOSITORY = new URL('../../', import.meta.url).pathname;
const { createSenebiClient } = await import(join(REPOSITORY, 'packages/qsen/dist/src/senebi/client.js'));
const { createHttpsTransport } = await import(join(REPOSITORY, 'packages/qsen/dist/src/senebi/https-transport.js'));
const { TransportFailure } = await import(join(REPOSITORY, 'packages/qsen/dist/src/senebi/transport.js'));

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SECONDS = opt('seconds', 4);
const ROUNDS = opt('rounds', 3);
const CLIENTS = opt('clients', 32);
const RATE = opt('rate', 200);
const WARMUP = opt('warmup', 2000);

const out = join(REPOSITORY, 'bench/out/client-leg');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
initClusterPki(out);
const read = (rel) => readFileSync(join(out, rel), 'utf8');
const identity = { url: '', ca: read('senebi/ca.crt'), cert: read('senebi/agent.crt'), key: decryptPrivateKey(read('senebi/agent.key.enc'), read('senebi/passphrase').replace(/\r?\n$/, '')), timeoutMs: 5000, maxSockets: 64 };
const port = await findFreePort();
identity.url = `https://127.0.0.1:${port}`;
const standIn = spawn(process.execPath, [join(REPOSITORY, 'bench/qsen/stand-in.mjs'), '--home', out, '--port', String(port)], { stdio: 'ignore' });
await waitFor(async () => (await httpsCall(`${identity.url}/senebi/v1/ping`, { ca: identity.ca, identity: { cert: identity.cert, key: identity.key }, timeoutMs: 1000 })).status === 200, { timeoutMs: 30_000, what: 'the stand-in' });

/** An axios transport (SenebiTransport): `tuned` adds the extra trimming described above. */
function axiosTransport(tuned) {
  const agent = new Agent({
    keepAlive: true, maxSockets: identity.maxSockets, timeout: 4000, noDelay: true,
    secureContext: createSecureContext({ ca: identity.ca, cert: identity.cert, key: identity.key, minVersion: 'TLSv1.2' }),
  });
  const http = axios.create({
    baseURL: identity.url, httpsAgent: agent, timeout: identity.timeoutMs, responseType: 'text',
    transformResponse: [(data) => data], validateStatus: () => true, maxRedirects: 0, proxy: false,
    transitional: { clarifyTimeoutError: true, silentJSONParsing: false, forcedJSONParsing: false },
    headers: tuned ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
    ...(tuned ? { transformRequest: [(data) => data], decompress: false } : {}),
  });
  return {
    async send(request) {
      try {
        const response = tuned
          ? await http.request({ method: request.method, url: request.path, data: request.body })
          : request.method === 'POST'
            ? await http.post(request.path, request.body, { headers: { 'content-type': 'application/json' } })
            : await http.get(request.path);
        return { status: response.status, body: response.data };
      } catch (err) {
        throw new TransportFailure(String(err), { written: true, timedOut: false, code: err.code ?? 'unknown' }, err);
      }
    },
    close: () => agent.destroy(),
  };
}

const contenders = {
  undici: () => createHttpsTransport(identity),
  'axios as shipped': () => axiosTransport(false),
  'axios tuned': () => axiosTransport(true),
};

let nextId = 9999100000000000000n;
const order = () => ({ id: (nextId++).toString(), instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.4', currency: 'USD', settlement: 'T1', counterparty: '210' });
const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timedCall(client, failures) {
  const started = performance.now();
  try {
    const answer = await client.placeOrder(order());
    if (answer.kind !== 'placed' || answer.status !== 'accepted') failures.push(answer.kind);
  } catch (err) {
    failures.push(err.code ?? String(err));
  }
  return performance.now() - started;
}

async function closedLoop(client) {
  const failures = [];
  let left = WARMUP;
  await Promise.all(Array.from({ length: CLIENTS }, async () => { while (left-- > 0) await timedCall(client, failures); }));
  const samples = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: CLIENTS }, async () => { while (performance.now() < deadline) samples.push(await timedCall(client, failures)); }));
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  samples.sort((a, b) => a - b);
  return { calls: samples.length, callsPerSecond: (samples.length * 1000) / elapsed, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / samples.length, p50: pct(samples, 0.5), p99: pct(samples, 0.99), failures: failures.length };
}

async function paced(client) {
  const failures = [];
  const pending = [];
  const total = RATE * SECONDS;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(timedCall(client, failures));
  }
  const samples = (await Promise.all(pending)).sort((a, b) => a - b);
  return { p50: pct(samples, 0.5), p99: pct(samples, 0.99), failures: failures.length };
}

const results = { date: new Date().toISOString(), loadAverageAtStart: loadavg().map((x) => x.toFixed(2)).join(' '), machine: `${cpus().length} × ${cpus()[0]?.model}, Linux ${release()}, Node ${process.version}`, settings: { seconds: SECONDS, rounds: ROUNDS, clients: CLIENTS, rate: RATE, warmup: WARMUP }, rounds: [] };
try {
  for (let round = 0; round < ROUNDS; round++) {
    const row = {};
    for (const [name, make] of Object.entries(contenders)) {
      const transport = make();
      const client = createSenebiClient({ ...identity, transport });
      row[name] = { closed: await closedLoop(client), paced: await paced(client) };
      client.close();
    }
    results.rounds.push(row);
    console.error(`round ${round + 1}: ${JSON.stringify(row)}`);
  }
} finally {
  results.loadAverageAtEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  standIn.kill('SIGTERM');
}
writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const f = (x, d = 2) => x.toFixed(d);
const of = (name, pick) => median(results.rounds.map((r) => pick(r[name])));
console.log(`Client leg, ${results.date.slice(0, 16).replace('T', ' ')} UTC, ${results.machine}; load average at start ${results.loadAverageAtStart}, at end ${results.loadAverageAtEnd}.
Medians over ${ROUNDS} interleaved rounds; closed loop ${CLIENTS} callers × ${SECONDS} s after ${WARMUP} calls of warm-up; paced ${RATE}/s × ${SECONDS} s.

| client | CPU ms per call | calls/s | closed p50 ms | closed p99 ms | paced p50 ms | paced p99 ms | failures |
|---|---|---|---|---|---|---|---|
${Object.keys(contenders).map((name) => `| ${name} | ${f(of(name, (x) => x.closed.cpuMsPerCall), 3)} | ${f(of(name, (x) => x.closed.callsPerSecond), 0)} | ${f(of(name, (x) => x.closed.p50))} | ${f(of(name, (x) => x.closed.p99))} | ${f(of(name, (x) => x.paced.p50))} | ${f(of(name, (x) => x.paced.p99))} | ${results.rounds.reduce((n, r) => n + r[name].closed.failures + r[name].paced.failures, 0)} |`).join('\n')}
`);
