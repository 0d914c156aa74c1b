import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@qsen/testkit';
import { createSupervisor, type ProcessSpec, type Supervisor, type SupervisorEvent } from '../src/supervise/supervisor.js';
import { ApiError } from '@qsen/core';
import { createRecordingLogger, fixturePath, isAlive } from './recording-logger.js';

const clock = { now: () => Date.now() };

function nodeSpec(name: ProcessSpec['name'], fixture: string, restart: ProcessSpec['restart'], args: string[] = []): ProcessSpec {
  return { name, command: process.execPath, args: [fixturePath(fixture), ...args], restart };
}

const supervisors: Supervisor[] = [];
function track(supervisor: Supervisor): Supervisor {
  supervisors.push(supervisor);
  return supervisor;
}
after(async () => {
  await Promise.all(supervisors.map((s) => s.close()));
});

describe('Supervisor', () => {
  it('starts, stops and restarts a process; the invocation grows by one per start', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([nodeSpec('kan0', 'forever.mjs', 'always', ['--index', '0'])], { clock, logger }));
    assert.equal(sup.status('kan0').state, 'stopped');
    assert.equal(sup.status('kan0').invocation, 0);

    const first = await sup.start('kan0');
    assert.equal(first.state, 'running');
    assert.equal(first.invocation, 1);
    assert.ok(first.pid !== null && isAlive(first.pid));
    assert.ok(first.startedAt !== null);
    await waitFor(() => logger.lines.some((l) => l.message.startsWith('forever ready') && l.meta['process'] === 'kan0' && l.meta['stream'] === 'stdout'), { what: 'child stdout in the launcher log' });
    assert.ok(logger.lines.some((l) => l.message.includes('args=--index 0')));

    const again = await sup.start('kan0');
    assert.equal(again.pid, first.pid, 'start of a running process is a no-op');
    assert.equal(again.invocation, 1);

    const restarted = await sup.restart('kan0');
    assert.equal(restarted.invocation, 2);
    assert.notEqual(restarted.pid, first.pid);
    assert.equal(isAlive(first.pid), false);
    assert.equal(restarted.lastExit?.code, 0, 'the old invocation exited through its SIGTERM handler');

    const stopped = await sup.stop('kan0');
    assert.equal(stopped.state, 'stopped');
    assert.equal(stopped.pid, null);
    assert.equal(stopped.starts, 2);
    assert.equal(stopped.restartAt, null, 'a requested stop is not followed by an automatic restart');
    assert.ok(restarted.pid !== null && !isAlive(restarted.pid));
  });

  it('SIGKILLs a process that ignores SIGTERM once the grace period is over', async () => {
    const logger = createRecordingLogger();
    const graceMs = 400;
    const sup = track(createSupervisor([nodeSpec('kan1', 'ignore-term.mjs', 'always')], { clock, logger, stopGraceMs: graceMs }));
    const started = await sup.start('kan1');
    await waitFor(() => logger.lines.some((l) => l.message.startsWith('ignore-term ready')), { what: 'ignore-term ready' });
    const t0 = Date.now();
    const stopped = await sup.stop('kan1');
    const elapsed = Date.now() - t0;
    assert.equal(stopped.lastExit?.signal, 'SIGKILL');
    assert.ok(elapsed >= graceMs - 20, `stop took ${elapsed} ms, grace ${graceMs} ms`);
    assert.ok(logger.lines.some((l) => l.message === 'ignore-term: SIGTERM ignored'), 'SIGTERM was delivered first');
    assert.ok(started.pid !== null && !isAlive(started.pid));
  });

  it('stops a SIGSTOPped process with SIGTERM + SIGCONT, without waiting for SIGKILL', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([nodeSpec('kan2', 'forever.mjs', 'always')], { clock, logger, stopGraceMs: 5000 }));
    const started = await sup.start('kan2');
    assert.ok(started.pid !== null);
    await waitFor(() => logger.lines.some((l) => l.message.startsWith('forever ready')), { what: 'ready' });
    process.kill(started.pid, 'SIGSTOP');
    const t0 = Date.now();
    const stopped = await sup.stop('kan2');
    assert.equal(stopped.lastExit?.code, 0, 'the SIGTERM handler ran after SIGCONT');
    assert.equal(stopped.lastExit?.signal, null);
    assert.ok(Date.now() - t0 < 4000);
  });

  it('SIGKILLs a hung process (blocked event loop) after the grace period', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([nodeSpec('qsen', 'hang.mjs', 'never')], { clock, logger, stopGraceMs: 300 }));
    await sup.start('qsen');
    await waitFor(() => logger.lines.some((l) => l.message.startsWith('hang ready')), { what: 'hang ready' });
    const stopped = await sup.stop('qsen');
    assert.equal(stopped.lastExit?.signal, 'SIGKILL');
  });

  it('restarts a kan-like process that exits, with a growing back-off', async () => {
    const logger = createRecordingLogger();
    const events: SupervisorEvent[] = [];
    const sup = track(createSupervisor([nodeSpec('kan0', 'exit-code.mjs', 'always', ['7'])], {
      clock, logger, restartPolicy: { initialDelayMs: 100, maxDelayMs: 400, stableAfterMs: 10_000 },
    }));
    sup.subscribe((e) => events.push(e));
    await sup.start('kan0');
    await waitFor(() => sup.status('kan0').starts >= 4, { timeoutMs: 10_000, what: 'four starts' });
    const delays = events.flatMap((e) => (e.type === 'restart-scheduled' ? [e.delayMs] : []));
    assert.deepEqual(delays.slice(0, 3), [100, 200, 400]);
    const exits = events.flatMap((e) => (e.type === 'exited' ? [e] : []));
    assert.equal(exits[0]?.exit.code, 7);
    assert.equal(exits[0]?.requested, false);
    assert.ok(logger.lines.some((l) => l.message === 'exit-code leaving with 7' && l.meta['stream'] === 'stderr'));
    const status = sup.status('kan0');
    assert.ok(status.consecutiveCrashes >= 3);
    assert.ok(status.invocation >= 4);
    const stopped = await sup.stop('kan0');
    assert.equal(stopped.restartAt, null, 'stop cancels a pending restart');
    const startsAfterStop = stopped.starts;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(sup.status('kan0').starts, startsAfterStop, 'no restart after a requested stop');
  });

  it('never restarts a qsen-like process (restart: never) that exits', async () => {
    const logger = createRecordingLogger();
    const events: SupervisorEvent[] = [];
    const sup = track(createSupervisor([nodeSpec('qsen', 'exit-code.mjs', 'never', ['0'])], {
      clock, logger, restartPolicy: { initialDelayMs: 50 },
    }));
    sup.subscribe((e) => events.push(e));
    await sup.start('qsen');
    await waitFor(() => events.some((e) => e.type === 'exited'), { what: 'qsen exit' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const status = sup.status('qsen');
    assert.equal(status.state, 'stopped');
    assert.equal(status.starts, 1);
    assert.equal(status.restartAt, null);
    assert.equal(status.lastExit?.code, 0);
    assert.equal(events.some((e) => e.type === 'restart-scheduled'), false);
  });

  it('keeps the stderr line that explains the last exit, with its code and time', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([nodeSpec('kan2', 'exit-code.mjs', 'never', ['2'])], { clock, logger }));
    const before = Date.now();
    await sup.start('kan2');
    // The line may be read just after the exit: wait for it, with a deadline.
    const exit = await waitFor(() => { const e = sup.status('kan2').lastExit; return e?.line ? e : null; }, { what: 'the explaining line' });
    assert.equal(exit.code, 2);
    assert.equal(exit.signal, null);
    assert.equal(exit.line, 'exit-code leaving with 2');
    assert.ok(Date.parse(exit.at) >= before - 1000);
  });

  it('serializes concurrent verbs on one process', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([nodeSpec('kan1', 'forever.mjs', 'always')], { clock, logger }));
    const [a, b] = await Promise.all([sup.start('kan1'), sup.start('kan1')]);
    assert.equal(a.invocation, 1);
    assert.equal(b.invocation, 1, 'the second start found it running');
    assert.equal(b.pid, a.pid);
    const [r1, r2] = await Promise.all([sup.restart('kan1'), sup.restart('kan1')]);
    assert.deepEqual([r1.invocation, r2.invocation], [2, 3]);
    assert.notEqual(r1.pid, r2.pid);
    assert.ok(r1.pid !== null && !isAlive(r1.pid));
    assert.equal(sup.status('kan1').starts, 3);
  });

  it('kills what a process left in its process group when it is stopped', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([nodeSpec('simulator', 'with-grandchild.mjs', 'always')], { clock, logger, stopGraceMs: 2000 }));
    await sup.start('simulator');
    const line = await waitFor(() => logger.lines.find((l) => l.message.startsWith('grandchild pid=')), { what: 'grandchild pid' });
    const grandchild = Number(line.message.slice('grandchild pid='.length));
    assert.ok(isAlive(grandchild));
    await sup.stop('simulator');
    await waitFor(() => !isAlive(grandchild), { timeoutMs: 5000, what: 'grandchild gone' });
  });

  it('reports an unknown process and a program that cannot be spawned with registry errors', async () => {
    const logger = createRecordingLogger();
    const sup = track(createSupervisor([{ name: 'qsen', command: '/nonexistent/qsen-binary', args: [], restart: 'never' }], {
      clock, logger, deathSignalHelper: null,
    }));
    assert.throws(() => sup.status('kan9'), (err: unknown) => err instanceof ApiError && err.code === 'UNKNOWN_PROCESS' && err.status === 404);
    await assert.rejects(sup.start('qsen'), (err: unknown) => err instanceof ApiError && err.code === 'START_FAILED');
    assert.equal(sup.status('qsen').state, 'stopped');
  });

  it('refuses starts once closed and stops every process tier by tier', async () => {
    const logger = createRecordingLogger();
    const events: SupervisorEvent[] = [];
    const sup = createSupervisor([
      nodeSpec('simulator', 'forever.mjs', 'always'),
      nodeSpec('qsen', 'forever.mjs', 'never'),
      nodeSpec('kan0', 'forever.mjs', 'always'),
      nodeSpec('kan1', 'forever.mjs', 'always'),
    ], { clock, logger });
    sup.subscribe((e) => events.push(e));
    for (const name of sup.names()) await sup.start(name);
    const pids = sup.list().map((s) => s.pid);
    await sup.close([['kan0', 'kan1'], ['qsen']]);
    const exitOrder = events.flatMap((e) => (e.type === 'exited' ? [e.name] : []));
    assert.deepEqual(exitOrder.slice(2), ['qsen', 'simulator']);
    assert.deepEqual(new Set(exitOrder.slice(0, 2)), new Set(['kan0', 'kan1']));
    for (const pid of pids) assert.ok(pid !== null && !isAlive(pid));
    await assert.rejects(sup.start('kan0'), (err: unknown) => err instanceof ApiError && err.code === 'LAUNCHER_CLOSING');
  });
});
