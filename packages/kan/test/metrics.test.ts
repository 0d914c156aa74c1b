// kan_trading_window_open: the kan's view of the trading window (days, hours, holidays, time
// zone) at its injected clock, evaluated at every scrape, so an alert can tell "qsen down inside
// the window" even while qsen itself cannot be scraped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { initClusterPki } from '@qsen/pki';
import { loadConfig } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall, makeTempDir, ManualClock } from '@qsen/testkit';
import { createKanNode, type KanNode } from '../src/node.js';
import { KAN_METRICS } from '../src/metrics/kan-metrics.js';
import { TestOwner } from './owner.js';

const tmp = makeTempDir('kan-metrics-');
const home = tmp.path;
// Buenos Aires is UTC-3 all year. 2026-11-20 is a Friday; 2026-11-23 (Monday) is a holiday.
const clock = new ManualClock(Date.parse('2026-11-20T15:00:00.000Z'));
const owner = new TestOwner({});
let node: KanNode;
let base = '';
let ca = '';
let auditor = { cert: '', key: '' };

before(async () => {
  initClusterPki(home);
  ca = readFileSync(join(home, 'pki/ca.crt'), 'utf8');
  auditor = { cert: readFileSync(join(home, 'pki/clients/auditor.crt'), 'utf8'), key: readFileSync(join(home, 'pki/clients/auditor.key'), 'utf8') };
  writeFileSync(join(home, 'conf.toml'), renderConfigToml({
    mode: 'local', openAllDay: false, qsenPort: await findFreePort(), kanPorts: [await findFreePort(), await findFreePort(), await findFreePort()], listen: '127.0.0.1',
    schedule: { timezone: 'America/Argentina/Buenos_Aires', start: '10:30', stop: '17:30', days: ['mon', 'tue', 'wed', 'thu', 'fri'], holidays: ['2026-11-23'] },
  }));
  const config = loadConfig(join(home, 'conf.toml'));
  node = createKanNode({ index: 0, config, logger: winston.createLogger({ silent: true }), audit: { record: () => undefined }, control: owner, watchdog: false, clock });
  base = `https://localhost:${await node.listen(0, '127.0.0.1')}`;
});

after(async () => {
  await node?.close();
  await owner.closeAll();
  tmp.remove();
});

async function windowGaugeAt(iso: string): Promise<string | undefined> {
  clock.set(Date.parse(iso));
  const answer = await httpsCall(`${base}/kan/v1/metrics/process`, { ca, identity: auditor });
  assert.equal(answer.status, 200);
  return new RegExp(`^${KAN_METRICS.tradingWindowOpen} (\\S+)$`, 'm').exec(answer.body)?.[1];
}

test('kan_trading_window_open follows the schedule at the kan clock, evaluated at each scrape', async () => {
  assert.equal(await windowGaugeAt('2026-11-20T15:00:00.000Z'), '1', 'Friday 12:00 local: open');
  assert.equal(await windowGaugeAt('2026-11-20T13:29:59.999Z'), '0', 'Friday 10:29:59.999 local: before start');
  assert.equal(await windowGaugeAt('2026-11-20T13:30:00.000Z'), '1', 'Friday 10:30 local: open');
  assert.equal(await windowGaugeAt('2026-11-20T20:30:00.000Z'), '0', 'Friday 17:30 local: after stop');
  assert.equal(await windowGaugeAt('2026-11-21T15:00:00.000Z'), '0', 'Saturday: day off');
  assert.equal(await windowGaugeAt('2026-11-23T15:00:00.000Z'), '0', 'Monday holiday');
  assert.equal(await windowGaugeAt('2026-11-24T15:00:00.000Z'), '1', 'Tuesday: open');
});
