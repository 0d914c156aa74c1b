import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEventPrinter } from '../src/console/event-printer.js';
import { diagnoseStartFailure, recogniseStartFailure } from '../src/console/start-failure.js';
import type { SupervisorEvent } from '../src/supervise/supervisor.js';

const exit = { code: 2, signal: null, at: '2026-12-01T00:00:00.000Z' };
const base = { name: 'kan0' as const, exit, configFile: '/h/conf.toml', logsDir: '/h/logs' };

describe('start failure diagnosis', () => {
  it('names a busy port and the setting to change', () => {
    const f = recogniseStartFailure({ ...base, stderr: ['kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444'] });
    assert.equal(f?.kind, 'port-in-use');
    assert.match(f?.cause ?? '', /port 8444 is already in use/);
    assert.match(f?.fix ?? '', /\/h\/conf\.toml \(\[server\] kan_ports\)/);
  });
  it('names the first configuration problem, and waits for it while lines may follow', () => {
    const header = 'qsen: invalid configuration /h/conf.toml (2 problems):';
    assert.equal(recogniseStartFailure({ ...base, name: 'qsen', stderr: [header] }, { complete: false }), null);
    const f = recogniseStartFailure({ ...base, name: 'qsen', stderr: [header, 'server.qsen_port: must be an integer', 'tls.ca: file not found: /x'] });
    assert.equal(f?.kind, 'bad-config');
    assert.equal(f?.cause, 'bad configuration /h/conf.toml: server.qsen_port: must be an integer (and 1 more)');
  });
  it('names a wrong passphrase and a broken certificate', () => {
    assert.equal(recogniseStartFailure({ ...base, name: 'qsen', stderr: ['qsen: cannot start: SENEBI identity: WRONG_PASSPHRASE: the passphrase in /p does not open /k'] })?.kind, 'wrong-passphrase');
    assert.equal(recogniseStartFailure({ ...base, stderr: ['kan: cannot listen: error:0480006C:PEM routines::no start line'] })?.kind, 'broken-certificate');
  });
  it('falls back to the last stderr line, and says nothing without one', () => {
    assert.equal(diagnoseStartFailure({ ...base, stderr: ['boom', ''] })?.cause, 'boom');
    assert.equal(diagnoseStartFailure({ ...base, stderr: [] }), null);
  });
});

describe('event printer', () => {
  it('says the cause once, after the exit and before the back-off, even when stderr arrives late', () => {
    const printed: string[] = [];
    const timers: (() => void)[] = [];
    const printer = createEventPrinter({
      print: (l) => printed.push(l), describe: (e) => `${e.type} ${e.name}`, configFile: '/h/conf.toml', logsDir: '/h/logs',
      setTimer: (fn) => { timers.push(fn); return {}; }, clearTimer: () => undefined,
    });
    const exited: SupervisorEvent = { type: 'exited', name: 'kan0', pid: 5, exit, requested: false };
    const restart: SupervisorEvent = { type: 'restart-scheduled', name: 'kan0', delayMs: 1000, consecutiveCrashes: 1 };
    for (let round = 0; round < 2; round++) {
      printer.event({ type: 'started', name: 'kan0', pid: 5, invocation: round + 1 });
      printer.event(exited);
      printer.event(restart);
      printer.stderr('kan0', 'kan: cannot listen: listen EADDRINUSE: address already in use :::8444');
    }
    assert.deepEqual(printed.map((l) => l.replace(/\(code 2\): port 8444.*/, 'CAUSE')), [
      'started kan0', 'exited kan0', 'launcher: kan0 cannot start CAUSE', 'restart-scheduled kan0',
      'started kan0', 'exited kan0', 'restart-scheduled kan0',
    ]);
  });
  it('flushes with the last line when nothing is recognised before the timer', () => {
    const printed: string[] = [];
    let fire: () => void = () => undefined;
    const printer = createEventPrinter({
      print: (l) => printed.push(l), describe: (e) => `${e.type} ${e.name}`, configFile: '/h/conf.toml', logsDir: '/h/logs',
      setTimer: (fn) => { fire = fn; return {}; }, clearTimer: () => undefined,
    });
    printer.stderr('qsen', 'something odd');
    printer.event({ type: 'exited', name: 'qsen', pid: 5, exit, requested: false });
    assert.deepEqual(printed, []);
    fire();
    assert.equal(printed[0], 'exited qsen');
    assert.match(printed[1] ?? '', /qsen cannot start \(code 2\): something odd\. Fix: see qsen-\*\.log/);
  });
});
