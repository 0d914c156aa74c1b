#!/usr/bin/env node
// qsen's resident memory at idle (issue 17): starts one qsen (no SENEBI needed: it only listens)
// over a journal pre-filled with N accepted orders (order, sent, accepted records, as the live
// path writes them), waits for its ping, lets it settle, and reads VmRSS. The journal replay
// builds the order book at start, so N shows what the book costs a restarted qsen.
// Usage: npm run build && node bench/qsen/idle-rss.mjs [--orders N] [--settle-ms MS] [--qsen-flags "FLAGS"]
//   (default flags: the launcher's QSEN_NODE_FLAGS, the same as systemd/qsen.service)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QSEN_NODE_FLAGS } from '@qsen/launcher';
import { initClusterPki } from '@qsen/pki';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall, waitFor } from '@qsen/testkit';
import { encodeRecord } from '../../packages/qsen/dist/src/journal/records.js';

const REPOSITORY = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({ options: { orders: { type: 'string', default: '0' }, 'settle-ms': { type: 'string', default: '10000' }, 'qsen-flags': { type: 'string' } } });
const ORDERS = Number(values.orders);
const SETTLE_MS = Number(values['settle-ms']);
const FLAGS = values['qsen-flags'] === undefined ? [...QSEN_NODE_FLAGS] : values['qsen-flags'].split(' ').filter(Boolean);

const home = join(REPOSITORY, 'bench/out/qsen-idle');
rmSync(home, { recursive: true, force: true });
mkdirSync(join(home, 'data'), { recursive: true });
initClusterPki(home);
const port = await findFreePort();
writeFileSync(join(home, 'conf.toml'), renderConfigToml({ mode: 'local', listen: '127.0.0.1', qsenPort: port, senebiUrl: `https://127.0.0.1:${await findFreePort()}` }));

const lines = [];
let t = Date.now() - ORDERS * 10;
const at = () => new Date((t += 3)).toISOString();
for (let i = 0n; i < BigInt(ORDERS); i++) {
  const id = (9999100000000000000n + i).toString();
  const order = { id, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.4', currency: 'USD', settlement: 'T1', counterparty: '210' };
  lines.push(encodeRecord({ type: 'order', id, order, at: at() }), encodeRecord({ type: 'state', id, state: 'sent', at: at() }));
  const time = at();
  const senebi = { id, instrument: 'AL30', side: 'buy', quantity: '1000', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '210', status: 'accepted', time, tradeDate: time.slice(0, 10), origin: 'agent' };
  lines.push(encodeRecord({ type: 'state', id, state: 'accepted', senebi, at: at() }));
}
writeFileSync(join(home, 'data/journal.log'), Buffer.concat(lines));

const started = Date.now();
const qsen = spawn(process.execPath, [...FLAGS, join(REPOSITORY, 'packages/qsen/dist/src/main.js'), '--config', join(home, 'conf.toml')], { stdio: ['ignore', 'ignore', 'inherit'] });
try {
  const ca = readFileSync(join(home, 'pki/ca.crt'), 'utf8');
  await waitFor(async () => (await httpsCall(`https://127.0.0.1:${port}/qsen/v1/ping`, { ca, timeoutMs: 1000 }).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 120_000, what: 'qsen ping' });
  const readyMs = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const status = readFileSync(`/proc/${qsen.pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  // MB of 10^6 bytes, the unit of issue 17's targets and of bench/qsen/run.mjs; /proc counts KiB.
  // Before 2026-12-02 these figures were KiB / 1024 (MiB) under the same labels: multiply those by 1.048576.
  const mb = (field) => ((kb(field) * 1024) / 1e6).toFixed(1);
  console.log(`orders=${ORDERS} flags="${FLAGS.join(' ')}" ready_ms=${readyMs} rss_mb=${mb('VmRSS')} rss_anon_mb=${mb('RssAnon')} rss_file_mb=${mb('RssFile')} hwm_mb=${mb('VmHWM')}`);
} finally {
  qsen.kill('SIGTERM');
  await new Promise((resolve) => qsen.once('exit', resolve));
}
