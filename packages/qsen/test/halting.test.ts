/**
 * Halting from every channel (src/killswitch/halting.ts): the halt is in force before the mass
 * cancel starts, the request is in the marker first, a halt while a run goes joins it, and the
 * marker's requests (the shell command's, one after another) are each picked up once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type AuditEntry } from '@qsen/core';
import { makeTempDir, ManualClock } from '@qsen/testkit';
import { createHalting } from '../src/killswitch/halting.js';
import { openKillSwitch } from '../src/killswitch/killswitch.js';
import type { MassCancel, MassCancelReport, MassCancelRequest } from '../src/killswitch/mass-cancel.js';

function fakeMassCancel(haltedAtStart: () => boolean): { massCancel: MassCancel; started: MassCancelRequest[]; finish(): void } {
  const started: MassCancelRequest[] = [];
  let running: MassCancelReport | undefined;
  const report = (request: MassCancelRequest, state: 'running' | 'done'): MassCancelReport => ({
    run: request.run ?? 'generated', state, by: request.by, channel: request.channel, reason: request.reason, startedAt: '', listing: 'ok', resumed: 0, journaled: true,
    total: 0, pending: 0, cancelled: [], alreadyMatched: [], notOpen: [], failed: [], orphans: [],
  });
  const massCancel: MassCancel = {
    async start(request) {
      assert.ok(haltedAtStart(), 'the halt is in force before the mass cancel starts');
      if (running?.state === 'running') return running;
      started.push(request);
      running = report(request, 'running');
      return running;
    },
    resume: async () => undefined,
    report: () => running,
    isRunning: () => running?.state === 'running',
    knows: (run) => started.some((r) => r.run === run),
    settle: async () => running,
    stop: async () => undefined,
  };
  return { massCancel, started, finish: () => { if (running) running = { ...running, state: 'done' }; } };
}

test('halting: cancelOpen writes the request into the marker before the run starts; without it nothing starts; a halt during a run joins it', async () => {
  const dir = makeTempDir('qsen-halting-');
  try {
    const killSwitch = openKillSwitch(dir.path, { retryMs: 0 });
    const fake = fakeMassCancel(() => killSwitch.isHalted() && killSwitch.read().cancelOpen !== undefined);
    const audit: AuditEntry[] = [];
    const halting = createHalting({ killSwitch, massCancel: fake.massCancel, clock: new ManualClock(Date.parse('2026-12-01T14:00:00Z')), audit: { record: (e) => audit.push(e) } });
    const plain = await halting.halt({ by: 'CN=ops', channel: 'api', reason: 'drill', cancelOpen: false });
    assert.equal(plain.massCancel, undefined);
    assert.equal(killSwitch.read().cancelOpen, undefined);
    assert.equal(fake.started.length, 0);
    const pulled = await halting.halt({ by: 'CN=ops', channel: 'api', reason: 'pull', cancelOpen: true, requestId: 'r9' });
    const run = killSwitch.read().cancelOpen?.run;
    assert.ok(run);
    assert.equal(pulled.massCancel?.run, run);
    const joined = await halting.halt({ by: 'deadman', channel: 'deadman', cancelOpen: true });
    assert.equal(joined.massCancel?.run, run, 'joined the run going on');
    assert.equal(killSwitch.read().cancelOpen?.run, run, 'the marker keeps pointing at it');
    assert.equal(fake.started.length, 1);
    assert.deepEqual(audit.map((e) => [e.action, e.subject, e.details?.['channel'], e.details?.['cancelOpen']]), [
      ['halt', 'CN=ops', 'api', false], ['halt', 'CN=ops', 'api', true], ['halt', 'deadman', 'deadman', true],
    ]);
  } finally {
    dir.remove();
  }
});

test('halting: requests the shell command leaves in the marker are picked up once each, one after another', async () => {
  const dir = makeTempDir('qsen-halting-');
  try {
    const killSwitch = openKillSwitch(dir.path, { retryMs: 0 });
    const fake = fakeMassCancel(() => killSwitch.isHalted());
    const halting = createHalting({ killSwitch, massCancel: fake.massCancel, clock: new ManualClock(0), audit: { record: () => undefined } });
    assert.equal(await halting.pickUpRequests(), undefined, 'no marker, nothing to do');
    // What qsen-admin halt --cancel-open writes (another process, the same file).
    openKillSwitch(dir.path, { retryMs: 0 }).halt('local:ops', 'shell', new Date(0), { run: 'run-1', requestedAt: new Date(0).toISOString(), channel: 'local' });
    assert.equal((await halting.pickUpRequests())?.run, 'run-1');
    assert.equal(await halting.pickUpRequests(), undefined, 'taken once');
    fake.finish();
    assert.equal(await halting.pickUpRequests(), undefined);
    openKillSwitch(dir.path, { retryMs: 0 }).halt('local:ops', 'again', new Date(0), { run: 'run-2', requestedAt: new Date(0).toISOString(), channel: 'local' });
    assert.equal((await halting.pickUpRequests())?.run, 'run-2', 'a later request is picked up too');
    assert.deepEqual(fake.started.map((r) => [r.run, r.by, r.channel, r.reason]), [['run-1', 'local:ops', 'local', 'shell'], ['run-2', 'local:ops', 'local', 'again']]);
  } finally {
    dir.remove();
  }
});
