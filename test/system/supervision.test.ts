// System test of the supervision (docs/api.md §6): the real launcher as the owner, the real
// qsen, simulator and three kans. Failures are made with real signals; restarts are counted by
// the owner (the control socket's `starts`), so "exactly one restart" is the owner's own count.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createControlClient, type ProcessStatus } from '@qsen/launcher';
import { httpsCall, makeTempDir, waitFor } from '@qsen/testkit';
import { allocatePorts, buildSystemEnv, LAUNCHER_MAIN, REPOSITORY, type SystemPorts } from '../support/system.js';

const WATCHDOG = {
  interval_ms: 300, timeout_ms: 250, failure_threshold: 3, startup_grace_ms: 6000, stop_grace_ms: 1500,
  backoff_initial_ms: 500, backoff_max_ms: 4000, stable_after_ms: 8000,
};

type Name = 'qsen' | 'kan0' | 'kan1' | 'kan2';

interface KanStatus {
  targets: Array<{ name: string; verdict: string; lastSeen: string | null; backoff: { streak: number; crashLoop: boolean } }>;
  restartHistory: Record<string, { streak: number; events: Array<{ at: string; action: string; reason: string; by: number; ok: boolean }> }>;
}

describe('supervision with the real launcher, qsen and three kans', () => {
  const dir = makeTempDir('qsen-system-supervision-');
  const home = join(dir.path, 'home');
  let launcher: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  const ports: SystemPorts = { qsen: 0, kans: [0, 0, 0], senebi: 0, nodeExporter: 0 };
  const seenPids = new Set<number>();
  const ca = (): Buffer => readFileSync(join(home, 'pki/ca.crt'));
  const operator = (): { cert: Buffer; key: Buffer } => ({ cert: readFileSync(join(home, 'pki/clients/operator.crt')), key: readFileSync(join(home, 'pki/clients/operator.key')) });
  const control = () => createControlClient(join(home, 'run/control.sock'), { timeoutMs: 30_000 });
  const portOf = (name: Name): number => (name === 'qsen' ? ports.qsen : ports.kans[Number(name.slice(3))] ?? 0);
  const pingPath = (name: Name): string => (name === 'qsen' ? '/qsen/v1/ping' : '/kan/v1/ping');

  before(async () => {
    Object.assign(ports, await allocatePorts());
    const env = buildSystemEnv(home, ports);
    await promisify(execFile)(process.execPath, [LAUNCHER_MAIN, 'init'], { cwd: REPOSITORY, env });
    // Faster watchdog settings, so that every failure is handled in seconds.
    const confFile = join(home, 'conf.toml');
    let conf = readFileSync(confFile, 'utf8');
    for (const [key, value] of Object.entries(WATCHDOG)) conf = conf.replace(new RegExp(`^${key} = \\d+$`, 'm'), `${key} = ${value}`);
    writeFileSync(confFile, conf);
    launcher = spawn(process.execPath, [LAUNCHER_MAIN, 'start'], { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'], env });
    launcher.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    launcher.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    exited = new Promise((resolve) => launcher.once('exit', (code) => resolve(code)));
  });

  after(async () => {
    for (const pid of seenPids) {
      try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
    }
    if (launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGTERM');
      await exited;
    }
    for (const pid of seenPids) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    dir.remove();
  });

  async function status(name: Name): Promise<ProcessStatus> {
    const s = await control().status(name);
    if (s.pid !== null) seenPids.add(s.pid);
    return s;
  }

  async function answers(name: Name): Promise<boolean> {
    try {
      return (await httpsCall(`https://127.0.0.1:${portOf(name)}${pingPath(name)}`, { ca: ca(), timeoutMs: 2_000 })).status === 200;
    } catch {
      return false;
    }
  }

  async function kanStatus(index: number): Promise<KanStatus> {
    const a = await httpsCall(`https://localhost:${ports.kans[index]}/kan/v1/status`, { ca: ca(), identity: operator(), timeoutMs: 10_000 });
    assert.equal(a.status, 200, a.body);
    return JSON.parse(a.body) as KanStatus;
  }

  /** Waits until every kan (other than `name` itself) has seen `name` healthy after `since` for a few rounds. */
  async function settled(name: Name, since = Date.now()): Promise<void> {
    const after = since + 4 * WATCHDOG.interval_ms;
    await waitFor(async () => {
      if (Date.now() < after) return false;
      for (const i of [0, 1, 2]) {
        if (`kan${i}` === name) continue;
        const t = (await kanStatus(i)).targets.find((x) => x.name === name);
        if (!t || t.verdict !== 'healthy' || t.lastSeen === null || Date.parse(t.lastSeen) < after) return false;
      }
      return true;
    }, { timeoutMs: 60_000, intervalMs: 100, what: `every kan to see ${name} healthy` });
  }

  async function pastStartupGrace(name: Name): Promise<ProcessStatus> {
    return waitFor(async () => {
      const s = await status(name);
      return s.state === 'running' && s.startedAt !== null && Date.now() - Date.parse(s.startedAt) > WATCHDOG.startup_grace_ms + 500 ? s : null;
    }, { timeoutMs: 30_000, what: `${name} past its startup grace` });
  }

  async function backAfter(name: Name, before: ProcessStatus): Promise<ProcessStatus> {
    const back = await waitFor(async () => {
      const s = await status(name);
      return s.state === 'running' && s.invocation > before.invocation && (await answers(name)) ? s : null;
    }, { timeoutMs: 60_000, intervalMs: 50, what: `${name} running and answering again (launcher output:\n${output.slice(-3000)})` });
    return back;
  }

  it('brings up qsen and three kans that see each other healthy', async () => {
    await waitFor(async () => {
      const list = await control().list();
      return ['qsen', 'kan0', 'kan1', 'kan2'].every((n) => list.some((p) => p.name === n && p.state === 'running'));
    }, { timeoutMs: 90_000, what: `every process running (launcher output:\n${output})` });
    for (const n of ['qsen', 'kan0', 'kan1', 'kan2'] as const) await waitFor(() => answers(n), { timeoutMs: 60_000, what: `${n} ping` });
    await settled('qsen');
    await settled('kan1');
  });

  it('kill -9 of qsen ends in exactly one restart', async () => {
    const before = await pastStartupGrace('qsen');
    process.kill(before.pid ?? 0, 'SIGKILL');
    const back = await backAfter('qsen', before);
    await settled('qsen');
    assert.equal((await status('qsen')).starts, before.starts + 1, output.slice(-2000));
    assert.equal(back.invocation, before.invocation + 1);
  });

  it('SIGSTOP of qsen (hung) ends in exactly one restart', async () => {
    const before = await pastStartupGrace('qsen');
    process.kill(before.pid ?? 0, 'SIGSTOP');
    await backAfter('qsen', before);
    await settled('qsen');
    const history = (await kanStatus(0)).restartHistory['qsen'];
    assert.equal((await status('qsen')).starts, before.starts + 1, `restart history: ${JSON.stringify(history?.events.slice(-4))}`);
    assert.equal(history?.events.at(-1)?.reason, 'hung');
  });

  it('kill -9 of a kan ends in exactly one restart (its owner\'s)', async () => {
    const before = await pastStartupGrace('kan1');
    process.kill(before.pid ?? 0, 'SIGKILL');
    await backAfter('kan1', before);
    await settled('kan1');
    assert.equal((await status('kan1')).starts, before.starts + 1);
  });

  it('SIGSTOP of a kan ends in exactly one restart (by a peer)', async () => {
    const before = await pastStartupGrace('kan2');
    process.kill(before.pid ?? 0, 'SIGSTOP');
    await backAfter('kan2', before);
    await settled('kan2');
    assert.equal((await status('kan2')).starts, before.starts + 1);
    const events = (await kanStatus(0)).restartHistory['kan2']?.events ?? [];
    assert.equal(events.at(-1)?.reason, 'hung');
  });

  it('two kans killed at once are both back, once each', async () => {
    const b0 = await pastStartupGrace('kan0');
    const b2 = await pastStartupGrace('kan2');
    process.kill(b0.pid ?? 0, 'SIGKILL');
    process.kill(b2.pid ?? 0, 'SIGKILL');
    await backAfter('kan0', b0);
    await backAfter('kan2', b2);
    await settled('kan0');
    await settled('kan2');
    const why = JSON.stringify((await kanStatus(1)).restartHistory) + output.slice(-2000);
    assert.equal((await status('kan0')).starts, b0.starts + 1, why);
    assert.equal((await status('kan2')).starts, b2.starts + 1, why);
  });

  it('a crash-looping qsen is restarted with growing back-off, shown in status, and recovers', async () => {
    const passFile = join(home, 'senebi/passphrase');
    const good = readFileSync(passFile);
    const before = await pastStartupGrace('qsen');
    writeFileSync(passFile, 'wrong passphrase\n');
    const killedAt = Date.now();
    try {
      process.kill(before.pid ?? 0, 'SIGKILL');
      // The kans' own record of the restarts, not this test's polling: on a loaded machine a
      // crashing qsen takes longer to die than the first back-off steps, so wall-clock gaps seen
      // from here need not grow. What must hold is that no restart came sooner than the back-off
      // of its streak allowed (500, 1000, 2000, 4000 ms with this file's [watchdog] settings):
      // a kan without back-off restarts a sub-second crash at once and fails this.
      const restarts = await waitFor(async () => {
        const events = (await kanStatus(1)).restartHistory['qsen']?.events ?? [];
        const mine = events.filter((e) => e.ok && e.action !== 'stop' && Date.parse(e.at) >= killedAt - 1_000);
        return mine.length >= 5 ? mine : null;
      }, { timeoutMs: 90_000, intervalMs: 200, what: 'five restarts of the crashing qsen' });
      const times = restarts.map((e) => Date.parse(e.at));
      const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
      gaps.forEach((gap, i) => {
        const floor = Math.min(4_000, 500 * 2 ** i);
        assert.ok(gap >= floor - 50, `restart ${i + 2} came ${gap} ms after the previous one, before its back-off of ${floor} ms (gaps: ${gaps.join(', ')})`);
      });
      const view = await waitFor(async () => {
        const s = await kanStatus(1);
        return s.targets.find((t) => t.name === 'qsen' && t.backoff.crashLoop) ? s : null;
      }, { timeoutMs: 10_000, what: 'the crash loop in status' });
      assert.ok((view.restartHistory['qsen']?.streak ?? 0) >= 3);
    } finally {
      writeFileSync(passFile, good);
    }
    await waitFor(() => answers('qsen'), { timeoutMs: 30_000, what: 'qsen back once its passphrase is right again' });
  });

  it('stops cleanly', async () => {
    launcher.kill('SIGTERM');
    assert.equal(await exited, 0, output.slice(-3000));
  });
});
