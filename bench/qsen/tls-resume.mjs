#!/usr/bin/env node
// What a new connection to SENEBI costs qsen, full TLS handshake against resumed (issue 17).
// Real mutual TLS with the certificates the benchmark makes (initClusterPki), qsen's own secure
// context (the agent's certificate and key, SENEBI's CA, TLS 1.2 minimum) and undici's connector
// as qsen builds it (packages/qsen/src/senebi/https-transport.ts), against both SENEBIs the
// benchmark runs, each its own process: the simulator and the stand-in (bench/qsen/stand-in.mjs).
// Each connection is made, sends one ping (Connection: close) and must be answered 200 (the
// simulator drops a connection whose peer certificate is not the agent's, so a resumed session
// that lost the identity would fail here), then closes; one at a time, N of each kind:
//   full     a connector that keeps no session (maxCachedSessions 0): every handshake is full;
//   resumed  qsen's connector (its session cache): after the first, each offers SENEBI's ticket;
//   resumed, gc between: the same with a full garbage collection before each connection
//            (undici's cache holds its sessions through WeakRefs; needs --expose-gc, else skipped);
//   ..., last session held: and the last session SENEBI issued kept by the caller, as qsen's
//            transport does.
// Per kind: the protocol, how many were resumed, the connect's wall time (TCP and handshake,
// p50/p90) and qsen's CPU per connection (user + system of this process over connect, ping and
// close: the servers are other processes), and the servers' own CPU per connection.
// Usage: npm run build && node --expose-gc bench/qsen/tls-resume.mjs [--n 200]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSecureContext } from 'node:tls';
import { initClusterPki, decryptPrivateKey } from '@qsen/pki';
import { SIMULATOR_MAIN_PATH } from '@qsen/simulator';
import { findFreePort, waitFor } from '@qsen/testkit';

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--n') + 1] ?? 0) || 200;
const REPOSITORY = new URL('../../', import.meta.url).pathname;
const require = createRequire(join(REPOSITORY, 'packages/qsen/package.json'));
const buildConnector = require('undici/lib/core/connect.js');

const home = mkdtempSync(join(tmpdir(), 'qsen-tls-resume-'));
initClusterPki(home);
const read = (rel) => readFileSync(join(home, rel), 'utf8');
const key = decryptPrivateKey(read('senebi/agent.key.enc'), read('senebi/passphrase').replace(/\r?\n$/, ''));
const secureContext = createSecureContext({ ca: read('senebi/ca.crt'), cert: read('senebi/agent.crt'), key, minVersion: 'TLSv1.2' });
const simPort = await findFreePort();
// The simulator reads its certificates' paths from the state folder's conf.toml (as in run.mjs).
writeFileSync(join(home, 'conf.toml'), [
  '[server]', 'listen = "127.0.0.1"', `qsen_port = ${await findFreePort()}`,
  '[schedule]', 'timezone = "America/Argentina/Buenos_Aires"', 'start = "00:00"', 'stop = "24:00"',
  'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]',
  '[senebi]', `url = "https://127.0.0.1:${simPort}"`, 'ca = "senebi/ca.crt"', 'cert = "senebi/agent.crt"',
  'key = "senebi/agent.key.enc"', 'passphrase_file = "senebi/passphrase"', 'timeout_ms = 5000', 'test_identity = true',
  '[logging]', 'level = "warn"', '',
].join('\n'));

const children = [];
const start = (argv) => {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};
const cpuOf = (pid) => {
  // utime + stime of a child, in ms (clock ticks of 10 ms).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const servers = [];
servers.push({ name: 'simulator', port: simPort, child: start([SIMULATOR_MAIN_PATH, '--home', home, '--port', String(simPort)]) });
const standInPort = await findFreePort();
servers.push({ name: 'stand-in', port: standInPort, child: start([join(REPOSITORY, 'bench/qsen/stand-in.mjs'), '--home', home, '--port', String(standInPort)]) });

/** One connection: connect, ping, close. Answers what it measured. */
const held = {};
function once(connect, port, hold = false) {
  return new Promise((resolve, reject) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const made = connect({ hostname: '127.0.0.1', host: `127.0.0.1:${port}`, protocol: 'https:', port: String(port) }, (err, socket) => {
      if (err) return reject(err);
      const connectMs = performance.now() - t0;
      const reused = socket.isSessionReused();
      const protocol = socket.getProtocol();
      // The resumed handshake's own key exchange (psk_dhe_ke): forward secrecy kept.
      const kex = socket.getEphemeralKeyInfo()?.name ?? 'none';
      let answer = '';
      socket.on('data', (chunk) => { answer += chunk; });
      socket.on('error', reject);
      socket.on('close', () => {
        const cpu = process.cpuUsage(cpu0);
        if (!answer.startsWith('HTTP/1.1 200')) return reject(new Error(`ping not answered 200: ${answer.slice(0, 60) || '(closed)'}`));
        resolve({ connectMs, cpuMs: (cpu.user + cpu.system) / 1000, reused, protocol, kex });
      });
      socket.write(`GET /senebi/v1/ping HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\naccept: application/json\r\nconnection: close\r\n\r\n`);
    });
    // qsen's transport keeps the last session SENEBI issued (undici's cache only holds a WeakRef).
    if (hold) made.on('session', (session) => { held.session = session; });
  });
}

const pct = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)];
const f = (x) => x.toFixed(2);

try {
  for (const s of servers) {
    await waitFor(async () => {
      try {
        await once(buildConnector({ secureContext, rejectUnauthorized: true, maxCachedSessions: 0 }), s.port);
        return true;
      } catch {
        return false;
      }
    }, { timeoutMs: 30_000, intervalMs: 200, what: `${s.name} answering` });
  }
  const rows = [];
  for (const s of servers) {
    const kinds = [
      ['full', () => buildConnector({ secureContext, rejectUnauthorized: true, maxCachedSessions: 0, timeout: 5000 }), false],
      ['resumed', () => buildConnector({ secureContext, rejectUnauthorized: true, timeout: 5000 }), false],
      ...(typeof globalThis.gc === 'function' ? [
        ['resumed, gc between', () => buildConnector({ secureContext, rejectUnauthorized: true, timeout: 5000 }), true],
        ['resumed, gc between, last session held', () => buildConnector({ secureContext, rejectUnauthorized: true, timeout: 5000 }), true, true],
      ] : []),
    ];
    for (const [kind, make, gcBetween, hold = false] of kinds) {
      const connect = make();
      delete held.session;
      await once(connect, s.port, hold); // warm: the resumed kinds get their first ticket here
      const results = [];
      const server0 = cpuOf(s.child.pid);
      for (let i = 0; i < N; i += 1) {
        if (gcBetween) {
          globalThis.gc();
          await new Promise((r) => setTimeout(r, 20)); // the collector's own work ends outside the measure
        }
        results.push(await once(connect, s.port, hold));
      }
      const serverCpu = (cpuOf(s.child.pid) - server0) / N;
      const c = results.map((r) => r.connectMs);
      const cpu = results.map((r) => r.cpuMs);
      rows.push(`| ${s.name} | ${kind} | ${[...new Set(results.map((r) => r.protocol))].join(', ')}, ${[...new Set(results.map((r) => r.kex))].join(', ')} | ${results.filter((r) => r.reused).length} of ${N} | ${f(pct(c, 0.5))} / ${f(pct(c, 0.9))} | ${f(cpu.reduce((a, b) => a + b, 0) / N)} | ${f(serverCpu)} |`);
    }
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${N} connections of each kind, one at a time\n`);
  console.log('| server | handshake | protocol, key exchange | resumed | connect ms p50 / p90 | qsen CPU ms per connection | server CPU ms per connection |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
} finally {
  for (const child of children) child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
}
