// A kan's process start: from spawning `node <KAN_NODE_FLAGS> packages/kan/dist/src/main.js
// --index 0` to its port accepting a TCP connection, RUNS times, killed (SIGKILL) and reaped
// before the next, with the CPU time (all threads) it used up to then. With --compare DIR (another checkout of the repository, built), the two
// checkouts' kans start in turn, A B A B ..., on the same state folder, and the per-pair ratio
// A/B is printed too, so that the comparison holds while the shared machine's load drifts.
// Prints min / median / max in ms and the load average. Run it inside its own network
// namespace when other work may use the ports:
//   npm run build && unshare -n sh -c 'ip link set lo up && node bench/kan/start.mjs --runs 15 [--compare /path/to/other/checkout]'
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, compare: { type: 'string' } } });
const runs = Number(values.runs);
const checkouts = [repo, ...(values.compare ? [values.compare] : [])];
const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
const ports = [];
while (ports.length < 6) { const p = await freePort(); if (!ports.includes(p)) ports.push(p); }
const home = join(mkdtempSync(join(tmpdir(), 'qsen-bench-kan-start-')), 'home');
const env = {
  ...process.env, QSEN_HOME: home, QSEN_QSEN_PORT: String(ports[0]), QSEN_KAN_PORTS: ports.slice(1, 4).join(','),
  QSEN_SENEBI_PORT: String(ports[4]), QSEN_NODE_EXPORTER_PORT: String(ports[5]),
};
const init = spawnSync(process.execPath, [join(repo, 'packages/launcher/dist/src/main.js'), 'init'], { env, encoding: 'utf8' });
if (init.status !== 0) throw new Error(init.stderr);
const kanPort = ports[1];

/** The flags each checkout's kans run with (its KAN_NODE_FLAGS). */
async function flagsOf(checkout) {
  const { KAN_NODE_FLAGS } = await import(join(checkout, 'packages/kan/dist/src/node-flags.js'));
  return KAN_NODE_FLAGS;
}
const accepts = () => new Promise((resolve) => {
  const socket = connect({ port: kanPort, host: '127.0.0.1' });
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

async function startOnce(checkout, flags) {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...flags, join(checkout, 'packages/kan/dist/src/main.js'), '--config', join(home, 'conf.toml'), '--index', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { stderr += c; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kan exited ${child.exitCode} before listening: ${stderr}`);
    if (await accepts()) break;
    if (Date.now() > deadline) throw new Error('kan not listening within 60 s');
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // CPU (user + system, all threads) the kan used up to listening, from /proc/PID/stat (ticks of 10 ms).
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return { ms, cpuMs };
}

const flags = await Promise.all(checkouts.map(flagsOf));
const times = checkouts.map(() => []);
const cpu = checkouts.map(() => []);
const loadBefore = loadavg();
try {
  for (let i = 0; i < runs + 1; i++) {
    for (let c = 0; c < checkouts.length; c++) {
      const { ms, cpuMs } = await startOnce(checkouts[c], flags[c]);
      if (i > 0) { times[c].push(ms); cpu[c].push(cpuMs); } // the first round warms the page cache
    }
  }
} finally {
  rmSync(join(home, '..'), { recursive: true, force: true });
}
const stats = (list) => { const s = [...list].sort((a, b) => a - b); return `min ${s[0].toFixed(0)} | median ${s[Math.floor(s.length / 2)].toFixed(0)} | max ${s.at(-1).toFixed(0)}`; };
console.log(`# ${new Date().toISOString()} ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${runs} starts each`);
console.log(`# load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
checkouts.forEach((c, i) => console.log(`| ${c} (${flags[i].join(' ')}) | spawn to listening ms: ${stats(times[i])} | CPU ms to listening: ${stats(cpu[i])} |`));
if (checkouts.length === 2) { const r = times[0].map((a, i) => a / times[1][i]).sort((a, b) => a - b); console.log(`| ratio A/B per pair | min ${r[0].toFixed(2)} | median ${r[Math.floor(r.length / 2)].toFixed(2)} | max ${r.at(-1).toFixed(2)} |`); }

