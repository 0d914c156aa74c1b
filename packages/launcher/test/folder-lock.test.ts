import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '@qsen/core';
import { makeTempDir, requireTool, waitFor } from '@qsen/testkit';
import { acquireFolderLock, LOCK_FILE } from '../src/supervise/folder-lock.js';
import { acquireOwnership } from '../src/supervise/ownership.js';
import { fixturePath, isAlive } from './recording-logger.js';

const spawned: ChildProcess[] = [];
const isAlreadyRunning = (err: unknown): boolean => err instanceof ApiError && err.code === 'ALREADY_RUNNING';

/** Asks flock(1) itself whether the file is locked (exit 1 with --nonblock when it is). */
function lockedForFlock(file: string): boolean {
  return spawnSync('flock', ['--nonblock', file, 'true']).status === 1;
}

describe('state folder file lock (flock, across network namespaces)', () => {
  const dir = makeTempDir('qsen-launcher-flock-');
  after(() => {
    for (const child of spawned) if (child.pid !== undefined && isAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    dir.remove();
  });

  it('holds a real flock on run/launcher.lock until released', async (t) => {
    const flock = requireTool('flock', 'util-linux');
    if (typeof flock !== 'string') return t.skip(flock.skip);
    const run = join(dir.path, 'run-a');
    mkdirSync(run);
    const lock = await acquireFolderLock(run);
    assert.equal(lock.file, join(run, LOCK_FILE));
    assert.equal(lockedForFlock(lock.file), true, 'flock(1) sees the file locked');
    await assert.rejects(acquireFolderLock(run), isAlreadyRunning);
    await lock.release();
    assert.equal(lockedForFlock(lock.file), false, 'released');
    const again = await acquireFolderLock(run);
    await again.release();
  });

  it('is refused to a launcher in another network namespace, and freed when that holder is killed -9', async (t) => {
    const unshare = requireTool('unshare', 'util-linux');
    if (typeof unshare !== 'string') return t.skip(unshare.skip);
    if (spawnSync(unshare, ['-n', 'true']).status !== 0) {
      const message = 'unshare -n is not permitted here (needs root or user namespaces)';
      if (process.env['CI'] === 'true') assert.fail(message);
      console.error(`\n!!! ${message}: SKIPPING\n`);
      return t.skip(message);
    }
    const run = join(dir.path, 'run-b');
    mkdirSync(run);
    // The holder takes the whole ownership (socket + file) inside its own network namespace:
    // its abstract socket is invisible here, so only the file lock can refuse us.
    const holder = spawn(unshare, ['-n', process.execPath, fixturePath('hold-lock.mjs'), run], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    spawned.push(holder);
    const first = await new Promise<string>((resolve) => holder.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
    assert.match(first, /locked/);
    await assert.rejects(acquireOwnership(run), (err: unknown) => isAlreadyRunning(err) && (err as ApiError).message.includes(run));
    assert.ok(holder.pid !== undefined);
    process.kill(-holder.pid, 'SIGKILL');
    const lock = await waitFor(() => acquireOwnership(run), { timeoutMs: 30_000, what: 'lock free once the other namespace\'s holder died' });
    await lock.release();
  });

  it('names the missing tool when flock(1) is absent', async () => {
    const run = join(dir.path, 'run-c');
    mkdirSync(run);
    await assert.rejects(acquireFolderLock(run, { flockBinary: join(dir.path, 'no-such-flock') }),
      (err: unknown) => err instanceof ApiError && err.code === 'INTERNAL_ERROR' && err.message.includes('util-linux'));
  });
});
