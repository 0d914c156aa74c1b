import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeWindow, type QsenConfig, type ScheduleConfig } from '@qsen/core';
import { describeReady, paintReady, READY_PREFIX, wantsColor } from '../src/console/ready.js';

const config = { server: { qsen_port: 8443, kan_ports: [8444, 8445, 8446] } } as unknown as QsenConfig;
const schedule: ScheduleConfig = { timezone: 'America/Argentina/Buenos_Aires', start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: [], kan_restart: '00:05', kan_restart_stagger_minutes: 2 };
// Monday 2026-11-23 11:00 in Buenos Aires (open), and Sunday the 22nd (closed until Monday 10:30).
const open = describeWindow(schedule, Date.parse('2026-11-23T14:00:00Z'));
const closed = describeWindow(schedule, Date.parse('2026-11-22T14:00:00Z'));

describe('the READY line', () => {
  it('is one line with every URL and the qsen status curl', () => {
    const line = describeReady({ home: '/h', config, window: open, answering: ['simulator', 'qsen', 'kan0', 'kan1', 'kan2'] });
    assert.ok(line.startsWith(READY_PREFIX));
    assert.equal(line.includes('\n'), false);
    for (const part of ['(simulator, qsen, kan0, kan1, kan2)', 'qsen https://localhost:8443', 'kans https://localhost:8444 https://localhost:8445 https://localhost:8446', 'console https://localhost:8444/kan/v1/console/',
      'try: curl --cacert /h/pki/ca.crt --cert /h/pki/clients/platform.crt --key /h/pki/clients/platform.key https://localhost:8443/qsen/v1/status']) {
      assert.ok(line.includes(part), `${part} in ${line}`);
    }
  });

  it('says qsen is down outside the window and points curl at kan 0', () => {
    const line = describeReady({ home: '/h', config, window: closed, answering: ['simulator', 'kan0', 'kan1', 'kan2'] });
    assert.ok(line.includes('qsen down (outside the trading window; the kans start it at 2026-11-23 10:30 -03:00 (13:30Z))'), line);
    assert.ok(line.endsWith('https://localhost:8444/kan/v1/status'), line);
  });

  it('is coloured only on a terminal without NO_COLOR', () => {
    assert.equal(wantsColor({ isTTY: true }, {}), true);
    assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(wantsColor({ isTTY: false }, {}), false);
    assert.equal(wantsColor({}, {}), false);
    assert.equal(paintReady('x', false), 'x');
    assert.equal(paintReady('x', true), '\u001b[1;32mx\u001b[0m');
  });
});
