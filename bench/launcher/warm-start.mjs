// Warm start of `npm start`: the build up to date and the state folder made, from starting
// packages/launcher/bin/start.js (what `npm start` runs, without npm's own start-up) to its
// `launcher: READY` line, RUNS times on free ports; each run is stopped with SIGTERM and waited
// for before the next. Prints min / median / max in ms and the load average.
//   npm run build && node bench/launcher/warm-start.mjs [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const ports = [];
while (ports.length < 6) { const p = await freePort(); if (!ports.includes(p)) ports.push(p); }
const home = join(mkdtempSync(join(tmpdir(), 'qsen-bench-start-')), 'home');
const env = {
  ...process.env, QSEN_HOME: home, QSEN_QSEN_PORT: String(ports[0]), QSEN_KAN_PORTS: ports.slice(1, 4).join(','),
  QSEN_SENEBI_PORT: String(ports[4]), QSEN_NODE_EXPORTER_PORT: String(ports[5]),
};
const init = spawnSync(process.execPath, [join(repo, 'packages/launcher/dist/src/main.js'), 'init'], { env, encoding: 'utf8' });
if (init.status !== 0) throw new Error(init.stderr);
const times = [];
const loadBefore = loadavg();
try {
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(repo, 'packages/launcher/bin/start.js')], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const ready = await new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no READY within 120 s:\n${out}`)), 120_000);
      child.stdout.on('data', (c) => {
        out += c;
        if (out.includes('launcher: READY')) { clearTimeout(deadline); resolve(Number(process.hrtime.bigint() - started) / 1e6); }
      });
      child.stderr.on('data', (c) => { out += c; });
      child.once('exit', (code) => { clearTimeout(deadline); reject(new Error(`exited ${code} before READY:\n${out}`)); });
    });
    times.push(ready);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
} finally {
  rmSync(join(home, '..'), { recursive: true, force: true });
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`# ${new Date().toISOString()} ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${runs} warm starts`);
console.log(`# load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`| warm start to READY | min ${sorted[0]?.toFixed(0)} ms | median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms | max ${sorted.at(-1)?.toFixed(0)} ms |`);
