import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeWindow, type QsenConfig, type ScheduleConfig } from '@qsen/core';
import { buildCurlCommand, describeInit, describeLocalSystem } from '../src/console/summary.js';
import type { ProcessStatus } from '@qsen/kan';

const config = {
  file: '/h/conf.toml',
  server: { listen: '127.0.0.1', qsen_port: 8443, kan_ports: [8444, 8445, 8446], host_names: [] },
  senebi: { url: 'https://127.0.0.1:9443' },
  paths: { logs: '/h/logs', data: '/h/data', run: '/h/run', install: '/repo' },
  node_exporter: { url: 'http://127.0.0.1:9100' },
} as unknown as QsenConfig;

const schedule: ScheduleConfig = { timezone: 'America/Argentina/Buenos_Aires', start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [], kan_restart: '00:05', kan_restart_stagger_minutes: 2 };
// Monday 2026-11-23 11:00 in Buenos Aires (open), and Sunday the 22nd (closed until Monday 10:30).
const open = describeWindow(schedule, Date.parse('2026-11-23T14:00:00Z'));
const closed = describeWindow(schedule, Date.parse('2026-11-22T14:00:00Z'));

function status(name: ProcessStatus['name'], pid: number | null): ProcessStatus {
  return { name, state: pid === null ? 'stopped' : 'running', pid, invocation: 1, startedAt: null, starts: 1, lastExit: null, restartAt: null, consecutiveCrashes: 0 };
}
const processes = [status('simulator', 11), status('qsen', 12), status('kan0', 13), status('kan1', 14), status('kan2', 15), status('node_exporter', 16)];

describe('console summary', () => {
  it('builds the curl command with the platform certificate', () => {
    assert.equal(buildCurlCommand('/h', 'https://localhost:8443/qsen/v1/status'),
      'curl --cacert /h/pki/ca.crt --cert /h/pki/clients/platform.crt --key /h/pki/clients/platform.key https://localhost:8443/qsen/v1/status');
  });

  it('says where everything is and shows the qsen status curl when the window is open', () => {
    const text = describeLocalSystem({ home: '/h', config, controlSocket: '/h/run/control.sock', window: open, processes, nodeExporter: '/usr/bin/prometheus-node-exporter', launcherPid: 10 }).join('\n');
    for (const expected of ['state folder   /h', 'logs           /h/logs', 'control socket /h/run/control.sock', 'https://127.0.0.1:9443  (pid 11',
      'qsen           https://localhost:8443  (pid 12)', 'kan 2          https://localhost:8446  (pid 15)', 'node_exporter  http://127.0.0.1:9100  (pid 16)',
      'https://localhost:8443/qsen/v1/status', 'trading window open, closes at 2026-11-23 17:30 -03:00 (20:30Z)']) {
      assert.ok(text.includes(expected), `${expected} in\n${text}`);
    }
  });

  it('says qsen is down outside the window, names a missing node_exporter, and points curl at kan 0', () => {
    const text = describeLocalSystem({ home: '/h', config, controlSocket: '/h/run/control.sock', window: closed, processes, nodeExporter: null, launcherPid: 10 }).join('\n');
    assert.ok(text.includes('DOWN: outside the trading window (day_off); the kans start it at 2026-11-23 10:30 -03:00 (13:30Z)'), text);
    assert.ok(text.includes('trading window closed (day_off), opens at 2026-11-23 10:30 -03:00 (13:30Z)'), text);
    assert.ok(text.includes('NOT STARTED: /usr/bin/prometheus-node-exporter is not installed'));
    assert.ok(text.includes('https://localhost:8444/kan/v1/status'));
  });

  it('says a window open all day as such, not a far-off date', () => {
    const allDay = describeWindow({ ...schedule, start: '00:00', stop: '24:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }, Date.parse('2026-11-23T14:00:00Z'));
    const text = describeLocalSystem({ home: '/h', config, controlSocket: '/h/run/control.sock', window: allDay, processes, nodeExporter: null, launcherPid: 10 }).join('\n');
    assert.ok(text.includes('trading window open all day, every day (America/Argentina/Buenos_Aires)'), text);
    assert.doesNotMatch(text, /2027|2028/);
  });

  it('lists what init created and kept', () => {
    assert.deepEqual(describeInit({ home: '/h', configFile: '/h/conf.toml', created: ['conf.toml'], kept: ['pki/ca.crt'] }),
      ['state folder /h', '  created: conf.toml', '  kept:    pki/ca.crt']);
    assert.deepEqual(describeInit({ home: '/h', configFile: '/h/conf.toml', created: [], kept: [] }),
      ['state folder /h', '  created: nothing (everything was already there)']);
  });
});
