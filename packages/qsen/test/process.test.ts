import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, httpsCall, waitFor, type HttpsAnswer } from '@qsen/testkit';
import { verifyAuditTrail } from '@qsen/core';
import { orderJson } from './support/node.js';
import { runAdmin, spawnQsen, waitForPing, type QsenChild } from './support/child.js';
import { startSenebiDouble, type SenebiDouble } from './support/senebi-double.js';
import { makeTestState, type TestState } from './support/state.js';

describe('the real qsen process: crash recovery, kill switch across restarts, signals, wrong passphrase', () => {
  let state: TestState;
  let senebi: SenebiDouble;
  let port: number;
  const children: QsenChild[] = [];

  const start = async (): Promise<QsenChild> => {
    const child = spawnQsen(state.confFile);
    children.push(child);
    await waitForPing(port, state.ca);
    return child;
  };
  /** Every log file of the state folder whose name starts with `prefix`, concatenated. */
  const readLogs = (prefix: string): string => {
    const dir = join(state.home, 'logs');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => readFileSync(join(dir, f), 'utf8')).join('') : '';
  };
  const send = (id: string): Promise<HttpsAnswer> => httpsCall(`https://127.0.0.1:${port}/qsen/v1/sendOrder`, {
    method: 'POST', ca: state.ca, identity: { cert: state.clients.platform.certPem, key: state.clients.platform.keyPem }, body: orderJson(id), timeoutMs: 20_000,
  });

  before(async () => {
    state = makeTestState({ senebiPort: 0 });
    senebi = await startSenebiDouble({ ...state.senebiServer, clientCa: state.agentCa });
  });
  beforeEach(async () => {
    port = await findFreePort();
    state.writeConfig({ senebiPort: senebi.port, qsenPort: port, timeoutMs: 5000 });
    rmSync(join(state.home, 'data'), { recursive: true, force: true });
    senebi.fault = 'none';
    senebi.delayMs = 0;
    senebi.posts.clear();
    senebi.orders.clear();
  });
  after(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await senebi.close();
    state.remove();
  });

  test('kill -9 mid-burst with "accepted, then no answer": every acknowledged order is at SENEBI once, none lost, retries go through once', async () => {
    const first = await start();
    const ids = Array.from({ length: 120 }, (_, i) => `99990000000001${String(i).padStart(5, '0')}`);
    const acknowledged = new Set<string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        if (acknowledged.size >= 40) senebi.fault = 'accepted_no_answer';
        try {
          const r = await send(id);
          if (r.status === 200) acknowledged.add(id);
        } catch {
          // the connection died with the process
        }
      }
    };
    const burst = Promise.all(Array.from({ length: 16 }, worker));
    await waitFor(() => senebi.fault === 'accepted_no_answer' && senebi.posts.size >= 60, { timeoutMs: 20_000, what: 'a burst half answered' });
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    await burst;
    const postedBeforeCrash = senebi.posts.size;
    assert.ok(acknowledged.size >= 40 && postedBeforeCrash < ids.length, `acked ${acknowledged.size}, posted ${postedBeforeCrash}`);
    // A crash can also leave a half-written record behind: qsen must cut it and go on.
    appendFileSync(join(state.home, 'data', 'journal.log'), '0badf00d {"type":"order","id":"99990');

    senebi.fault = 'none';
    await start();
    for (const id of acknowledged) assert.equal(senebi.posts.get(id), 1, `acknowledged ${id} at SENEBI once`);
    assert.equal([...senebi.posts.values()].every((n) => n === 1), true, 'nothing was resent by qsen on its own');

    const retries = await Promise.all(ids.map((id) => send(id)));
    assert.deepEqual(retries.map((r) => r.status), ids.map(() => 200));
    for (const id of ids) assert.equal(senebi.posts.get(id), 1, `${id} reached SENEBI exactly once`);
    assert.equal(senebi.orders.size, ids.length);
    for (const r of retries) assert.equal((JSON.parse(r.body) as { order: { status: string } }).order.status, 'accepted');
  });

  test('kill switch from the server shell (qsen-admin, no network) is effective at once and survives a restart', async () => {
    const first = await start();
    const halt = await runAdmin(['halt', '--reason', 'drill', '--config', state.confFile, '--json']);
    assert.equal(halt.code, 0, halt.stderr);
    assert.equal((JSON.parse(halt.stdout) as { halted: boolean }).halted, true);
    assert.equal((await send('9999000000000000901')).status, 423);
    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);
    await start();
    assert.equal((await send('9999000000000000901')).status, 423);
    const status = await runAdmin(['status', '--config', state.confFile, '--json']);
    assert.match(status.stdout, /"halted":true/);
    // Without --json: a table; with QSEN_HOME instead of --config, the same state.
    const table = await runAdmin(['status'], { QSEN_HOME: state.home });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^kill switch +HALTED$/m);
    assert.match(table.stdout, /^reason +drill$/m);
    assert.match(table.stdout, /^by +local:/m);
    assert.equal((await runAdmin(['resume', '--config', state.confFile])).code, 0);
    assert.equal((await send('9999000000000000901')).status, 200);
    assert.equal(senebi.posts.get('9999000000000000901'), 1);
    assert.match(readLogs('audit-'), /"action":"halt"[^\n]*"subject":"local:/);
    // The reason and the channel are in the line, in qsen-admin's own chain, which verifies.
    assert.match(readLogs('audit-qsen-admin-'), /"action":"halt"[^\n]*"outcome":"done"[^\n]*"details":\{"channel":"local","reason":"drill"/);
    assert.match(readLogs('audit-qsen-admin-'), /"action":"resume"[^\n]*"details":\{"channel":"local","reason":null/);
    assert.equal((await verifyAuditTrail(join(state.home, 'logs'), { retentionDays: 400, nowMs: Date.now() })).ok, true);
  });

  test('SIGTERM lets the order in flight finish and be answered, then exits 0', async () => {
    const child = await start();
    senebi.delayMs = 600;
    const pending = send('9999000000000000950');
    await waitFor(() => senebi.posts.get('9999000000000000950') === 1, { what: 'the order at SENEBI' });
    child.child.kill('SIGTERM');
    const answer = await pending;
    assert.equal(answer.status, 200, answer.body);
    assert.equal((await child.exited).code, 0);
    const journal = readFileSync(join(state.home, 'data', 'journal.log'), 'utf8');
    assert.match(journal, /"id":"9999000000000000950","state":"accepted"/);
  });

  test('SIGHUP re-reads the TLS files and qsen keeps serving', async () => {
    const child = await start();
    child.child.kill('SIGHUP');
    await waitFor(() => readLogs('qsen-').includes('SIGHUP: TLS files reloaded'), { timeoutMs: 10_000, what: 'the reload log line' });
    assert.equal((await send('9999000000000000960')).status, 200);
    child.child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0);
  });

  test('a wrong passphrase stops qsen with a clear message that does not show the passphrase', async () => {
    const file = join(state.home, 'senebi', 'passphrase');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, 'not the passphrase\n');
    try {
      const child = spawnQsen(state.confFile);
      children.push(child);
      const { code } = await child.exited;
      assert.equal(code, 1);
      assert.match(child.stderr(), /WRONG_PASSPHRASE/);
      assert.match(child.stderr(), /senebi\/passphrase/);
      assert.ok(!child.stderr().includes('not the passphrase'));
    } finally {
      writeFileSync(file, good);
    }
  });
});
