// The hardening suites' starter (test/support/system.ts) when a system does not come up: the
// clean-up steps `prepare` registered (in the suites: umount of a file system mounted inside the
// state folder) run before the folder is removed, and the error that is thrown is the one that
// says why, not one from the clean-up. Before, the folder was removed first, and the rmdir of a
// mount point (EBUSY) replaced the reason. Each test is one `init` (about 3 s of CPU; 20 s of wall
// time at load 11 on 2 cores) and, in the second, a launcher stopped at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startSystem } from '../support/index.js';

test('a preparation that fails: its clean-up steps run while the folder is still there, then the folder goes, and its error is the one thrown', { timeout: 120_000 }, async () => {
  let home = '';
  const ran: string[] = [];
  await assert.rejects(startSystem({
    prefix: 'qsen-start-system-prepare-',
    prepare: (h, { onStopped }) => {
      home = h;
      onStopped(() => { ran.push(existsSync(h) ? 'first, folder present' : 'first, folder gone'); });
      onStopped(() => { ran.push('second'); throw new Error('the clean-up failed too'); });
      throw new Error('planted preparation failure');
    },
  }), /planted preparation failure/);
  assert.deepEqual(ran, ['first, folder present', 'second'], 'every step ran, in order, before the folder was removed');
  assert.equal(existsSync(home), false, 'the folder was removed although a step failed');
});

test('a system that does not come up in time: the error says so with the launcher output, the clean-up steps ran before the folder went', { timeout: 120_000 }, async () => {
  let home = '';
  const ran: string[] = [];
  await assert.rejects(startSystem({
    prefix: 'qsen-start-system-ready-',
    readyTimeoutMs: 1,
    prepare: (h, { onStopped }) => {
      home = h;
      onStopped(() => { ran.push(existsSync(h) ? 'folder present' : 'folder gone'); throw new Error('umount: target is busy'); });
    },
  }), (err: Error) => {
    assert.match(err.message, /^the system did not come up: timed out after/);
    assert.match(err.message, /stopping it failed too: Error: umount: target is busy/);
    return true;
  });
  assert.deepEqual(ran, ['folder present']);
  assert.equal(existsSync(home), false);
});
