#!/usr/bin/env node
// Idle log volume per node: starts the whole local system as `npm start` does (launcher, SENEBI
// simulator, qsen, three kans) in a fresh state folder, lets it settle, then measures how many
// bytes each process writes to its log folder while nobody calls it, and scales that to a day.
// Usage: npm run build && node bench/logs/idle-volume.mjs [--settle-seconds N] [--seconds N]
// Run it inside its own network namespace when the standard ports may be taken:
//   unshare -n sh -c 'ip link set lo up && node bench/logs/idle-volume.mjs --seconds 300'
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg, cpus } from 'node:os';
import { startSystem } from '../../test/dist/support/index.js';

const { values } = parseArgs({ options: { 'settle-seconds': { type: 'string' }, seconds: { type: 'string' } } });
const settleMs = Number(values['settle-seconds'] ?? 60) * 1000;
const windowMs = Number(values.seconds ?? 300) * 1000;

/** Bytes per log-file prefix (qsen, kan0, ..., audit-qsen, ...) in the folder. */
function sizes(dir) {
  const out = {};
  for (const name of readdirSync(dir)) {
    const m = /^(audit-[a-z0-9-]+?|[a-z]+[0-9]?)-\d{4}-\d{2}-\d{2}/.exec(name);
    if (!m) continue;
    out[m[1]] = (out[m[1]] ?? 0) + statSync(join(dir, name)).size;
  }
  return out;
}

const system = await startSystem({ prefix: 'qsen-idle-logs-', readyTimeoutMs: 120_000 });
try {
  await system.waitAllAnswering(120_000);
  await new Promise((r) => setTimeout(r, settleMs));
  const dir = join(system.home, 'logs');
  const before = sizes(dir);
  const load0 = loadavg();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const elapsed = (Date.now() - t0) / 1000;
  const after = sizes(dir);
  const rows = Object.keys(after).sort().map((name) => {
    const bytes = after[name] - (before[name] ?? 0);
    return { file: name, bytes, perDayBytes: Math.round((bytes / elapsed) * 86_400) };
  });
  console.log(JSON.stringify({
    date: new Date().toISOString(), machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`, node: process.version,
    settleSeconds: settleMs / 1000, windowSeconds: Math.round(elapsed), loadAverageAtStart: load0, loadAverageAtEnd: loadavg(), rows,
  }, null, 2));
} finally {
  await system.stop();
}
