/**
 * Chaos on the log folder: (1) it lives on a small file system that fills up: the processes keep
 * serving, the failure shows, a truncate through the kan API frees room, logging resumes and
 * nothing crashes; (2) a process's log file is deleted while it is written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, statSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTool, waitFor } from '@qsen/testkit';
import { NODE_NAMES, errorCodeOf, orderBody, startSystem, type LocalSystem, type NodeName } from '../support/index.js';

const run = promisify(execFile);
const LOG_FS_BYTES = 8 << 20;

let system: LocalSystem | undefined;
let mountedAt: string | undefined;
let skipReason: string | undefined;

function canMount(): string | undefined {
  for (const [tool, pkg] of [['mount', 'mount'], ['mkfs.ext4', 'e2fsprogs']] as const) {
    const found = requireTool(tool, pkg);
    if (typeof found !== 'string') return found.skip;
  }
  if (process.getuid?.() !== 0) {
    if (process.env['CI'] === 'true') throw new Error('mounting a small file system needs root; CI runs as root');
    console.error('\n!!! NOT ROOT: SKIPPING the full-log-folder test (mount needs root)\n');
    return 'needs root for mount';
  }
  return undefined;
}

/**
 * Mounts a small ext4 file system (a loop-mounted image, like the partition production logs live
 * on) over the log folder. A tmpfs is not used: it cannot collapse a file range, which the kans'
 * truncation needs (see docs/reliability.md). Returns a skip reason when no loop device is available.
 */
async function mountSmallLogFs(logs: string): Promise<string | undefined> {
  const image = `${logs}.img`;
  const fd = openSync(image, 'w');
  ftruncateSync(fd, LOG_FS_BYTES);
  closeSync(fd);
  await run('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  try {
    await run('mount', ['-o', 'loop', image, logs]);
  } catch (err) {
    const message = `no loop device to mount a small log file system (${String((err as { stderr?: string }).stderr ?? err).trim()}): SKIPPING`;
    console.error(`\n!!! ${message}\n`);
    return message;
  }
  mountedAt = logs;
  return undefined;
}

before(async () => {
  skipReason = canMount();
  system = await startSystem({
    prefix: 'qsen-chaos-logs-',
    prepare: async (home, { onStopped }) => {
      if (skipReason !== undefined) return;
      skipReason = await mountSmallLogFs(join(home, 'logs'));
      // Undone by the system's clean-up before its folder is removed, also when it never came up.
      if (mountedAt !== undefined) onStopped(unmountLogFs);
    },
  });
});

after(async () => {
  try {
    await system?.stop();
  } finally {
    if (mountedAt !== undefined) await run('umount', ['-l', mountedAt]).catch(() => undefined);
  }
});

/** Unmounts the small log file system; lazily when something still holds it, so that its folder can go. */
async function unmountLogFs(): Promise<void> {
  const at = mountedAt;
  if (at === undefined) return;
  try {
    await run('umount', [at]);
  } catch (err) {
    console.error(`umount ${at}: ${String((err as { stderr?: string }).stderr ?? err).trim()}: unmounting lazily`);
    await run('umount', ['-l', at]);
  }
  mountedAt = undefined;
}

/** The bytes of every `<prefix>-*.log` in the folder: at the local midnight a node starts a new day's file. */
function logBytesOf(logs: string, prefix: string): number {
  return readdirSync(logs).filter((n) => n.startsWith(`${prefix}-`)).reduce((sum, n) => sum + statSync(join(logs, n)).size, 0);
}

async function pidsOf(s: LocalSystem): Promise<Map<NodeName, number | null>> {
  const map = new Map<NodeName, number | null>();
  for (const node of NODE_NAMES) map.set(node, (await s.status(node)).pid);
  return map;
}

async function serveEverywhere(s: LocalSystem, orderId: bigint): Promise<void> {
  for (const node of NODE_NAMES) {
    const answer = await s.call(node, node === 'qsen' ? '/qsen/v1/status' : '/kan/v1/status', { identity: 'auditor' });
    assert.equal(answer.status, 200, `${node} serves`);
  }
  const order = await s.call('qsen', '/qsen/v1/sendOrder', { method: 'POST', identity: 'platform', body: orderBody(String(orderId)) });
  assert.equal(order.status, 200, `an order is routed: ${order.body.slice(0, 200)}`);
}

test('log folder on a small file system that fills up: serving goes on, the failure shows, truncate frees room', { timeout: 180_000 }, async (t) => {
  if (skipReason !== undefined) return t.skip(skipReason);
  assert.ok(system);
  const s = system;
  const logs = join(s.home, 'logs');
  const pids = await pidsOf(s);
  // Fill the folder with a log-like file until the disk is full.
  const filler = `filler-${new Date().toISOString().slice(0, 10)}.log`;
  const fd = openSync(join(logs, filler), 'a');
  const line = Buffer.from(`${'{"message":"filler line"}'.padEnd(1023, ' ')}\n`);
  try {
    for (;;) writeSync(fd, line);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  const fullAt = Date.now();
  // The processes keep serving while every log write fails (each request logs).
  for (let i = 0n; i < 5n; i++) await serveEverywhere(s, 9999000000000200000n + i);
  const status = JSON.parse((await s.call('kan0', '/kan/v1/status', { identity: 'auditor' })).body) as { system: { disks: { logs: { availableBytes: number; usePercent: number } } } };
  console.log(`full log folder: kan status disks.logs = ${JSON.stringify(status.system.disks.logs)}`);
  assert.ok(status.system.disks.logs.usePercent >= 99 || status.system.disks.logs.availableBytes < 65536, 'the kans report the full log disk');
  const failureReports = s.output().match(/logging: cannot write[^\n]*/g) ?? [];
  console.log(`full log folder: ${failureReports.length} logging-failure report(s) on the launcher's console${failureReports[0] ? `, e.g. "${failureReports[0]}"` : ''}`);
  for (const [node, pid] of pids) assert.equal((await s.status(node)).pid, pid, `${node} did not crash`);

  // Free the room through the API, as an operator would.
  const sizeBefore = logBytesOf(logs, 'kan0');
  const truncated = await s.call('kan1', `/kan/v1/logs/truncate?file=${encodeURIComponent(filler)}&keep=0`, { identity: 'operator', method: 'POST' });
  assert.equal(truncated.status, 200, truncated.body);
  const freedAt = Date.now();
  const fsAfter = statfsSync(logs);
  console.log(`full log folder: truncate answered ${truncated.body}; filler now ${statSync(join(logs, filler)).size} bytes, ${fsAfter.bavail * fsAfter.bsize} bytes free`);
  const after = JSON.parse((await s.call('kan0', '/kan/v1/status', { identity: 'auditor' })).body) as { system: { disks: { logs: { availableBytes: number } } } };
  assert.ok(after.system.disks.logs.availableBytes > 1 << 20, `room again: ${JSON.stringify(after.system.disks.logs)}`);
  // Logging resumes: each request to kan0 writes an access-log line; a broken file is reopened after 5 s.
  await waitFor(async () => {
    await s.call('kan0', '/kan/v1/version', { identity: 'auditor' });
    return logBytesOf(logs, 'kan0') > sizeBefore;
  }, { timeoutMs: 60_000, intervalMs: 500, what: 'kan0 writing its log again' });
  console.log(`full log folder: full for ${freedAt - fullAt} ms; kan0 logs again ${Date.now() - freedAt} ms after the truncate`);
  await serveEverywhere(s, 9999000000000200100n);
  for (const [node, pid] of pids) assert.equal((await s.status(node)).pid, pid, `${node} did not crash`);
});

test('a log file deleted while it is written: the process keeps serving, the logs API stays sane', { timeout: 120_000 }, async () => {
  assert.ok(system);
  const s = system;
  const logs = join(s.home, 'logs');
  const pids = await pidsOf(s);
  const victims = readdirSync(logs).filter((n) => n.startsWith('qsen-') || n.startsWith('kan2-'));
  assert.ok(victims.length >= 2, `log files to delete: ${victims.join(', ')}`);
  for (const name of victims) unlinkSync(join(logs, name));
  for (let i = 0n; i < 3n; i++) await serveEverywhere(s, 9999000000000300000n + i);
  for (const name of victims) {
    const tail = await s.call('kan0', `/kan/v1/logs/tail?file=${encodeURIComponent(name)}&bytes=256`, { identity: 'auditor' });
    assert.ok(tail.status === 200 || (tail.status === 404 && errorCodeOf(tail) === 'LOG_NOT_FOUND'), `tail of the deleted ${name}: ${tail.status} ${tail.body.slice(0, 200)}`);
  }
  const list = await s.call('kan0', '/kan/v1/logs', { identity: 'auditor' });
  assert.equal(list.status, 200);
  // Give the loggers time to notice (rotation or reopen), then report whether the files came back.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  await serveEverywhere(s, 9999000000000300010n);
  const back = victims.filter((name) => existsSync(join(logs, name)));
  console.log(`deleted log files: ${victims.join(', ')}; recreated while running: ${back.length ? back.join(', ') : 'none (lines go to the unlinked file until the next rotation or restart)'}`);
  for (const [node, pid] of pids) assert.equal((await s.status(node)).pid, pid, `${node} did not crash`);
  await s.waitAllAnswering(10_000);
});
