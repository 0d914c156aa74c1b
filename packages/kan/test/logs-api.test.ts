/**
 * The log endpoints of three kans sharing one log folder, over mutual TLS, under races:
 * concurrent truncations from all three with a live writer, downloads and tails during a
 * truncation, audit files, concurrency limits, partial-line tails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import winston from 'winston';
import { initClusterPki } from '@qsen/pki';
import { createAuditLog, loadConfig, type AuditSink, type QsenConfig } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { checkNumberedLog, findFreePort, lastNumberIn, makeTempDir, readFileEnd, seededRandom, waitFor } from '@qsen/testkit';
import { createKanNode, type KanNode } from '../src/node.js';
import { LOG_CONCURRENCY, acquireTruncationLock, isProtectedLogName } from '../src/logs/index.js';

const tmp = makeTempDir('kan-logs-api-');
const writerScript = new URL('../../test/fixtures/append-writer.mjs', import.meta.url).pathname;
const PAD = 40;
let config: QsenConfig;
let logs = '';
const nodes: KanNode[] = [];
const bases: string[] = [];
let ca = '';
const ids: Record<string, { cert: string; key: string }> = {};
const audited: Array<Parameters<AuditSink['record']>[0]> = [];
/** The three kans' log lines. */
const logLines: string[] = [];
const queuedTruncations = (): number => logLines.filter((l) => l.includes('waits for another truncation')).length;

before(async () => {
  initClusterPki(tmp.path);
  ca = readFileSync(join(tmp.path, 'pki/ca.crt'), 'utf8');
  for (const role of ['platform', 'operator', 'auditor']) {
    ids[role] = { cert: readFileSync(join(tmp.path, `pki/clients/${role}.crt`), 'utf8'), key: readFileSync(join(tmp.path, `pki/clients/${role}.key`), 'utf8') };
  }
  writeFileSync(join(tmp.path, 'conf.toml'), renderConfigToml({
    mode: 'local', qsenPort: await findFreePort(), kanPorts: [await findFreePort(), await findFreePort(), await findFreePort()],
    nodeExporterUrl: `http://127.0.0.1:${await findFreePort()}`, listen: '127.0.0.1',
  }));
  config = loadConfig(join(tmp.path, 'conf.toml'));
  logs = config.paths.logs;
  mkdirSync(logs, { recursive: true });
  mkdirSync(config.paths.run, { recursive: true });
  const lines = new Writable({ write(chunk: Buffer, _enc, done) { logLines.push(chunk.toString()); done(); } });
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: lines })] });
  const audit: AuditSink = { record: (e) => { audited.push(e); } };
  for (const index of [0, 1, 2]) {
    const node = createKanNode({ index, config, logger, audit, watchdog: false });
    nodes.push(node);
    bases.push(`https://localhost:${await node.listen(0, '127.0.0.1')}`);
  }
});

after(async () => {
  for (const node of nodes) await node.close();
  tmp.remove();
});

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; complete: boolean }

/** One request to kan `k`; the body is kept unless `discard` (then only its length counts). */
function call(k: number, path: string, opts: { role?: string; method?: string; discard?: boolean; onResponse?: (res: import('node:http').IncomingMessage) => void } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const id = ids[opts.role ?? 'operator'];
    const req = request(`${bases[k]}${path}`, { method: opts.method ?? 'GET', ca, cert: id?.cert, key: id?.key, agent: false }, (res) => {
      opts.onResponse?.(res);
      const chunks: Buffer[] = [];
      let length = 0;
      let complete = false;
      res.on('data', (c: Buffer) => { length += c.length; if (!opts.discard) chunks.push(c); });
      res.on('end', () => { complete = true; });
      res.on('close', () => {
        const expected = Number(res.headers['content-length'] ?? Number.NaN);
        const body = opts.discard ? Buffer.alloc(0) : Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, complete: complete && (Number.isNaN(expected) || expected === length) });
      });
    });
    req.setTimeout(120_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}
const codeOf = (a: Answer): string => (JSON.parse(a.body.toString()) as { error: { code: string } }).error.code;

function startWriter(file: string): { child: ChildProcess; stop: () => Promise<number> } {
  const child = spawn(process.execPath, [writerScript, file, String(PAD)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  return {
    child,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      return Number(/written (\d+)/.exec(out)?.[1]);
    },
  };
}

function numberedLines(from: number, count: number): string {
  let s = '';
  for (let n = from; n < from + count; n++) s += `line ${String(n).padStart(9, '0')} ${'x'.repeat(PAD)}\n`;
  return s;
}

test('concurrent truncations from three kans with a live writer: every line written after the calls began is kept, whole lines, never a 500', { timeout: 120_000 }, async () => {
  const seed = Number(process.env['QSEN_TEST_SEED'] ?? Date.now() % 1_000_000);
  const rand = seededRandom(seed);
  console.log(`truncation race seed ${seed} (replay with QSEN_TEST_SEED=${seed})`);
  const name = 'race-2026-12-01.log';
  const file = join(logs, name);
  writeFileSync(file, '');
  const writer = startWriter(file);
  const keeps = [0, 1, 4096, 10_000, 65_536, 300_000, 1_048_576];
  try {
    await waitFor(() => statSync(file).size > 1_500_000, { timeoutMs: 30_000, what: 'the writer to fill 1.5 MB' });
    for (let round = 0; round < 6; round++) {
      // This test plans a truncation too: holding the folder's lock, it lets every call measure the
      // file (each logs that it waits), then notes the last line: every line after it was written
      // after all the calls began.
      const held = await acquireTruncationLock(logs);
      assert.ok(held, 'the test takes the truncation lock');
      const n = 4 + Math.floor(rand() * 9);
      const calls = Array.from({ length: n }, (_, i) => {
        const keep = keeps[Math.floor(rand() * keeps.length)] ?? 0;
        const delay = Math.floor(rand() * 40);
        return new Promise<void>((r) => setTimeout(r, delay)).then(() => call(i % 3, `/kan/v1/logs/truncate?file=${name}&keep=${keep}`, { method: i % 2 ? 'POST' : 'GET', role: i % 2 ? 'platform' : 'operator' }));
      });
      let settled = 0;
      for (const c of calls) void c.finally(() => { settled += 1; });
      const queuedBefore = queuedTruncations();
      await waitFor(() => queuedTruncations() - queuedBefore >= n || settled > 0, { timeoutMs: 30_000, what: `${n} calls measuring the file` });
      const before = lastNumberIn(readFileEnd(file, 4096));
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 30))); // the writer goes on meanwhile
      await held.release();
      const answers = await Promise.all(calls);
      for (const a of answers) assert.equal(a.status, 200, `round ${round}: ${a.body.toString().slice(0, 300)}`);
      const content = readFileSync(file);
      const log = checkNumberedLog(content.subarray(0, content.lastIndexOf(0x0a) + 1), PAD); // the writer may be mid-line at the very end
      assert.deepEqual(log.problems, [], `round ${round} (seed ${seed})`);
      assert.ok(log.headIsWhole, `round ${round}: the head is a padding line or a whole line (seed ${seed})`);
      assert.ok((log.numbers[0] ?? Infinity) <= before + 1, `round ${round}: line ${before + 1}, written after the calls began, is still there (first kept: ${log.numbers[0]}, seed ${seed})`);
      await waitFor(() => statSync(file).size > 400_000, { timeoutMs: 30_000, what: 'more lines' });
    }
  } finally {
    const written = await writer.stop();
    const log = checkNumberedLog(readFileSync(file), PAD);
    assert.deepEqual(log.problems, [], `seed ${seed}`);
    assert.equal(log.numbers.at(-1), written, 'the last line written is there');
  }
});

test('a download that began before a truncation gets the file as it was; the truncation waits for it', { timeout: 120_000 }, async () => {
  const name = 'download-2026-12-01.log';
  const file = join(logs, name);
  const original = Buffer.from(numberedLines(1, 330_000)); // about 17 MB
  writeFileSync(file, original);
  let paused: import('node:http').IncomingMessage | undefined;
  const download = call(0, `/kan/v1/logs?file=${name}`, { role: 'auditor', onResponse: (res) => { res.pause(); paused = res; } });
  await waitFor(() => paused, { what: 'the download to start' });
  let truncatedAt = 0;
  const truncation = call(1, `/kan/v1/logs/truncate?file=${name}&keep=1048576`, { method: 'POST' }).then((a) => { truncatedAt = Date.now(); return a; });
  // The truncation waits for the download in flight: the file keeps its size meanwhile.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(truncatedAt, 0, 'the truncation is still waiting');
  assert.equal(statSync(file).size, original.length);
  paused?.resume();
  const got = await download;
  const downloadedAt = Date.now();
  assert.equal(got.status, 200);
  assert.ok(got.complete, 'the whole Content-Length arrived');
  assert.ok(got.body.equals(original), `the bytes as they were (${got.body.length} of ${original.length} bytes)`);
  const t = await truncation;
  assert.equal(t.status, 200, t.body.toString());
  assert.ok(truncatedAt >= downloadedAt - 50, 'the truncation ran after the download');
  assert.ok(statSync(file).size < 1_200_000, 'and truncated');
});

test('a download stalled while a truncation waits is cut (fewer bytes than Content-Length), never silently short', { timeout: 120_000 }, async () => {
  const name = 'stalled-2026-12-01.log';
  const file = join(logs, name);
  writeFileSync(file, numberedLines(1, 330_000));
  let paused: import('node:http').IncomingMessage | undefined;
  const download = call(2, `/kan/v1/logs?file=${name}`, { role: 'auditor', onResponse: (res) => { res.pause(); paused = res; } });
  await waitFor(() => paused, { what: 'the download to start' });
  const started = Date.now();
  const t = await call(0, `/kan/v1/logs/truncate?file=${name}&keep=65536`, { method: 'POST' });
  assert.equal(t.status, 200, t.body.toString());
  console.log(`stalled download: the truncation ran after ${Date.now() - started} ms`);
  paused?.resume();
  const got = await download;
  assert.equal(got.complete, false, 'the client sees the cut');
  assert.ok(Number(got.headers['content-length']) > got.body.length);
});

test('tails during truncations: always whole lines of the file (or marked partial), never torn', { timeout: 120_000 }, async () => {
  const name = 'tails-2026-12-01.log';
  const file = join(logs, name);
  writeFileSync(file, '');
  const writer = startWriter(file);
  try {
    await waitFor(() => statSync(file).size > 1_000_000, { timeoutMs: 30_000, what: 'the writer to fill 1 MB' });
    const work: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      work.push(call(i % 3, `/kan/v1/logs/truncate?file=${name}&keep=${20_000 * (i + 1)}`).then((a) => assert.equal(a.status, 200, a.body.toString())));
      work.push(call((i + 1) % 3, `/kan/v1/logs/tail?file=${name}&${i % 2 ? 'lines=200' : 'bytes=30000'}`, { role: 'auditor' }).then((a) => {
        if (a.status === 503) return assert.equal(codeOf(a), 'LOGS_BUSY');
        assert.equal(a.status, 200, a.body.toString());
        assert.equal(a.headers['x-qsen-partial-line'], 'false');
        // The writer may be in the middle of a line at the instant of the read (a write that
        // crosses a page boundary becomes visible page by page): that last, unfinished piece must
        // be the start of the next line; everything before it whole and contiguous.
        const cut = a.body.lastIndexOf(0x0a) + 1;
        const log = checkNumberedLog(a.body.subarray(0, cut), PAD);
        assert.deepEqual(log.problems, [], 'a tail of whole, contiguous lines');
        const rest = a.body.subarray(cut).toString('latin1');
        const next = `line ${String((log.numbers.at(-1) ?? 0) + 1).padStart(9, '0')} ${'x'.repeat(PAD)}`;
        assert.ok(rest === '' || (log.numbers.length > 0 && next.startsWith(rest)), `the unfinished end is the line being written: ${JSON.stringify(rest.slice(0, 40))}`);
      }));
    }
    await Promise.all(work);
  } finally {
    await writer.stop();
  }
});

test('audit files are never truncated through the API, by any role; file=all skips them and says so', async () => {
  const audit = createAuditLog({ dir: logs, chain: 'kan0' });
  audit.record({ action: 'logs/truncate', subject: 'CN=test', outcome: 'done' });
  await audit.close();
  const auditName = readdirSync(logs).find((n) => n.startsWith('audit'));
  assert.ok(auditName, 'core wrote an audit file');
  assert.match(auditName, /^audit-kan0-\d{4}-\d{2}-\d{2}\.log$/, 'the day file of the kan0 chain');
  assert.ok(isProtectedLogName(auditName), `core's audit file name ${auditName} is protected`);
  writeFileSync(join(logs, auditName), numberedLines(1, 50_000));
  const before = readFileSync(join(logs, auditName));
  const auditedBefore = audited.length;
  for (const role of ['platform', 'operator']) {
    for (const method of ['GET', 'POST']) {
      const a = await call(0, `/kan/v1/logs/truncate?file=${auditName}&keep=0`, { role, method });
      assert.equal(a.status, 403, a.body.toString());
      assert.equal(codeOf(a), 'AUDIT_LOG_PROTECTED');
    }
  }
  const refusals = audited.slice(auditedBefore).filter((e) => e.action === 'logs/truncate');
  assert.deepEqual(refusals.map((e) => `${e.outcome} ${e.code}`), Array(4).fill('refused AUDIT_LOG_PROTECTED'), 'each refusal is audited refused with its code');
  assert.equal(codeOf(await call(1, `/kan/v1/logs/truncate?file=${auditName}&keep=0`, { role: 'auditor' })), 'FORBIDDEN');
  const all = await call(2, '/kan/v1/logs/truncate?file=all&keep=0', { method: 'POST' });
  assert.equal(all.status, 200, all.body.toString());
  const body = JSON.parse(all.body.toString()) as { results: Array<{ file: string }>; skipped: Array<{ file: string; code: string }> };
  assert.deepEqual(body.skipped.filter((s) => s.file === auditName).map((s) => s.code), ['AUDIT_LOG_PROTECTED']);
  assert.ok(!body.results.some((r) => r.file === auditName));
  assert.ok(readFileSync(join(logs, auditName)).equals(before), 'the audit file is untouched');
});

test('tails beyond the endpoint limit answer 503 LOGS_BUSY with Retry-After; the accepted ones are whole', { timeout: 120_000 }, async () => {
  const name = 'big-2026-12-01.log';
  writeFileSync(join(logs, name), numberedLines(1, 160_000)); // about 8 MB
  const answers = await Promise.all(Array.from({ length: 30 }, () => call(0, `/kan/v1/logs/tail?file=${name}&bytes=67108864`, { role: 'auditor', discard: true })));
  const ok = answers.filter((a) => a.status === 200);
  const busy = answers.filter((a) => a.status === 503);
  assert.equal(ok.length + busy.length, answers.length, `statuses: ${answers.map((a) => a.status).join(',')}`);
  assert.ok(ok.length >= 1 && ok.length < answers.length, `${ok.length} accepted, ${busy.length} refused (limit ${LOG_CONCURRENCY.tail})`);
  for (const a of ok) assert.ok(a.complete);
  for (const a of busy) assert.equal(a.headers['retry-after'], '1');
});

test('a byte tail whose window holds no line start answers the partial last line, marked', async () => {
  const name = 'long-line-2026-12-01.log';
  writeFileSync(join(logs, name), `first line\n${'z'.repeat(5000)}\n`);
  const a = await call(1, `/kan/v1/logs/tail?file=${name}&bytes=200`, { role: 'auditor' });
  assert.equal(a.status, 200);
  assert.equal(a.headers['x-qsen-partial-line'], 'true');
  assert.ok(a.body.equals(Buffer.from(`${'z'.repeat(199)}\n`)), `the last 200 bytes (${a.body.length})`);
  const whole = await call(1, `/kan/v1/logs/tail?file=${name}&bytes=5001`, { role: 'auditor' });
  assert.equal(whole.headers['x-qsen-partial-line'], 'false');
  assert.ok(whole.body.equals(Buffer.from(`${'z'.repeat(5000)}\n`)), 'the whole last line');
  writeFileSync(join(logs, 'no-newline-2026-12-01.log'), 'y'.repeat(3000));
  const none = await call(2, '/kan/v1/logs/tail?file=no-newline-2026-12-01.log&bytes=200', { role: 'auditor' });
  assert.equal(none.headers['x-qsen-partial-line'], 'true');
  assert.ok(none.body.equals(Buffer.from('y'.repeat(200))), `the last 200 bytes (${none.body.length})`);
});
