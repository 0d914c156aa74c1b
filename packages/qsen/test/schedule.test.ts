import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '@qsen/testkit';
import { evaluateWindow, type ScheduleConfig } from '@qsen/core';
import { createMarketHours } from '../src/orders/market.js';
import { orderJson, startHarness, type Harness } from './support/node.js';

// Buenos Aires is UTC-3 all year. 2026-11-20 is a Friday; 2026-11-23 (Monday) is listed as a holiday.
const schedule = [
  'timezone = "America/Argentina/Buenos_Aires"',
  'start = "10:30"',
  'stop = "17:30"',
  'days = ["mon", "tue", "wed", "thu", "fri"]',
  'holidays = ["2026-11-23"]',
].join('\n');

describe('MARKET_CLOSED follows the configured window in its time zone (injected clock)', () => {
  const clock = new ManualClock(Date.parse('2026-11-20T13:30:00.000Z'));
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await startHarness({ clock, settings: { schedule } });
  });
  after(async () => {
    await h.close();
  });

  async function sendAt(iso: string): Promise<{ status: number; code: unknown }> {
    clock.set(Date.parse(iso));
    n += 1;
    const r = await h.call('POST', '/qsen/v1/sendOrder', orderJson(`99990000000000020${String(n).padStart(2, '0')}`));
    return { status: r.status, code: (r.json['error'] as Record<string, unknown> | undefined)?.['code'] };
  }

  test('edges of a trading day: 10:29:59.999 closed, 10:30 open, 17:29:59.999 open, 17:30 closed (local time)', async () => {
    assert.deepEqual(await sendAt('2026-11-20T13:29:59.999Z'), { status: 409, code: 'MARKET_CLOSED' });
    assert.equal((await sendAt('2026-11-20T13:30:00.000Z')).status, 200);
    assert.equal((await sendAt('2026-11-20T20:29:59.999Z')).status, 200);
    assert.deepEqual(await sendAt('2026-11-20T20:30:00.000Z'), { status: 409, code: 'MARKET_CLOSED' });
  });

  test('the window is local: 11:00 UTC (08:00 in Buenos Aires) is closed, 02:00 UTC Saturday is still Friday 23:00 there, closed', async () => {
    assert.deepEqual(await sendAt('2026-11-20T11:00:00.000Z'), { status: 409, code: 'MARKET_CLOSED' });
    assert.deepEqual(await sendAt('2026-11-21T02:00:00.000Z'), { status: 409, code: 'MARKET_CLOSED' });
  });

  test('weekend and holiday are closed; the next working day opens at start', async () => {
    assert.deepEqual(await sendAt('2026-11-21T15:00:00.000Z'), { status: 409, code: 'MARKET_CLOSED' });
    assert.deepEqual(await sendAt('2026-11-23T15:00:00.000Z'), { status: 409, code: 'MARKET_CLOSED' });
    assert.equal((await sendAt('2026-11-24T13:30:00.000Z')).status, 200);
  });

  test('status shows the window now and its next change; closed orders never reach SENEBI', async () => {
    clock.set(Date.parse('2026-11-20T20:30:00.000Z'));
    const status = await h.call('GET', '/qsen/v1/status');
    const window = status.json['window'] as Record<string, unknown>;
    assert.equal(window['open'], false);
    assert.equal(window['reason'], 'after_stop');
    assert.equal(window['localTime'], '17:30:00');
    assert.equal(window['nextChangeAt'], '2026-11-24T13:30:00.000Z');
    assert.equal(h.senebi.posts.size, 3);
    assert.equal(h.audit.filter((e) => e.outcome === 'refused' && e.code === 'MARKET_CLOSED').length, 6);
  });
});

test('the cached window answer is the same as evaluating every time, going forwards and backwards in time', () => {
  const literal: ScheduleConfig = { timezone: 'America/Argentina/Buenos_Aires', start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2026-11-23'], kan_restart: '00:05', kan_restart_stagger_minutes: 2 };
  const isOpen = createMarketHours(literal);
  const start = Date.parse('2026-11-19T00:00:00.000Z');
  const instants = Array.from({ length: 400 }, (_, i) => start + i * 37 * 60_000 + (i % 7) * 999);
  for (const at of [...instants, ...[...instants].reverse(), Date.parse('2026-11-20T13:29:59.999Z'), Date.parse('2026-11-20T13:30:00.000Z')]) {
    assert.equal(isOpen(at), evaluateWindow(literal, at).open, new Date(at).toISOString());
  }
});
