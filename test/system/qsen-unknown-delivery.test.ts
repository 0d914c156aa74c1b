// Issue 11, point 1, against the real SENEBI simulator with qsen as a real child process: an
// order whose first copy is still being processed at SENEBI when the platform retries ends
// accepted, exactly as SENEBI holds it, never "rejected, duplicate order id".
// (a) SENEBI latency above timeout_ms, then the documented retry with the same id and content;
// (b) SENEBI latency 3 s, qsen kill -9 at 0.6 s, retry after the restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initClusterPki } from '@qsen/pki';
import { parseFaultSettings, startSimulator, type RunningSimulator } from '@qsen/simulator';
import type { Uint64 } from '@qsen/core';
import { writeQsenConf } from '../support/qsen-conf.js';
import { findFreePort, httpsCall, makeTempDir, waitFor, type HttpsAnswer } from '@qsen/testkit';

const REPOSITORY = new URL('../../../', import.meta.url).pathname;
const QSEN_MAIN = join(REPOSITORY, 'packages/qsen/dist/src/main.js');


describe('unknown deliveries against the simulator: the first copy still processing when the retry comes', () => {
  const dir = makeTempDir('qsen-system-unknown-');
  const home = dir.path;
  let sim: RunningSimulator;
  let port = 0;
  const children: ChildProcess[] = [];

  const spawnQsen = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [QSEN_MAIN, '--config', join(home, 'conf.toml')], { stdio: 'ignore' });
    children.push(child);
    await waitFor(async () => {
      const r = await httpsCall(`https://127.0.0.1:${port}/qsen/v1/ping`, { ca: readFileSync(join(home, 'pki/ca.crt')), timeoutMs: 1000 });
      return r.status === 200 && (JSON.parse(r.body) as { reconciling: boolean }).reconciling === false;
    }, { timeoutMs: 20_000, what: 'qsen up and reconciled' });
    return child;
  };
  const stopQsen = async (child: ChildProcess, signal: NodeJS.Signals): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  const send = (id: string): Promise<HttpsAnswer> => httpsCall(`https://127.0.0.1:${port}/qsen/v1/sendOrder`, {
    method: 'POST',
    ca: readFileSync(join(home, 'pki/ca.crt')),
    identity: { cert: readFileSync(join(home, 'pki/clients/platform.crt')), key: readFileSync(join(home, 'pki/clients/platform.key')) },
    body: `{"id": ${id}, "instrument": "AL30", "side": "buy", "quantity": 1000, "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "210"}`,
    timeoutMs: 30_000,
  });
  const statusOf = (answer: HttpsAnswer): string => (answer.status === 200 ? (JSON.parse(answer.body) as { order: { status: string } }).order.status : `HTTP ${answer.status}`);
  const latency = (ms: number): void => {
    const parsed = parseFaultSettings(ms === 0 ? {} : { latency: { probability: 1, fixed_ms: ms, paths: ['POST /senebi/v1/orders'] } });
    assert.ok(parsed.ok);
    sim.simulator.faults.replace(parsed.value);
  };
  /** Retries like the platform (same id and content) until a final answer; every answer is kept. */
  const retryUntilFinal = async (id: string, answers: string[]): Promise<void> => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const answer = await send(id);
      answers.push(statusOf(answer));
      if (answer.status === 200) return;
      assert.ok([502, 503, 504].includes(answer.status), answer.body);
    }
  };
  const heldBySenebi = (id: string): string | undefined => sim.simulator.store.getOrder(id as Uint64)?.status;

  before(async () => {
    initClusterPki(home);
    port = await findFreePort();
    writeQsenConf(home, port, 9443, 2000);
    sim = await startSimulator({ home, port: 0 });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sim.close();
    dir.remove();
  });

  it('(a) latency above timeout_ms: 504 delivery unknown, then the retry (GET 404 while SENEBI still processes, resend refused as a duplicate) answers accepted', { timeout: 120_000 }, async () => {
    writeQsenConf(home, port, sim.port, 2000);
    const child = await spawnQsen();
    try {
      const id = '9999000000000011001';
      latency(3000); // the first copy is stored 3 s after it arrives; qsen gives up at 2 s
      const first = await send(id);
      assert.equal(first.status, 504, first.body);
      assert.equal((JSON.parse(first.body) as { error: { details: { delivery: string } } }).error.details.delivery, 'unknown');
      latency(1500); // the resend arrives ~2 s, is processed after the first copy, and is answered within the timeout
      const answers: string[] = [];
      await retryUntilFinal(id, answers);
      assert.equal(answers[answers.length - 1], 'accepted', `answers: ${answers.join(', ')}`);
      assert.ok(!answers.includes('rejected'), `never rejected: ${answers.join(', ')}`);
      assert.equal(heldBySenebi(id), 'matched', 'accepted, then matched at acceptance (probability 1)');
      latency(0);
      assert.equal(statusOf(await send(id)), 'accepted', 'the stored answer is SENEBI\'s');
      assert.ok(sim.simulator.counters.ordersReceivedFor(id as Uint64) <= 2);
    } finally {
      latency(0);
      await stopQsen(child, 'SIGTERM');
    }
  });

  it('(b) SENEBI latency 3 s, qsen kill -9 at 0.6 s, retry after the restart: accepted, as SENEBI holds it', { timeout: 120_000 }, async () => {
    writeQsenConf(home, port, sim.port, 5000);
    const first = await spawnQsen();
    const id = '9999000000000011002';
    latency(3000);
    const sentAt = Date.now();
    const pending = send(id).then((a) => statusOf(a), (err: unknown) => String((err as { code?: string }).code ?? err));
    await waitFor(() => sim.simulator.counters.ordersReceivedFor(id as Uint64) === 1, { timeoutMs: 10_000, what: 'the first copy at SENEBI' });
    await waitFor(() => Date.now() - sentAt >= 600, { timeoutMs: 5000, intervalMs: 10, what: '0.6 s after the send' });
    await stopQsen(first, 'SIGKILL');
    assert.equal(heldBySenebi(id), undefined, 'killed while SENEBI was still processing the first copy');
    await pending;
    await spawnQsen();
    const answers: string[] = [];
    try {
      await retryUntilFinal(id, answers);
    } finally {
      latency(0);
    }
    assert.equal(answers[answers.length - 1], 'accepted', `answers: ${answers.join(', ')}`);
    assert.ok(!answers.includes('rejected'), `never rejected: ${answers.join(', ')}`);
    await waitFor(() => heldBySenebi(id) !== undefined, { timeoutMs: 10_000, what: 'SENEBI\'s record' });
    assert.equal(heldBySenebi(id), 'matched', 'accepted, then matched at acceptance (probability 1)');
    assert.equal(statusOf(await send(id)), 'accepted');
  });
});
