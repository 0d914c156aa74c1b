// cancelOrder against the real SENEBI simulator over mutual TLS, with qsen as a real child
// process (docs/qsen.md "Cancel"): a resting order cancelled, a matched one refused, a second
// cancel answered from the record, unknown and out-of-range ids answered identically, kill -9
// between the journaled intent and the answer, a slow cancel above timeout_ms, a cancel racing a
// match, an order whose own delivery is unknown, and cancels while halted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initClusterPki } from '@qsen/pki';
import { parseFaultSettings, startSimulator, type RunningSimulator } from '@qsen/simulator';
import type { Uint64 } from '@qsen/core';
import { writeQsenConf } from '../support/qsen-conf.js';
import { findFreePort, httpsCall, makeTempDir, waitFor, type HttpsAnswer } from '@qsen/testkit';

const REPOSITORY = new URL('../../../', import.meta.url).pathname;
const QSEN_MAIN = join(REPOSITORY, 'packages/qsen/dist/src/main.js');
const CTL_MAIN = join(REPOSITORY, 'packages/ctl/dist/src/main.js');


interface Answer { readonly status: number; readonly body: string; readonly json: Record<string, unknown> }

describe('cancelOrder against the simulator', () => {
  const dir = makeTempDir('qsen-system-cancel-');
  const home = dir.path;
  let sim: RunningSimulator;
  let port = 0;
  let child: ChildProcess | undefined;

  const spawnQsen = async (): Promise<ChildProcess> => {
    const started = spawn(process.execPath, [QSEN_MAIN, '--config', join(home, 'conf.toml')], { stdio: 'ignore' });
    child = started;
    await waitFor(async () => {
      const r = await httpsCall(`https://127.0.0.1:${port}/qsen/v1/ping`, { ca: readFileSync(join(home, 'pki/ca.crt')), timeoutMs: 1000 });
      return r.status === 200 && (JSON.parse(r.body) as { reconciling: boolean }).reconciling === false;
    }, { timeoutMs: 30_000, what: 'qsen up and reconciled' });
    return started;
  };
  const stopQsen = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    if (running.exitCode === null && running.signalCode === null) running.kill(signal);
    await exited;
    child = undefined;
  };
  const call = async (path: string, body: string, role: 'platform' | 'operator' = 'platform'): Promise<Answer> => {
    const answer: HttpsAnswer = await httpsCall(`https://127.0.0.1:${port}${path}`, {
      method: 'POST',
      ca: readFileSync(join(home, 'pki/ca.crt')),
      identity: { cert: readFileSync(join(home, `pki/clients/${role}.crt`)), key: readFileSync(join(home, `pki/clients/${role}.key`)) },
      body,
      timeoutMs: 30_000,
    });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(answer.body) as Record<string, unknown>;
    } catch {
      json = {};
    }
    return { status: answer.status, body: answer.body, json };
  };
  const send = (id: string, instrument = 'AL30'): Promise<Answer> => call('/qsen/v1/sendOrder', `{"id": "${id}", "instrument": "${instrument}", "side": "buy", "quantity": "1000", "price": "62.40", "currency": "USD", "settlement": "T1", "counterparty": "45"}`);
  const cancel = (id: string, asNumber = false): Promise<Answer> => call('/qsen/v1/cancelOrder', asNumber ? `{"id": ${id}}` : `{"id": "${id}"}`);
  const errorOf = (a: Answer): { code: string; details: Record<string, unknown> } => {
    const error = a.json['error'] as { code: string; details?: Record<string, unknown> };
    return { code: error.code, details: error.details ?? {} };
  };
  const orderOf = (a: Answer): Record<string, unknown> => a.json['order'] as Record<string, unknown>;
  const faults = (raw: Record<string, unknown>): void => {
    const parsed = parseFaultSettings(raw);
    assert.ok(parsed.ok);
    sim.simulator.faults.replace(parsed.value);
  };
  const held = (id: string): string | undefined => sim.simulator.store.getOrder(id as Uint64)?.status;
  const cancelsAtSenebi = (id: string): number => sim.simulator.counters.cancelsReceivedFor(id as Uint64);
  /** Retries the cancel like the platform until a final answer (200 or 409 ORDER_NOT_CANCELLABLE). */
  const cancelUntilFinal = async (id: string, answers: string[]): Promise<Answer> => {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const answer = await cancel(id);
      answers.push(answer.status === 200 ? '200' : `${answer.status} ${errorOf(answer).code}`);
      if (answer.status === 200 || (answer.status === 409 && errorOf(answer).code === 'ORDER_NOT_CANCELLABLE')) return answer;
      assert.ok([409, 502, 503, 504].includes(answer.status), answer.body);
    }
    throw new Error(`no final cancel answer: ${answers.join(', ')}`);
  };

  before(async () => {
    initClusterPki(home);
    port = await findFreePort();
    writeFileSync(join(home, 'senebi/simulator.toml'), '[matching]\nprobability = 0.0\n');
    writeQsenConf(home, port, 9443, 2000); // the simulator reads the id range from it; its own port is 0
    sim = await startSimulator({ home, port: 0 });
    writeQsenConf(home, port, sim.port, 2000);
    await spawnQsen();
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sim.close();
    dir.remove();
  });

  it('a resting order is cancelled: 200 with status cancelled, the listing shows it, SENEBI holds it cancelled', { timeout: 60_000 }, async () => {
    const id = '9999000000000021001';
    assert.equal(orderOf(await send(id))['status'], 'accepted');
    assert.equal(held(id), 'accepted', 'resting at SENEBI');
    const answer = await cancel(id, true);
    assert.equal(answer.status, 200, answer.body);
    const order = orderOf(answer);
    assert.equal(order['id'], id, 'ids are strings in qsen\'s answers');
    assert.equal(order['status'], 'cancelled');
    assert.match(String(order['cancelledAt']), /^\d{4}-\d{2}-\d{2}T/);
    assert.equal((order['senebi'] as Record<string, unknown>)['status'], 'cancelled');
    assert.equal(held(id), 'cancelled');
    const listed = await call('/qsen/v1/getBilateralOrders', '{}');
    const mine = (listed.json['orders'] as Record<string, unknown>[]).find((o) => o['id'] === id);
    assert.equal(mine?.['status'], 'cancelled');
    assert.equal(mine?.['cancelledAt'], order['cancelledAt']);
  });

  it('a second cancel answers the first result from qsen\'s record and is not sent again', { timeout: 60_000 }, async () => {
    const id = '9999000000000021002';
    await send(id);
    const first = await cancel(id);
    const second = await cancel(id);
    assert.equal(first.status, 200);
    assert.equal(second.body, first.body);
    assert.equal(cancelsAtSenebi(id), 1);
  });

  it('a matched order is refused: 409 ORDER_NOT_CANCELLABLE with details.status matched, again on a second cancel', { timeout: 60_000 }, async () => {
    const id = '9999000000000021003';
    await send(id);
    assert.equal(sim.simulator.store.matchResting(id as Uint64).kind, 'matched');
    const first = await cancel(id);
    assert.equal(first.status, 409, first.body);
    assert.deepEqual(errorOf(first), { code: 'ORDER_NOT_CANCELLABLE', details: { id, status: 'matched' } });
    const second = await cancel(id);
    assert.equal(second.body, first.body);
    assert.equal(cancelsAtSenebi(id), 1, 'the second answer came from the record');
  });

  it('a rejected order is refused without asking SENEBI', { timeout: 60_000 }, async () => {
    const id = '9999000000000021004';
    assert.equal(orderOf(await send(id, 'NOPE'))['status'], 'rejected');
    const answer = await cancel(id);
    assert.equal(answer.status, 409);
    assert.deepEqual(errorOf(answer), { code: 'ORDER_NOT_CANCELLABLE', details: { id, status: 'rejected' } });
    assert.equal(cancelsAtSenebi(id), 0);
  });

  it('an unknown in-range id and out-of-range ids (one SENEBI holds) get byte-identical 404 answers; nothing reaches SENEBI', { timeout: 60_000 }, async () => {
    const unknown = await cancel('9999000000000021099');
    const below = await cancel('9998999999999999999'); // seeded at SENEBI: the agent's own order outside the range
    const max = await cancel('18446744073709551615', true);
    assert.ok(sim.simulator.store.getOrder('9998999999999999999' as Uint64), 'SENEBI holds the out-of-range order');
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).code, 'ORDER_NOT_FOUND');
    assert.equal(below.status, 404);
    assert.equal(below.body, unknown.body);
    assert.equal(max.body, unknown.body);
    assert.equal(cancelsAtSenebi('9998999999999999999'), 0);
    assert.equal(cancelsAtSenebi('9999000000000021099'), 0);
    const malformed = await cancel('12x');
    assert.equal(malformed.status, 400);
    assert.equal((await call('/qsen/v1/cancelOrder', '{"id": "9999000000000021001", "extra": 1}')).status, 400);
    assert.equal((await call('/qsen/v1/cancelOrder', '{"id": "9999000000000021001"}', 'operator')).status, 403, 'platform role only');
  });

  it('a cancel that races a match answers 409 matched, as SENEBI holds it', { timeout: 60_000 }, async () => {
    const id = '9999000000000021005';
    await send(id);
    faults({ cancel_race: { probability: 1 } });
    try {
      const answer = await cancel(id);
      assert.equal(answer.status, 409, answer.body);
      assert.equal(errorOf(answer).details['status'], 'matched');
    } finally {
      faults({});
    }
    assert.equal(held(id), 'matched');
  });

  it('a slow cancel above timeout_ms: 504 delivery unknown, then the retry answers what SENEBI holds', { timeout: 60_000 }, async () => {
    const id = '9999000000000021006';
    await send(id);
    faults({ slow_cancel: { probability: 1, fixed_ms: 3000 } });
    let first: Answer;
    try {
      first = await cancel(id);
    } finally {
      faults({});
    }
    assert.equal(first.status, 504, first.body);
    assert.equal(errorOf(first).details['delivery'], 'unknown');
    const answers: string[] = [];
    const final = await cancelUntilFinal(id, answers);
    assert.equal(final.status, 200, `answers: ${answers.join(', ')}`);
    assert.equal(held(id), 'cancelled');
    assert.equal(sim.simulator.store.historyOf(id as Uint64).filter((e) => e.event === 'cancelled').length, 1);
  });

  it('a slow cancel overtaken by a match: the retry answers 409 matched, never cancelled', { timeout: 60_000 }, async () => {
    const id = '9999000000000021007';
    await send(id);
    faults({ slow_cancel: { probability: 1, fixed_ms: 3000 } });
    const pending = cancel(id);
    try {
      await waitFor(() => cancelsAtSenebi(id) === 1, { timeoutMs: 10_000, what: 'the cancel held at SENEBI' });
      assert.equal(sim.simulator.store.matchResting(id as Uint64).kind, 'matched', 'the counterparty enters its side while the cancel is held');
      assert.equal((await pending).status, 504);
    } finally {
      faults({});
    }
    const answers: string[] = [];
    const final = await cancelUntilFinal(id, answers);
    assert.equal(final.status, 409, `answers: ${answers.join(', ')}`);
    assert.equal(errorOf(final).details['status'], 'matched');
    assert.ok(!answers.includes('200'));
  });

  it('an order whose own delivery is unknown: the cancel is not forwarded (409 ORDER_DELIVERY_UNKNOWN) until SENEBI holds the order', { timeout: 60_000 }, async () => {
    const id = '9999000000000021008';
    faults({ latency: { probability: 1, fixed_ms: 6000, paths: ['POST /senebi/v1/orders'] } });
    let sent: Answer;
    try {
      sent = await send(id);
    } finally {
      faults({});
    }
    assert.equal(sent.status, 504, sent.body);
    const early = await cancel(id);
    assert.equal(held(id), undefined, 'SENEBI is still processing the order (6 s latency)');
    assert.equal(early.status, 409, early.body);
    assert.equal(errorOf(early).code, 'ORDER_DELIVERY_UNKNOWN');
    assert.equal(cancelsAtSenebi(id), 0, 'nothing forwarded');
    await waitFor(() => held(id) !== undefined, { timeoutMs: 15_000, what: 'the order at SENEBI' });
    const answer = await cancel(id);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(held(id), 'cancelled');
  });

  it('cancels work while the kill switch is on', { timeout: 60_000 }, async () => {
    const id = '9999000000000021009';
    await send(id);
    assert.equal((await call('/qsen/v1/halt', '{"reason": "test"}', 'operator')).status, 200);
    try {
      assert.equal((await send('9999000000000021010')).status, 423);
      const answer = await cancel(id);
      assert.equal(answer.status, 200, answer.body);
    } finally {
      assert.equal((await call('/qsen/v1/resume', '{}', 'operator')).status, 200);
    }
  });

  it('qsenctl order cancel ID cancels a resting order, and a second run reports the same result', { timeout: 60_000 }, async () => {
    const id = '9999000000000021013';
    await send(id);
    const ctl = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
      const run = spawn(process.execPath, [CTL_MAIN, '--as', 'platform', ...args], { env: { ...process.env, QSEN_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      run.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
      run.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
      run.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const first = await ctl(['order', 'cancel', id]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`order ${id}: cancelled at \\d{4}-`));
    assert.equal(held(id), 'cancelled');
    const again = await ctl(['--json', 'order', 'cancel', id]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { order: { status: string } }).order.status, 'cancelled');
    const matched = '9999000000000021014';
    await send(matched);
    sim.simulator.store.matchResting(matched as Uint64);
    const refused = await ctl(['order', 'cancel', matched]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ORDER_NOT_CANCELLABLE/);
    assert.equal(cancelsAtSenebi(id), 1);
  });

  it('kill -9 between the journaled cancel and its answer: after the restart the retry answers what SENEBI holds, cancelled once', { timeout: 120_000 }, async () => {
    const id = '9999000000000021011';
    writeQsenConf(home, port, sim.port, 10_000);
    await stopQsen('SIGTERM');
    await spawnQsen();
    await send(id);
    faults({ slow_cancel: { probability: 1, fixed_ms: 2000 } });
    const pending = cancel(id).then((a) => a.status, (err: unknown) => String((err as { code?: string }).code ?? err));
    try {
      await waitFor(() => cancelsAtSenebi(id) === 1, { timeoutMs: 10_000, what: 'the cancel at SENEBI' });
      const journal = readFileSync(join(home, 'data/journal.log'), 'utf8');
      assert.match(journal, new RegExp(`"type":"cancel","id":"${id}","cancel":"requested"`), 'the intent is on disk before the cancel is forwarded');
      await stopQsen('SIGKILL');
    } finally {
      faults({});
    }
    await pending;
    await waitFor(() => held(id) === 'cancelled', { timeoutMs: 10_000, what: 'the held cancel committed' });
    await spawnQsen();
    const answers: string[] = [];
    const final = await cancelUntilFinal(id, answers);
    assert.equal(final.status, 200, `answers: ${answers.join(', ')}`);
    assert.equal(orderOf(final)['status'], 'cancelled');
    assert.equal(cancelsAtSenebi(id), 1, 'the start-up read settled it: the retry was answered from the record');
  });

  it('kill -9 after a cancel whose answer was lost: the start-up read settles it', { timeout: 120_000 }, async () => {
    const id = '9999000000000021012';
    await send(id);
    faults({ accepted_no_answer: { probability: 1, paths: ['POST /senebi/v1/orders/'] } });
    let lost: Answer;
    try {
      lost = await cancel(id);
    } finally {
      faults({});
    }
    assert.equal(lost.status, 502, lost.body);
    assert.equal(errorOf(lost).details['delivery'], 'unknown');
    assert.equal(held(id), 'cancelled');
    // The adapter resends an idempotent cancel once at once after a connection reset: 1 or 2 copies.
    const copies = cancelsAtSenebi(id);
    assert.ok(copies === 1 || copies === 2, `${copies} copies`);
    await stopQsen('SIGKILL');
    await spawnQsen();
    const answer = await cancel(id);
    assert.equal(answer.status, 200, answer.body);
    assert.equal(orderOf(answer)['cancelledAt'], sim.simulator.store.getOrder(id as Uint64)?.status === 'cancelled' ? (sim.simulator.store.getOrder(id as Uint64) as { cancelledAt?: string }).cancelledAt : 'not cancelled');
    assert.equal(cancelsAtSenebi(id), copies, 'the start-up read settled it: nothing sent again');
  });
});
