// Storage faults on a real file system that fills up: the data folder is a small tmpfs (ENOSPC
// like a full disk). A failed journal write is not sticky, the node says it is not accepting
// orders while it cannot journal (status, internal ping, metrics), and the kill switch works on
// the full disk without leaving a temporary file behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpsCall, waitFor } from '@qsen/testkit';
import { orderJson, startHarness, type Harness } from './support/node.js';
import { startSenebiDouble, type SenebiDouble } from './support/senebi-double.js';
import { makeTestState, type TestState } from './support/state.js';

const run = promisify(execFile);
type Json = Record<string, unknown>;

let state: TestState;
let data = '';
let skipReason: string | undefined;
let h: Harness | undefined;
let senebi: SenebiDouble | undefined;

before(async () => {
  state = makeTestState({ senebiPort: 0 });
  data = join(state.home, 'data');
  mkdirSync(data, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', data]);
  } catch (err) {
    if (process.env['CI'] === 'true') throw new Error(`mounting a small tmpfs needs root and mount(8); CI runs as root: ${String(err)}`);
    skipReason = 'cannot mount a tmpfs (needs root)';
    console.error(`\n!!! ${skipReason}: SKIPPING the full-disk test\n`);
  }
});

after(async () => {
  await h?.close().catch(() => undefined);
  await senebi?.close();
  if (!skipReason) await run('umount', ['-l', data]).catch(() => undefined);
  state.remove();
});

/** Fills the file system of `dir` with one file until ENOSPC. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let content = Buffer.alloc(0);
  for (;;) {
    try {
      content = Buffer.concat([content, chunk]);
      writeFileSync(file, content);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      // Top up the last bytes one small write at a time.
      for (let size = 4096; size >= 1; size = Math.floor(size / 2)) {
        try {
          writeFileSync(file, Buffer.alloc(size, 1), { flag: 'a' });
        } catch {
          // full at this size
        }
      }
      return file;
    }
  }
}

test('a full data disk: orders refused 503 and the node says "not accepting orders"; halt holds in memory (503 HALT_NOT_PERSISTED, orders 423); space back: all recovers on its own', { timeout: 60_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  senebi = await startSenebiDouble({ ...state.senebiServer, clientCa: state.agentCa });
  h = await startHarness({ state, senebi });
  const ok = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000006001'));
  assert.equal(ok.status, 200, ok.body);

  const filler = fill(data);
  // The journal's last page may still take a few records; then the disk refuses.
  let refusedId = '';
  for (let n = 100; n < 140 && refusedId === ''; n += 1) {
    const id = `9999000000000006${n}`;
    const answer = await h.call('POST', '/qsen/v1/sendOrder', orderJson(id));
    if (answer.status === 200) continue;
    assert.equal(answer.status, 503, answer.body);
    assert.equal((answer.json['error'] as Json)['code'], 'JOURNAL_UNAVAILABLE');
    refusedId = id;
  }
  assert.notEqual(refusedId, '', 'the full disk refused an order');
  assert.equal(h.senebi.posts.has(refusedId), false, 'nothing unjournaled reaches SENEBI');

  const status = await h.call('GET', '/qsen/v1/status');
  assert.equal(status.json['acceptingOrders'], false);
  assert.ok((status.json['notAccepting'] as string[]).includes('JOURNAL_UNAVAILABLE'));
  assert.equal((status.json['journal'] as Json)['writable'], false);
  assert.equal((status.json['journal'] as Json)['code'], 'ENOSPC');
  const ping = await httpsCall(`https://127.0.0.1:${h.node.port}/qsen/v1/ping`, { ca: state.ca });
  assert.equal(ping.status, 200, 'the ping still answers: the process is not hung');
  assert.equal((JSON.parse(ping.body) as Json)['acceptingOrders'], false);
  const metrics = await h.call('GET', '/qsen/v1/metrics/process');
  assert.match(metrics.body, /^qsen_accepting_orders 0$/m);
  assert.match(metrics.body, /^qsen_journal_writable 0$/m);

  const halt = await h.call('POST', '/qsen/v1/halt', '{"reason": "disk full drill"}', 'operator');
  assert.equal(halt.status, 503, halt.body);
  assert.equal((halt.json['error'] as Json)['code'], 'HALT_NOT_PERSISTED');
  assert.equal(((halt.json['error'] as Json)['details'] as Json)['halted'], true);
  const whileHalted = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000006003'));
  assert.equal(whileHalted.status, 423, 'the halt is in force at once, in memory');
  assert.deepEqual(readdirSync(data).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
  assert.equal(((await h.call('GET', '/qsen/v1/status')).json['killSwitch'] as Json)['persisted'], false);

  rmSync(filler);
  await waitFor(() => existsSync(join(data, 'halt.json')), { timeoutMs: 10_000, what: 'the halt persisted by the retry' });
  assert.equal(((await h.call('GET', '/qsen/v1/status')).json['killSwitch'] as Json)['persisted'], undefined);
  assert.equal((await h.call('POST', '/qsen/v1/resume', '{}', 'operator')).status, 200);
  const back = await h.call('POST', '/qsen/v1/sendOrder', orderJson(refusedId));
  assert.equal(back.status, 200, back.body);
  assert.equal((back.json['order'] as Json)['status'], 'accepted');
  await waitFor(async () => (await h!.call('GET', '/qsen/v1/status')).json['acceptingOrders'] === true, { timeoutMs: 10_000, what: 'accepting orders again' });
  assert.deepEqual(readdirSync(data).filter((f) => f.endsWith('.tmp')), []);

  // Everything acknowledged is in the journal after a restart.
  await h.close();
  h = await startHarness({ state, senebi });
  const replay = await h.call('POST', '/qsen/v1/sendOrder', orderJson(refusedId));
  assert.equal((replay.json['order'] as Json)['status'], 'accepted');
  assert.equal(h.senebi.posts.get(refusedId), 1);
});
