// System test of issue 13's supervision bullets with the real launcher, qsen, simulator and three
// kans (local mode): restart storms coalesce into one restart, restart_kan keeps two kans up,
// floods of handshakes and idle sockets get nobody restarted, and a SIGSTOP inside the start-up
// grace is replaced without waiting for the grace. Restarts are counted by the owner (`starts`).
// Takes about 90 s on an idle 2-core machine.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { waitFor, type HttpsAnswer } from '@qsen/testkit';
import { editConfig, errorCodeOf, startSystem, type LocalSystem, type NodeName } from '../support/index.js';

/** Long enough that "replaced before the grace ended" tells a stopped process from a slow starter. */
const STARTUP_GRACE_MS = 10_000;
const KANS: readonly NodeName[] = ['kan0', 'kan1', 'kan2'];

describe('restart storms, the kan quorum, floods and SIGSTOP in the grace (real launcher, qsen and three kans)', () => {
  let system: LocalSystem;

  before(async () => {
    system = await startSystem({ prefix: 'qsen-system-storm-', prepare: (home) => editConfig(home, { startup_grace_ms: String(STARTUP_GRACE_MS) }) });
  });

  after(async () => {
    await system?.stop();
  });

  const starts = async (name: NodeName): Promise<number> => (await system.status(name)).starts;

  /** Every node answers, every kan sees qsen and its peers healthy, and qsen is past its grace. */
  async function settled(): Promise<void> {
    await system.waitAllAnswering(60_000);
    await waitFor(async () => {
      for (const kan of KANS) {
        const a = await system.call(kan, '/kan/v1/status', { identity: 'operator', timeoutMs: 10_000 });
        if (a.status !== 200) return false;
        const targets = (JSON.parse(a.body) as { targets: Array<{ verdict: string }> }).targets;
        if (!targets.every((t) => t.verdict === 'healthy')) return false;
      }
      const q = await system.status('qsen');
      return q.startedAt !== null && Date.now() - Date.parse(q.startedAt) > STARTUP_GRACE_MS + 500;
    }, { timeoutMs: 90_000, intervalMs: 250, what: `every kan to see everyone healthy, qsen past its grace\n${system.output().slice(-3000)}` });
  }

  it('150 concurrent restart_qsen calls across the three kans (GET and POST) give exactly one restart', async () => {
    await settled();
    const before = await system.status('qsen');
    const calls: Array<Promise<HttpsAnswer>> = [];
    for (let i = 0; i < 150; i++) {
      const kan = KANS[i % 3] ?? 'kan0';
      const call = (): Promise<HttpsAnswer> => system.call(kan, '/kan/v1/restart_qsen', { identity: i % 2 === 0 ? 'operator' : 'platform', method: i % 4 < 2 ? 'POST' : 'GET', timeoutMs: 60_000 });
      // A connection the loaded machine dropped is asked again, as a client would: one more request to coalesce.
      calls.push(call().catch(() => call()));
    }
    const answers = await Promise.all(calls);
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [202], answers.filter((a) => a.status !== 202).map((a) => a.body).join('\n'));
    await waitFor(async () => (await system.status('qsen')).invocation > before.invocation && system.pingOnce('qsen'), { timeoutMs: 60_000, what: 'qsen restarted and answering' });
    await settled();
    const after = await system.status('qsen');
    const observed = answers.map((a) => (JSON.parse(a.body) as { invocation: string }).invocation);
    assert.equal(after.starts, before.starts + 1, `exactly one restart; invocations the kans observed: ${JSON.stringify(Object.fromEntries(new Set(observed).entries()))} ${observed.join(',')}`);
    const coalesced = answers.filter((a) => (JSON.parse(a.body) as { coalesced: boolean }).coalesced).length;
    console.log(`# 150 restart_qsen calls: 1 restart, ${coalesced} answered coalesced at once, the rest coalesced by the owner or the lock`);
  });

  it('restart_kan on all three kans at once: at every sampled instant at least two kans answer, each kan restarted once', async () => {
    await settled();
    const before = await Promise.all(KANS.map(starts));
    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        const up = await Promise.all(KANS.map((k) => system.pingOnce(k, 3_000)));
        samples.push(up.filter(Boolean).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const answers = await Promise.all(KANS.map((kan) => system.call(kan, '/kan/v1/restart_kan', { identity: 'operator', method: 'POST', timeoutMs: 30_000 })));
      const accepted = answers.map((a) => a.status === 202);
      console.log(`# restart_kan x3 at once: ${accepted.filter(Boolean).length} accepted, ${accepted.filter((x) => !x).length} refused KAN_QUORUM`);
      for (const a of answers) assert.ok(a.status === 202 || errorCodeOf(a) === 'KAN_QUORUM', `202 or 409 KAN_QUORUM: ${a.status} ${a.body}`);
      await waitFor(async () => {
        const now = await Promise.all(KANS.map(starts));
        return now.every((n, i) => n === (before[i] ?? 0) + (accepted[i] ? 1 : 0));
      }, { timeoutMs: 120_000, intervalMs: 200, what: `each accepted kan restarted once (launcher output:\n${system.output().slice(-3000)})` });
      await system.waitAllAnswering(60_000);
      // Nothing more comes after: the queue is empty.
      const settleUntil = Date.now() + 3_000;
      await waitFor(() => Date.now() > settleUntil, { what: 'a quiet period' });
      assert.deepEqual(await Promise.all(KANS.map(starts)), before.map((n, i) => n + (accepted[i] ? 1 : 0)));
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(samples.length > 20, `${samples.length} samples`);
    assert.ok(Math.min(...samples) >= 2, `kans answering at each sample: ${samples.join(',')}`);
  });

  it('1,000 handshakes without a certificate and 1,500 idle sockets get neither qsen nor a kan restarted', async () => {
    await settled();
    const before = await Promise.all((['qsen', ...KANS] as NodeName[]).map(starts));
    const sockets: Socket[] = [];
    const hold = (port: number, localAddress: string): void => {
      const s = netConnect({ port, host: '127.0.0.1', localAddress });
      s.on('error', () => undefined);
      sockets.push(s);
    };
    const handshakes = (port: number, localAddress: string, n: number): Promise<void> => new Promise((resolve) => {
      let left = n;
      for (let i = 0; i < n; i++) {
        const raw = netConnect({ port, host: '127.0.0.1', localAddress });
        raw.on('error', () => undefined);
        const s = tlsConnect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
        let done = false;
        const end = (): void => {
          if (done) return;
          done = true;
          s.destroy();
          if (--left === 0) resolve();
        };
        s.once('secureConnect', end);
        s.once('error', end);
        s.once('close', end);
        s.setTimeout(20_000, end);
      }
    });
    try {
      // Idle sockets that never start TLS: from the kans' own source address (127.0.0.1) and from another.
      for (let i = 0; i < 750; i++) hold(system.portOf('qsen'), '127.0.0.2');
      for (let i = 0; i < 500; i++) hold(system.portOf('qsen'), '127.0.0.1');
      for (let i = 0; i < 250; i++) hold(system.portOf('kan0'), '127.0.0.3');
      // Waves of handshakes, for about three failure_threshold x timeout_ms windows.
      const floodUntil = Date.now() + 8_000;
      let waves = 0;
      while (Date.now() < floodUntil) {
        await Promise.all([handshakes(system.portOf('qsen'), '127.0.0.4', 700), handshakes(system.portOf('qsen'), '127.0.0.1', 300)]);
        waves += 1;
      }
      console.log(`# flood: ${waves} waves of 1,000 handshakes, 1,500 idle sockets`);
    } finally {
      for (const s of sockets) s.destroy();
    }
    // The kans had every chance to act: several rounds after the flood.
    const quietUntil = Date.now() + 5_000;
    await waitFor(() => Date.now() > quietUntil, { what: 'rounds after the flood' });
    await system.waitAllAnswering(30_000);
    assert.deepEqual(await Promise.all((['qsen', ...KANS] as NodeName[]).map(starts)), before, `nobody restarted (launcher output:\n${system.output().slice(-3000)})`);
  });

  it('SIGSTOP of qsen inside its start-up grace: replaced before the grace ends, once', async () => {
    await settled();
    const before = await system.status('qsen');
    // Restart qsen, then stop it at once: a process inside its grace.
    const restarted = await system.control().restart('qsen');
    await waitFor(() => system.pingOnce('qsen'), { timeoutMs: 30_000, what: 'the new qsen answering' });
    const startedAt = Date.parse(restarted.startedAt ?? '');
    process.kill(restarted.pid ?? 0, 'SIGSTOP');
    try {
      const replaced = await waitFor(async () => {
        const s = await system.status('qsen');
        return s.invocation > restarted.invocation ? s : null;
      }, { timeoutMs: 60_000, intervalMs: 50, what: 'the stopped qsen replaced' });
      const after = Date.parse(replaced.startedAt ?? '') - startedAt;
      assert.ok(after < STARTUP_GRACE_MS, `replaced ${after} ms after its start, inside the ${STARTUP_GRACE_MS} ms grace`);
    } finally {
      try { process.kill(restarted.pid ?? 0, 'SIGCONT'); } catch { /* gone */ }
    }
    await waitFor(() => system.pingOnce('qsen'), { timeoutMs: 30_000, what: 'qsen back' });
    assert.equal((await system.status('qsen')).starts, before.starts + 2, 'the operator\'s restart and one replacement');
  });
});
