// Outside the trading window, for real: the launcher with a window that is closed now keeps qsen
// down; the banner and READY line say when it opens on the zone's clock (UTC alongside); qsen's
// port refuses connections (docs/integrator.md, "Outside the trading window"); `qsenctl status`
// says "stopped (outside the trading window)" and `qsenctl halt` answers QSEN_OUTSIDE_WINDOW with
// the opening time, asked of a kan.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describeWindow, localDateTimeOf, WEEKDAYS, weekdayOf, type ScheduleConfig } from '@qsen/core';
import { httpsCall, makeTempDir, requireTool, waitFor } from '@qsen/testkit';
import { allocatePorts, buildSystemEnv, initStateFolderLikeNpm, LAUNCHER_MAIN, REPOSITORY, type SystemPorts } from '../support/system.js';
import { openTerminal } from '../support/terminal.js';

const CTL = join(REPOSITORY, 'packages/ctl/dist/src/main.js');
const TZ = 'America/Argentina/Buenos_Aires';

function runCtl(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CTL, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const deadline = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(deadline); resolve({ code, stdout, stderr }); });
  });
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('outside the trading window', () => {
  const dir = makeTempDir('qsen-outside-window-');
  const home = join(dir.path, 'home');
  let ports: SystemPorts;
  let launcher: ChildProcess | undefined;
  let output = '';
  let schedule: ScheduleConfig;
  let expectedOpening = '';

  before(async () => {
    ports = await allocatePorts();
    await initStateFolderLikeNpm(home, ports);
    // Trade only two weekdays after today (Buenos Aires): closed now, all day (day_off), and still
    // day_off with the same opening if midnight in Buenos Aires (03:00 UTC) passes while the
    // launcher starts (with tomorrow's weekday the banner would then say before_start).
    const today = localDateTimeOf(TZ, Date.now());
    const tradingDay = WEEKDAYS[(WEEKDAYS.indexOf(weekdayOf(today)) + 2) % 7] ?? 'mon';
    const file = join(home, 'conf.toml');
    const text = readFileSync(file, 'utf8')
      .replace(/^timezone = .*$/m, `timezone = "${TZ}"`)
      .replace(/^start = .*$/m, 'start = "10:30"')
      .replace(/^stop = .*$/m, 'stop = "17:30"')
      .replace(/^days = .*$/m, `days = ["${tradingDay}"]`);
    writeFileSync(file, text);
    schedule = { timezone: TZ, start: '10:30', stop: '17:30', days: [tradingDay], holidays: [], kan_restart: '00:05', kan_restart_stagger_minutes: 2 };
    const now = describeWindow(schedule, Date.now());
    assert.equal(now.open, false);
    expectedOpening = now.nextChangeLocal ?? '';
    launcher = spawn(process.execPath, [LAUNCHER_MAIN, 'start'], { cwd: REPOSITORY, env: buildSystemEnv(home, ports), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    launcher.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    launcher.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    await waitFor(() => /launcher: READY/.test(output), { timeoutMs: 90_000, what: 'the READY line' }).catch((err: unknown) => {
      throw new Error(`${String(err)}; launcher output:\n${output}`);
    });
  });

  after(async () => {
    if (launcher?.pid !== undefined && launcher.exitCode === null && launcher.signalCode === null) {
      const exited = new Promise<void>((resolve) => launcher?.once('exit', () => resolve()));
      launcher.kill('SIGTERM');
      const deadline = setTimeout(() => { try { process.kill(-(launcher?.pid ?? 0), 'SIGKILL'); } catch { /* gone */ } }, 30_000);
      await exited;
      clearTimeout(deadline);
    }
    dir.remove();
  });

  it('the banner and the READY line say qsen is down and when it opens, on the zone clock with UTC alongside', () => {
    assert.ok(expectedOpening.length > 0);
    assert.ok(output.includes(`DOWN: outside the trading window (day_off); the kans start it at ${expectedOpening}`), output);
    assert.ok(output.includes(`trading window closed (day_off), opens at ${expectedOpening}`), output);
    assert.match(output, /^launcher: READY: .*qsen down \(outside the trading window; the kans start it at .*\(\d\d:\d\dZ\)\)/m);
  });

  it("qsen's port refuses connections while the kans answer", async () => {
    assert.equal(await connectionRefused(ports.qsen), true);
    const ca = readFileSync(join(home, 'pki/ca.crt'));
    const answer = await httpsCall(`https://127.0.0.1:${ports.kans[0]}/kan/v1/ping`, { ca, timeoutMs: 5000 });
    assert.equal(answer.status, 200);
  });

  it('qsenctl status says stopped outside the window and when it opens', async () => {
    const env = { PATH: process.env['PATH'], QSEN_HOME: home, HOME: dir.path };
    const out = await runCtl(['status'], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^qsen +\d+ +stopped \(outside the trading window\)/m);
    assert.ok(out.stdout.includes(`trading window: opens at ${expectedOpening}`), out.stdout);
    const json = JSON.parse((await runCtl(['status', '--json'], env)).stdout) as { window: { timezone: string; nextChangeLocal: string; continuous: boolean } };
    assert.equal(json.window.timezone, TZ);
    assert.equal(json.window.nextChangeLocal, expectedOpening);
    assert.equal(json.window.continuous, false);
  });

  it('in a terminal, Ctrl-C ends `qsenctl logs tail -f` with exit 0 (the bin, no npx)', async (t) => {
    const tmux = requireTool('tmux');
    if (typeof tmux !== 'string') return t.skip(tmux.skip);
    const env = { PATH: `${join(REPOSITORY, 'node_modules/.bin')}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, QSEN_HOME: home, HOME: dir.path, TERM: 'xterm', PS1: '$ ' };
    const list = JSON.parse((await runCtl(['logs', 'ls', '--json'], env)).stdout) as { logs: Array<{ name: string }> };
    const file = list.logs.map((l) => l.name).find((n) => /^kan0-.*\.log$/.test(n));
    assert.ok(file, JSON.stringify(list));
    const term = await openTerminal(tmux, { shell: ['bash', '--norc', '--noprofile'], env, cwd: REPOSITORY });
    try {
      await term.type(`qsenctl logs tail ${file} --lines 1 -f --interval 200; echo EXIT=$?`, { enter: true });
      // The last line of kan 0's log (JSON lines), then following.
      await term.waitFor(/^\{.*"level"/m);
      await term.keys('C-c');
      // The terminal echoes the ^C right before the shell's next output.
      const screen = await term.waitFor(/EXIT=\d+$/m);
      assert.match(screen, /(\^C)?EXIT=0$/m);
    } finally {
      await term.close();
    }
  });

  it('a qsen command says outside the trading window, opens at <local> (<UTC>), with its own code', async () => {
    const env = { PATH: process.env['PATH'], QSEN_HOME: home, HOME: dir.path };
    const out = await runCtl(['halt', '--reason', 'test', '--json'], env);
    assert.equal(out.code, 3, out.stderr);
    assert.ok(out.stderr.includes(`qsen is stopped: outside the trading window (day_off), opens at ${expectedOpening}`), out.stderr);
    assert.equal((JSON.parse(out.stdout) as { error: { code: string } }).error.code, 'QSEN_OUTSIDE_WINDOW');
  });
});
