import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '@qsen/core';
import { makeTempDir, waitFor } from '@qsen/testkit';
import { acquireOwnership, readProcessStartTicks, readRecordedChildren, recordChildren, stopOrphans } from '../src/supervise/ownership.js';
import { createRecordingLogger, fixturePath, isAlive } from './recording-logger.js';

const spawned: ChildProcess[] = [];
function spawnFixture(name: string, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [fixturePath(name), ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  spawned.push(child);
  return child;
}
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
}

describe('state folder ownership', () => {
  const dir = makeTempDir('qsen-launcher-own-');
  after(() => {
    for (const child of spawned) if (child.pid !== undefined && isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    dir.remove();
  });

  it('lets one launcher at a time own a run folder and names the holder', async () => {
    const run = join(dir.path, 'run-a');
    mkdirSync(run);
    const lock = await acquireOwnership(run);
    assert.equal(readFileSync(lock.pidFile, 'utf8').trim(), String(process.pid));
    await assert.rejects(acquireOwnership(run), (err: unknown) => err instanceof ApiError && err.code === 'ALREADY_RUNNING' && err.message.includes(String(process.pid)));
    await lock.release();
    assert.equal(existsSync(lock.pidFile), false);
    const again = await acquireOwnership(run);
    await again.release();
  });

  it('frees the lock when its holder dies by SIGKILL', async () => {
    const run = join(dir.path, 'run-b');
    mkdirSync(run);
    const holder = spawnFixture('hold-lock.mjs', [run]);
    assert.match(await firstLine(holder), /locked/);
    await assert.rejects(acquireOwnership(run), (err: unknown) => err instanceof ApiError && err.code === 'ALREADY_RUNNING');
    holder.kill('SIGKILL');
    const lock = await waitFor(() => acquireOwnership(run), { what: 'lock free after SIGKILL' });
    await lock.release();
  });

  it('stops recorded orphans (SIGKILL for one that ignores SIGTERM) and spares a reused pid', async () => {
    const run = join(dir.path, 'run-c');
    mkdirSync(run);
    const polite = spawnFixture('forever.mjs');
    const stubborn = spawnFixture('ignore-term.mjs');
    await Promise.all([firstLine(polite), firstLine(stubborn)]);
    assert.ok(polite.pid !== undefined && stubborn.pid !== undefined);
    recordChildren(run, [{ name: 'kan0', pid: polite.pid }, { name: 'kan1', pid: stubborn.pid }]);
    const recorded = readRecordedChildren(run);
    assert.deepEqual(recorded.map((r) => r.pid), [polite.pid, stubborn.pid]);
    assert.equal(recorded[0]?.startTicks, readProcessStartTicks(polite.pid));
    // A record naming this test's own pid with another start time: a reused pid, not ours.
    const file = join(run, 'children.json');
    const withReused = [...recorded, { name: 'qsen', pid: process.pid, startTicks: '1' }];
    writeFileSync(file, JSON.stringify(withReused));

    const outcomes = await stopOrphans(run, { graceMs: 300, logger: createRecordingLogger() });
    assert.deepEqual(outcomes.map((o) => [o.name, o.outcome]), [['kan0', 'terminated'], ['kan1', 'killed'], ['qsen', 'gone']]);
    await waitFor(() => !isAlive(polite.pid as number) && !isAlive(stubborn.pid as number), { what: 'orphans gone' });
    assert.equal(existsSync(file), false, 'the record is cleared');
  });
});
