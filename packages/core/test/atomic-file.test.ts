// Durable file replacement (storage/atomic-file.ts) and the halt marker built on it
// (killswitch/halt-marker.ts), on the real file system: content round-trips, a failure at any
// step leaves no temporary file (a full disk: packages/qsen/test/storage.test.ts), a concurrent reader sees the old content or the new and never
// half, and a damaged marker still halts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { makeTempDir, requireTool, traceFsyncs } from '@qsen/testkit';
import {
  HALT_FILE, formatHaltMarker, isHaltMarked, parseHaltMarker, readHaltMarker, removeHaltMarker, temporaryFileFor,
  writeFileAtomic, writeFileAtomicSync, writeHaltMarker, type HaltMarker,
} from '../src/index.js';

const tmp = makeTempDir('qsen-atomic-');
after(() => tmp.remove());
let n = 0;
const freshDir = (): string => {
  const dir = join(tmp.path, `d${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('writeFileAtomicSync / writeFileAtomic', () => {
  test('replace the content exactly (any bytes, sync and async), with the mode asked, and leave only the target', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), async (bytes, useAsync) => {
      const dir = freshDir();
      const file = join(dir, 'state.json');
      writeFileSync(file, 'old content');
      const content = Buffer.from(bytes);
      if (useAsync) await writeFileAtomic(file, content, 0o600);
      else writeFileAtomicSync(file, content, 0o600);
      assert.deepEqual(readFileSync(file), content);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(dir), ['state.json']);
    }), { numRuns: 40 });
  });

  test('the temporary file is hidden, beside the target, and ends in .tmp', () => {
    const name = temporaryFileFor('/var/lib/qsen/halt.json');
    assert.match(name, /^\/var\/lib\/qsen\/\.halt\.json\.\d+\.\d+\.tmp$/);
    assert.notEqual(temporaryFileFor('/var/lib/qsen/halt.json'), name, 'one name per write');
  });

  test('durable, watched with strace: the temporary file is synced before the rename, the folder after it (sync and async)', (t) => {
    const strace = requireTool('strace');
    if (typeof strace !== 'string') return t.skip(strace.skip);
    const dir = freshDir();
    const module = new URL('../src/storage/atomic-file.js', import.meta.url).href;
    const syncs = traceFsyncs(strace, `
      import { writeFileAtomicSync, writeFileAtomic } from ${JSON.stringify(module)};
      writeFileAtomicSync(${JSON.stringify(join(dir, 'a.json'))}, 'one');
      await writeFileAtomic(${JSON.stringify(join(dir, 'b.json'))}, 'two');
    `).filter((s) => s.path.startsWith(dir));
    assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), 'two');
    assert.deepEqual(syncs.map((s) => (s.path === dir ? 'dir' : s.path.endsWith('.tmp') ? 'temp' : s.path)), ['temp', 'dir', 'temp', 'dir'], JSON.stringify(syncs));
  });

  test('concurrent async replacements of one file: each call ends whole, the file holds one of them, no temporary file left', async () => {
    const dir = freshDir();
    const file = join(dir, 'state.json');
    const versions = Array.from({ length: 40 }, (_, i) => String(i).repeat(64 * 1024));
    const results = await Promise.allSettled(versions.map((v) => writeFileAtomic(file, v, 0o600)));
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), [], 'no write failed');
    assert.ok(versions.includes(readFileSync(file, 'utf8')), 'the file holds exactly one whole version');
    assert.deepEqual(readdirSync(dir), ['state.json']);
  });

  test('a failed rename (the target is a folder) throws and leaves no temporary file, sync and async', async () => {
    const dir = freshDir();
    const target = join(dir, 'busy');
    mkdirSync(join(target, 'inside'), { recursive: true });
    assert.throws(() => writeFileAtomicSync(target, 'x'), (err: NodeJS.ErrnoException) => typeof err.code === 'string');
    await assert.rejects(writeFileAtomic(target, 'x'), (err: NodeJS.ErrnoException) => typeof err.code === 'string');
    assert.deepEqual(leftovers(dir), []);
    assert.equal(existsSync(join(target, 'inside')), true, 'the folder is untouched');
  });

  test('a reader racing 100 replacements sees one whole version every time, never a mix or a short file', async () => {
    const dir = freshDir();
    const file = join(dir, 'big');
    const versions = ['a', 'b', 'c'].map((c) => c.repeat(256 * 1024));
    await writeFileAtomic(file, versions[0] ?? '');
    let writing = true;
    const reads: string[] = [];
    const reader = (async () => {
      while (writing) reads.push(await readFile(file, 'utf8'));
    })();
    for (let i = 1; i <= 100; i += 1) await writeFileAtomic(file, versions[i % 3] ?? '');
    writing = false;
    await reader;
    assert.ok(reads.length > 0);
    for (const text of reads) assert.ok(versions.includes(text), `a read of ${text.length} bytes is none of the versions`);
    assert.deepEqual(leftovers(dir), []);
  });
});

describe('the halt marker', () => {
  const cancelOpen = fc.record({ run: fc.uuid(), requestedAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), channel: fc.constantFrom('api', 'local', 'deadman' as const) });
  const marker = fc.record({
    since: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    by: fc.string({ minLength: 1 }),
    reason: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
    cancelOpen: fc.option(cancelOpen, { nil: undefined }),
  });

  test('its text reads back as the halt that was written (pure), optional fields only when set', () => {
    fc.assert(fc.property(marker, (m) => {
      const expected: HaltMarker = { halted: true, since: m.since, by: m.by, ...(m.reason ? { reason: m.reason } : {}), ...(m.cancelOpen ? { cancelOpen: { ...m.cancelOpen } } : {}) };
      assert.deepEqual(parseHaltMarker(formatHaltMarker(m)), expected);
    }));
    assert.equal(formatHaltMarker({ since: '2026-12-01T15:00:00.000Z', by: 'CN=alice' }), '{"halted":true,"since":"2026-12-01T15:00:00.000Z","by":"CN=alice"}\n');
  });

  test('a damaged marker still halts (failing safe); a malformed cancel request is dropped, not trusted', () => {
    fc.assert(fc.property(fc.string(), (text) => {
      assert.equal(parseHaltMarker(text).halted, true);
    }));
    assert.deepEqual(parseHaltMarker('{"since":"s","cancelOpen":{"run":"r","requestedAt":"t","channel":"mail"}}'), { halted: true, since: 's' });
  });

  test('written, it halts the data folder; removed, it does not; removing an absent one is a no-op', () => {
    const dir = join(freshDir(), 'data');
    assert.equal(isHaltMarked(dir), false);
    assert.deepEqual(readHaltMarker(dir), { halted: false });
    removeHaltMarker(dir);
    writeHaltMarker(dir, { since: '2026-12-01T15:00:00.000Z', by: 'local:root', reason: 'drill' });
    assert.equal(isHaltMarked(dir), true);
    assert.deepEqual(readHaltMarker(dir), { halted: true, since: '2026-12-01T15:00:00.000Z', by: 'local:root', reason: 'drill' });
    assert.deepEqual(readdirSync(dir), [HALT_FILE]);
    removeHaltMarker(dir);
    assert.equal(isHaltMarked(dir), false);
    assert.deepEqual(readHaltMarker(dir), { halted: false });
  });

  test('a data folder that cannot exist throws the file system\'s code and halts nothing', () => {
    const blocker = join(freshDir(), 'a-file');
    writeFileSync(blocker, 'x');
    assert.throws(() => writeHaltMarker(join(blocker, 'data'), { since: 's', by: 'b' }), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR' || err.code === 'EEXIST');
    assert.deepEqual(readHaltMarker(join(blocker, 'data')), { halted: false });
  });
});
