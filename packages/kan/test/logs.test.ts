import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, waitFor } from '@qsen/testkit';
import { ApiError, auditFileName } from '@qsen/core';
import { basename, dirname } from 'node:path';
import {
  acquireReadSlot, acquireTruncationLock, collapseFileHead, contentLimit, countLineEnds, excludeReaders, findByteTail, findLineTail, fitCollapse,
  isPlainLogName, isProtectedLogName, lineStartAtOrAfter, lineStartOf, lineTailStart, listLogs, logGroupOf, paddingFor, planCollapse, resolveLogName,
  rotatedOf, truncateLogs, type TruncateResult,
} from '../src/logs/index.js';

/** Truncates one file through the folder's lock (as the endpoint does). */
async function truncateLog(path: string, keep: number): Promise<TruncateResult> {
  const outcome = await truncateLogs(dirname(path), [basename(path)], keep);
  const result = outcome.results[0];
  assert.ok(result, `a result: ${JSON.stringify(outcome)}`);
  return result;
}

const tmp = makeTempDir('kan-logs-');
const dir = join(tmp.path, 'logs');
const outside = join(tmp.path, 'secret.txt');
const writer = new URL('../../test/fixtures/append-writer.mjs', import.meta.url).pathname;

function lines(n: number, from = 1, width = 30): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `line ${String(i).padStart(6, '0')} ${'y'.repeat(width)}\n`;
  return s;
}

before(() => {
  mkdirSync(dir);
  writeFileSync(outside, 'outside the log folder\n');
  writeFileSync(join(dir, 'qsen-2026-11-20.log'), lines(100));
  writeFileSync(join(dir, '.hidden.log'), 'hidden\n');
  mkdirSync(join(dir, 'sub.log'));
  symlinkSync(outside, join(dir, 'link.log'));
  symlinkSync('../secret.txt', join(dir, 'rel-link.log'));
});
after(() => tmp.remove());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    assert.ok(err instanceof ApiError, `not an ApiError: ${String(err)}`);
    return `${err.status} ${err.code}`;
  }
}

test('list: regular visible files only, with size and modification time', async () => {
  const list = await listLogs(dir);
  assert.deepEqual(list.map((e) => e.name), ['qsen-2026-11-20.log']);
  assert.equal(list[0]?.size, statSync(join(dir, 'qsen-2026-11-20.log')).size);
  assert.match(list[0]?.modified ?? '', /^\d{4}-\d\d-\d\dT/);
});

test('names: every traversal attempt is refused (400 INVALID_LOG_NAME or 404 LOG_NOT_FOUND)', async () => {
  const corpus: Array<[string, string]> = [
    ['../secret.txt', '400 INVALID_LOG_NAME'],
    ['..', '400 INVALID_LOG_NAME'],
    ['.', '400 INVALID_LOG_NAME'],
    ['', '400 INVALID_LOG_NAME'],
    ['/etc/passwd', '400 INVALID_LOG_NAME'],
    [outside, '400 INVALID_LOG_NAME'],
    ['sub.log/../../secret.txt', '400 INVALID_LOG_NAME'],
    ['..%2fsecret.txt', '400 INVALID_LOG_NAME'],
    ['..%252fsecret.txt', '400 INVALID_LOG_NAME'],
    ['%2e%2e', '400 INVALID_LOG_NAME'],
    ['..\\secret.txt', '400 INVALID_LOG_NAME'],
    ['qsen-2026-11-20.log\u0000.txt', '400 INVALID_LOG_NAME'],
    ['.hidden.log', '400 INVALID_LOG_NAME'],
    ['link.log', '404 LOG_NOT_FOUND'],
    ['rel-link.log', '404 LOG_NOT_FOUND'],
    ['sub.log', '404 LOG_NOT_FOUND'],
    ['secret.txt', '404 LOG_NOT_FOUND'],
    ['QSEN-2026-11-20.LOG', '404 LOG_NOT_FOUND'],
    ['qsen-2026-11-20.log ', '404 LOG_NOT_FOUND'],
  ];
  for (const [name, expected] of corpus) {
    assert.equal(await codeOf(resolveLogName(dir, name)), expected, `name ${JSON.stringify(name)}`);
  }
  assert.equal(await resolveLogName(dir, 'qsen-2026-11-20.log'), join(dir, 'qsen-2026-11-20.log'));
  assert.equal(isPlainLogName('a'.repeat(256)), false);
});

test('tail offsets (pure): byte tails start at a line boundary', () => {
  const text = Buffer.from('aaa\nbbb\nccc\n');
  // the wanted start of a byte tail of N bytes of this 12-byte file is 12 - N
  assert.equal(lineStartAtOrAfter(text, 0, 12 - 4), 8); // byte 7 is '\n': exactly "ccc\n"
  assert.equal(lineStartAtOrAfter(text, 0, 12 - 5), 8); // starts mid "bbb": next line start
  assert.equal(lineStartAtOrAfter(text, 0, 12 - 8), 4);
  assert.equal(lineStartAtOrAfter(text, 0, 0), 0);
  assert.equal(lineStartAtOrAfter(Buffer.from('no newline at all'), 0, 17 - 5), null); // no line start: read on, or a partial line
  assert.equal(lineStartAtOrAfter(Buffer.from('b\nc'), 100, 102), 102); // a chunk further on
});

test('tail offsets (pure): line tails count from the end, a final unterminated line counts', () => {
  const text = Buffer.from('a\nb\nc\n');
  assert.equal(lineTailStart(text, 0, 6, 1), 4);
  assert.equal(lineTailStart(text, 0, 6, 2), 2);
  assert.equal(lineTailStart(text, 0, 6, 3), 0);
  assert.equal(lineTailStart(text, 0, 6, 9), 0);
  assert.equal(lineTailStart(Buffer.from('a\nb\nc'), 0, 5, 1), 4);
  assert.equal(lineTailStart(Buffer.from('b\nc\n'), 100, 104, 5), null); // read further back
  assert.equal(lineTailStart(text, 0, 6, 0), 6);
  // chunk by chunk: the line ends already counted after the chunk
  assert.equal(lineTailStart(Buffer.from('b\nc\n'), 100, 110, 3, 1), 102);
  assert.equal(countLineEnds(text, 0, 6), 2); // the final newline ends the last line
  assert.equal(countLineEnds(Buffer.from('a\nb\n'), 0, 100), 2);
});

test('tail: the last N bytes from a line boundary, and the last N lines, exact', async () => {
  const path = join(dir, 'qsen-2026-11-20.log');
  const content = readFileSync(path);
  const handle = await open(path);
  try {
    const size = content.length;
    const byBytes = await findByteTail(handle, size, 200);
    const got = content.subarray(byBytes.start, byBytes.end).toString();
    assert.ok(got.length <= 200 && got.length > 200 - 43, `length ${got.length}`);
    assert.ok(content.subarray(0, byBytes.start).toString().endsWith('\n'));
    assert.equal(got, lines(4, 97)); // each line is 43 bytes: 4 whole lines fit in 200
    const byLines = await findLineTail(handle, size, 3);
    assert.equal(content.subarray(byLines.start, byLines.end).toString(), lines(3, 98));
    const all = await findLineTail(handle, size, 1000);
    assert.equal(all.start, 0);
  } finally {
    await handle.close();
  }
});

test('tail: a line tail reaches back over several read chunks', async () => {
  const path = join(dir, 'big-2026-11-20.log');
  writeFileSync(path, lines(20_000, 1, 50)); // ~1.2 MB
  const content = readFileSync(path);
  const handle = await open(path);
  try {
    const r = await findLineTail(handle, content.length, 5_000);
    assert.equal(content.subarray(r.start, r.end).toString(), lines(5_000, 15_001, 50));
  } finally {
    await handle.close();
  }
});

test('collapse-range: removes whole blocks from the head in place, on the open file', async () => {
  const file = join(tmp.path, 'collapse.bin');
  const data = Buffer.alloc(3 * 4096);
  for (let i = 0; i < data.length; i++) data[i] = i % 251;
  writeFileSync(file, data);
  const handle = await open(file, 'r+');
  try {
    assert.deepEqual(await collapseFileHead(handle, 4096), { ok: true });
    assert.deepEqual(readFileSync(file), data.subarray(4096));
    const bad = await collapseFileHead(handle, 100);
    assert.equal(bad.ok, false);
  } finally {
    await handle.close();
  }
});

test('truncate plan (pure): block-aligned collapse and padding fragment', () => {
  assert.deepEqual(planCollapse(10_000, 4096), { cut: 10_000, collapse: 8192, fragment: 1808 });
  assert.equal(planCollapse(4000, 4096), null);
  assert.deepEqual(planCollapse(8192, 4096), { cut: 8192, collapse: 8192, fragment: 0 });
  assert.equal(lineStartOf(Buffer.from('ab\ncd\nef'), 0, 4), 3);
  assert.equal(lineStartOf(Buffer.from('ab\ncd\nef'), 0, 3), 3);
  assert.equal(lineStartOf(Buffer.from('abcdef'), 0, 4), 0);
  assert.equal(lineStartOf(Buffer.from('cdef'), 10, 12), null);
  assert.deepEqual([...paddingFor(3)], [0x20, 0x20, 0x0a]);
  assert.equal(paddingFor(0).length, 0);
});

test('truncate: keeps at least keep bytes of whole newest lines, no NUL, padding line at the head', async () => {
  const path = join(dir, 'trunc-2026-11-20.log');
  const text = lines(3_000); // 43 bytes a line, 129000 bytes
  writeFileSync(path, text);
  const keep = 20_000;
  const result = await truncateLog(path, keep);
  assert.equal(result.method, 'collapse-range');
  assert.equal(result.sizeBefore, text.length);
  const after = readFileSync(path);
  assert.equal(result.sizeAfter, after.length);
  assert.equal(after.includes(0), false, 'no NUL byte');
  const afterText = after.toString();
  const firstNl = afterText.indexOf('\n');
  const padding = afterText.slice(0, result.padding ?? 0);
  assert.match(padding, /^ *\n?$/);
  const kept = afterText.slice(result.padding ?? 0);
  assert.ok(text.endsWith(kept), 'the kept part is exactly the newest content');
  assert.ok(kept.length >= keep, `kept ${kept.length} >= ${keep}`);
  assert.ok(kept.length < keep + 43, 'no more than one partial line beyond keep');
  assert.ok(kept.startsWith('line '), 'kept part starts at a line boundary');
  assert.ok(firstNl >= 0);
  assert.equal((after.length - kept.length), result.padding);
  assert.equal((text.length - after.length) % statSync(path).blksize, 0, 'collapse length is block aligned');
});

test('truncate: nothing to do within keep', async () => {
  const path = join(dir, 'small-2026-11-20.log');
  writeFileSync(path, lines(3));
  const r = await truncateLog(path, 1_000_000);
  assert.equal(r.method, 'none');
  assert.equal(readFileSync(path, 'utf8'), lines(3));
});

test('truncate under a concurrent writer: every line kept or cut whole from the oldest end, none lost, no NUL', async () => {
  const path = join(dir, 'writer-2026-11-20.log');
  writeFileSync(path, '');
  const child = spawn(process.execPath, [writer, path, '60'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    await waitFor(() => out.includes('ready') && statSync(path).size > 2_000_000, { timeoutMs: 20_000, what: 'the writer to fill 2 MB' });
    const results = [];
    for (let i = 0; i < 5; i++) {
      results.push(await truncateLog(path, 256 * 1024));
      await waitFor(() => statSync(path).size > 600_000, { timeoutMs: 20_000, what: 'more lines' });
    }
    assert.ok(results.every((r) => r.method === 'collapse-range'), JSON.stringify(results));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const written = Number(/written (\d+)/.exec(out)?.[1]);
  assert.ok(written > 10_000, `writer wrote ${written} lines`);
  const buf = readFileSync(path);
  assert.equal(buf.includes(0), false, 'no NUL byte');
  const all = buf.toString().split('\n');
  assert.equal(all.pop(), '', 'file ends with a newline');
  const numbers: number[] = [];
  for (const line of all) {
    if (/^ *$/.test(line)) continue; // padding lines
    const m = /^line (\d{9}) x{60}$/.exec(line);
    assert.ok(m, `a whole, intact line: ${JSON.stringify(line.slice(0, 80))}`);
    numbers.push(Number(m[1]));
  }
  // Kept lines are a contiguous run ending with the last line written: nothing lost from the kept part.
  assert.equal(numbers.at(-1), written);
  for (let i = 1; i < numbers.length; i++) assert.equal(numbers[i], (numbers[i - 1] ?? 0) + 1, `gap after line ${numbers[i - 1]}`);
});

test('rotation groups (pure): the live file is the newest of its log', () => {
  assert.equal(logGroupOf('qsen-2026-11-20.log'), 'qsen');
  assert.equal(logGroupOf('qsen-2026-11-20.log.3'), 'qsen');
  assert.equal(logGroupOf('audit-kan0-2026-11-20.log.gz'), 'audit-kan0');
  assert.equal(logGroupOf('kan0-2026-11-20.2.log'), 'kan0');
  assert.equal(logGroupOf('other.txt'), 'other.txt');
  const entries = [
    { name: 'kan0-2026-11-19.log', size: 1, modified: '2026-11-19T10:00:00.000Z' },
    { name: 'kan0-2026-11-20.log', size: 1, modified: '2026-11-20T10:00:00.000Z' },
    { name: 'qsen-2026-11-20.log', size: 1, modified: '2026-11-18T10:00:00.000Z' },
  ];
  assert.deepEqual(rotatedOf(entries, 'kan0').map((e) => e.name), ['kan0-2026-11-19.log']);
  assert.deepEqual(rotatedOf(entries, 'qsen'), []);
});

test('truncate fallback: on a file system without collapse-range the rotated files go, the live file stays', async (t) => {
  if (!existsSync('/dev/shm')) return t.skip('no /dev/shm (tmpfs) to test a file system without collapse-range');
  const shm = mkdtempSync('/dev/shm/kan-logs-');
  try {
    writeFileSync(join(shm, 'kan1-2026-11-18.log'), lines(2_000));
    writeFileSync(join(shm, 'kan1-2026-11-19.log'), lines(2_000));
    writeFileSync(join(shm, 'kan1-2026-11-20.log'), lines(2_000));
    utimesSync(join(shm, 'kan1-2026-11-18.log'), new Date('2026-11-18'), new Date('2026-11-18'));
    utimesSync(join(shm, 'kan1-2026-11-19.log'), new Date('2026-11-19'), new Date('2026-11-19'));
    const r = await truncateLog(join(shm, 'kan1-2026-11-20.log'), 10_000);
    assert.equal(r.method, 'removed-rotated');
    assert.deepEqual([...(r.removed ?? [])].sort(), ['kan1-2026-11-18.log', 'kan1-2026-11-19.log']);
    assert.equal(r.sizeAfter, r.sizeBefore);
    assert.equal(readFileSync(join(shm, 'kan1-2026-11-20.log'), 'utf8'), lines(2_000));
    assert.equal(existsSync(join(shm, 'kan1-2026-11-18.log')), false);
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
});

test('truncation limit (pure): only bytes present at the call go, whatever ran in between', () => {
  // measured 10000 bytes at the call; others removed 4096 since; the file is 9000 now
  assert.equal(contentLimit(10_000, 0, 4096, 9000), 5904);
  assert.equal(contentLimit(10_000, 8192, 8192, 12_000), 10_000); // nobody ran in between
  assert.equal(contentLimit(10_000, 0, 20_000, 5000), 0); // more removed than measured: nothing of it is left
  assert.equal(contentLimit(10_000, 0, 0, 8000), 8000); // never beyond today's size
  assert.deepEqual(fitCollapse(planCollapse(8192, 4096), 8192, 4096), { cut: 8192, collapse: 4096, fragment: 4096 });
  assert.equal(fitCollapse(planCollapse(4096, 4096), 4096, 4096), null);
  assert.deepEqual(fitCollapse(planCollapse(10_000, 4096), 20_000, 4096), { cut: 10_000, collapse: 8192, fragment: 1808 });
});

test('audit files are protected (pure), including from the rotated-files fallback', () => {
  assert.equal(isProtectedLogName('audit-kan0-2026-11-20.log'), true);
  assert.equal(isProtectedLogName('audit-qsen-admin-2026-11-20.log'), true);
  assert.equal(isProtectedLogName(auditFileName('qsen', '2026-11-20')), true, "core's own name for a day file");
  assert.equal(isProtectedLogName('kan0-2026-11-20.log'), false);
  const entries = [
    { name: 'audit-kan0-2026-11-19.log', size: 1, modified: '2026-11-19T10:00:00.000Z' },
    { name: 'audit-kan0-2026-11-20.log', size: 1, modified: '2026-11-20T10:00:00.000Z' },
  ];
  assert.equal(logGroupOf('audit-kan0-2026-11-20.log'), 'audit-kan0');
  assert.deepEqual(rotatedOf(entries, 'audit-kan0'), []);
});

test('line tail at the scan cap: from the first line start in reach, or the window marked partial', async () => {
  const path = join(dir, 'cap-2026-11-20.log');
  writeFileSync(path, `${'a'.repeat(100)}\n${'b'.repeat(300_000)}\n`);
  const handle = await open(path);
  try {
    const size = statSync(path).size;
    const partial = await findLineTail(handle, size, 2, 200_000);
    assert.deepEqual(partial, { start: size - 200_000, end: size, partial: true, capped: true });
    const reach = await findLineTail(handle, size, 5, 400_000);
    assert.deepEqual(reach, { start: 0, end: size, partial: false }); // the whole file is in reach
    const one = await findLineTail(handle, size, 1);
    assert.deepEqual(one, { start: 101, end: size, partial: false });
    assert.deepEqual(await findByteTail(handle, size, 1000), { start: size - 1000, end: size, partial: true });
    assert.deepEqual(await findByteTail(handle, size, 0), { start: size, end: size, partial: false });
  } finally {
    await handle.close();
  }
});

test('log locks: a truncation waits for a read in flight; a read waits for a pending truncation; a slow read is told to yield', async () => {
  const lockDir = join(tmp.path, 'locks');
  const settings = { truncateWaitMs: 2000, readersWaitMs: 1500, readWaitMs: 1500, readerYieldMs: 300, readSlots: 4, pollMs: 10 };
  const read = await acquireReadSlot(lockDir, 'a.log', settings);
  assert.ok(typeof read !== 'string');
  let yielded = false;
  read.yieldTo(() => { yielded = true; void read.release(); });
  const started = Date.now();
  const excluded = await excludeReaders(lockDir, 'a.log', settings);
  assert.ok(excluded, 'the truncation got in once the read yielded');
  assert.ok(yielded && Date.now() - started >= 250, 'only after the read was told to yield');
  // While the truncation holds the file, a read waits and is refused in the end; another file is free.
  assert.equal(await acquireReadSlot(lockDir, 'a.log', { ...settings, readWaitMs: 100 }), 'truncation-busy');
  const other = await acquireReadSlot(lockDir, 'b.log', settings);
  assert.ok(typeof other !== 'string');
  await other.release();
  const waiting = acquireReadSlot(lockDir, 'a.log', settings);
  await new Promise((r) => setTimeout(r, 50));
  await excluded.release();
  const after = await waiting;
  assert.ok(typeof after !== 'string', 'the read goes on once the truncation is done');
  // All slots taken: the next read is refused at once, and a truncation cannot exclude them in time.
  const slots = [after];
  for (let i = 1; i < settings.readSlots; i++) {
    const s = await acquireReadSlot(lockDir, 'a.log', settings);
    assert.ok(typeof s !== 'string');
    slots.push(s);
  }
  assert.equal(await acquireReadSlot(lockDir, 'a.log', settings), 'slots-full');
  assert.equal(await excludeReaders(lockDir, 'a.log', { ...settings, readersWaitMs: 100 }), null);
  await Promise.all(slots.map((s) => s.release()));
  // The folder lock: one truncation at a time.
  const first = await acquireTruncationLock(lockDir, settings);
  assert.ok(first);
  assert.equal(await acquireTruncationLock(lockDir, { ...settings, truncateWaitMs: 100 }), null);
  await first.release();
});
