// The cluster layout's atomic writes on a file system that fills up (a 64 KiB tmpfs, ENOSPC like a
// full disk): the write fails with the error, the target keeps its old content, and no temporary
// file is left behind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { replaceFile, writeNewFile } from '../src/cluster/files.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'qsen-pki-full-'));
const dir = join(root, 'pki');
let skipReason: string | undefined;

before(async () => {
  mkdirSync(dir);
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', dir]);
  } catch (err) {
    if (process.env['CI'] === 'true') throw new Error(`mounting a small tmpfs needs root and mount(8); CI runs as root: ${String(err)}`);
    skipReason = 'cannot mount a tmpfs (needs root)';
    console.error(`\n!!! ${skipReason}: SKIPPING the pki full-disk test\n`);
  }
});

after(async () => {
  if (!skipReason) await run('umount', ['-l', dir]).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

test('replaceFile and writeNewFile on a full disk: ENOSPC, the old content kept, no temporary file left', (t) => {
  if (skipReason) return t.skip(skipReason);
  const target = join(dir, 'crl.pem');
  writeFileSync(target, 'old CRL\n');
  const tooLarge = Buffer.alloc(256 * 1024, 0x41);
  assert.throws(() => replaceFile(target, tooLarge, 0o644), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  assert.throws(() => writeNewFile(join(dir, 'new.pem'), tooLarge, 0o600), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  assert.equal(readFileSync(target, 'utf8'), 'old CRL\n');
  assert.deepEqual(readdirSync(dir).sort(), ['crl.pem']);
});
