// qsenctl start-up: wall time of whole processes, `node -e 0` (the floor), `qsenctl --help`,
// `qsenctl help status` and `qsenctl status` against a state folder whose nodes are not running
// (every connection refused at once, so the figure is start-up, profile, identity and the
// refusal's explanation, without any server time). Runs each command RUNS times after one
// warm-up, in turn (A B C A B C ...), and prints min / median / max in ms with the load average.
//   npm run build && node bench/ctl/startup.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 20;
const ctl = join(repo, 'packages/ctl/bin/qsenctl.js');
const home = mkdtempSync(join(tmpdir(), 'qsen-bench-ctl-'));
try {
  const init = spawnSync(process.execPath, [join(repo, 'packages/launcher/dist/src/main.js'), 'init', '--home', home], {
    env: { ...process.env, QSEN_QSEN_PORT: '1', QSEN_KAN_PORTS: '2,3,4' }, encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`init failed: ${init.stderr}`);
  const commands = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['qsenctl --help', [process.execPath, ctl, '--help']],
    ['qsenctl help status', [process.execPath, ctl, 'help', 'status']],
    ['qsenctl status (nodes down)', [process.execPath, ctl, 'status']],
  ];
  const env = { PATH: process.env.PATH, QSEN_HOME: home, HOME: home };
  const times = new Map(commands.map(([name]) => [name, []]));
  const loadBefore = loadavg();
  for (let i = -1; i < runs; i++) {
    for (const [name, [cmd, ...args]] of commands) {
      const started = process.hrtime.bigint();
      const child = spawnSync(cmd, args, { env, stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (child.error) throw child.error;
      if (i >= 0) times.get(name).push(ms);
    }
  }
  const loadAfter = loadavg();
  console.log(`# ${new Date().toISOString()} ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${runs} runs each`);
  console.log(`# load average (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| command | min ms | median ms | max ms |');
  console.log('|---|---|---|---|');
  for (const [name, list] of times) {
    const sorted = [...list].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    console.log(`| ${name} | ${(sorted[0] ?? 0).toFixed(0)} | ${median.toFixed(0)} | ${(sorted.at(-1) ?? 0).toFixed(0)} |`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
