import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { QsenConfig, WindowState } from '@qsen/core';
import { describeReady, paintReady, READY_PREFIX, wantsColor } from '../src/console/ready.js';

const config = { server: { qsen_port: 8443, kan_ports: [8444, 8445, 8446] } } as unknown as QsenConfig;
const open: WindowState = { open: true, reason: 'open', localDate: '2026-11-23', localTime: '11:00:00', weekday: 'mon', nextChangeAt: Date.parse('2026-11-23T20:30:00Z') };
const closed: WindowState = { ...open, open: false, reason: 'day_off', nextChangeAt: Date.parse('2026-11-24T13:30:00Z') };

describe('the READY line', () => {
  it('is one line with every URL and the qsen status curl', () => {
    const line = describeReady({ home: '/h', config, window: open, answering: ['simulator', 'qsen', 'kan0', 'kan1', 'kan2'] });
    assert.ok(line.startsWith(READY_PREFIX));
    assert.equal(line.includes('\n'), false);
    for (const part of ['(simulator, qsen, kan0, kan1, kan2)', 'qsen https://localhost:8443', 'kans https://localhost:8444 https://localhost:8445 https://localhost:8446',
      'try: curl --cacert /h/pki/ca.crt --cert /h/pki/clients/platform.crt --key /h/pki/clients/platform.key https://localhost:8443/qsen/v1/status']) {
      assert.ok(line.includes(part), `${part} in ${line}`);
    }
  });

  it('says qsen is down outside the window and points curl at kan 0', () => {
    const line = describeReady({ home: '/h', config, window: closed, answering: ['simulator', 'kan0', 'kan1', 'kan2'] });
    assert.ok(line.includes('qsen down (trading window closed; the kans start it at 2026-11-24T13:30:00.000Z)'), line);
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
