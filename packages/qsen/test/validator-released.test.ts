/**
 * qsen reads conf.toml and the reference prices file at start and at each [risk] reload only, so
 * their parsers (zod, @iarna/toml, core's src/config/validator.ts) go in between (node.ts;
 * docs/qsen.md, "Memory"): after start nothing refers to them and the garbage collector takes
 * their modules, and a reload loads them again, applies the edited files and lets them go again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CONFIG_VALIDATOR_PACKAGES, loadConfig } from '@qsen/core/config/load';
import { orderJson, startHarness, type Harness } from './support/node.js';
import { makeTestState } from './support/state.js';

const cache = createRequire(import.meta.url).cache;
const validatorFiles = (): string[] => Object.keys(cache).filter((file) => CONFIG_VALIDATOR_PACKAGES.some((name) => file.includes(`/node_modules/${name}/`)));
const zodGlobals = (): string[] => ['__zod_globalConfig', '__zod_globalRegistry'].filter((name) => name in globalThis);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const collect = async (): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
  gc();
};

const RISK = 'max_order_quantity = "1000"\nreference_prices_file = "prices.toml"\nprice_band_percent = "5"';

describe('qsen lets the configuration validator go between reads', () => {
  let h: Harness;
  let modules: Array<[string, WeakRef<object>]>;

  before(async () => {
    const state = makeTestState({ senebiPort: 0 });
    writeFileSync(join(dirname(state.confFile), 'prices.toml'), 'AL30 = "1234.5"\n');
    state.writeConfig({ senebiPort: 1, risk: RISK });
    loadConfig(state.confFile);
    // The exports of every module of the two packages, as loaded for the start's read.
    modules = Object.entries(cache).flatMap(([file, m]) => (m && validatorFiles().includes(file) ? [[file.slice(file.lastIndexOf('node_modules/') + 13), new WeakRef(m.exports as object)] as [string, WeakRef<object>]] : []));
    h = await startHarness({ state, settings: { risk: RISK } });
  });
  after(async () => {
    await h.close();
  });

  test('after start zod and @iarna/toml are out of the module cache, zod\'s globals are gone, and the garbage collector takes every one of their modules', async () => {
    assert.ok(modules.some(([file]) => file.startsWith('zod/')) && modules.some(([file]) => file.startsWith('@iarna/toml/')), `both were loaded (${modules.length} modules)`);
    assert.deepEqual(validatorFiles(), []);
    assert.deepEqual(zodGlobals(), []);
    await collect();
    assert.deepEqual(modules.filter(([, ref]) => ref.deref() !== undefined).map(([file]) => file), [], 'no module of zod or @iarna/toml is alive');
    // The limits and reference prices read at start are in force.
    const refused = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000001', { quantity: '1001' }));
    assert.equal(refused.status, 422, refused.body);
    assert.equal(((refused.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['limit'], 'order_quantity');
    const outside = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000002', { price: '1300' }));
    assert.equal(((outside.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['limit'], 'price_band.AL30');
  });

  test('a reload reads the edited conf.toml and prices file with them, then lets them go again', async () => {
    const conf = h.state.confFile;
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('max_order_quantity = "1000"', 'max_order_quantity = "2000"'));
    writeFileSync(join(dirname(conf), 'prices.toml'), 'AL30 = "1300"\n');
    const reload = await h.call('POST', '/qsen/v1/risk/reload', '{"reason": "auction"}', 'operator');
    assert.equal(reload.status, 200, reload.body);
    assert.deepEqual(reload.json['changes'], [
      { key: 'limit.order_quantity', before: '1000', after: '2000' },
      { key: 'reference_price.AL30', before: '1234.5', after: '1300' },
    ]);
    assert.deepEqual(validatorFiles(), []);
    assert.deepEqual(zodGlobals(), []);
    const placed = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000003', { quantity: '1500', price: '1300' }));
    assert.equal(placed.status, 200, placed.body);
    // A broken file after the release is still reported with every problem, by key.
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('max_order_quantity = "2000"', 'max_order_quantity = 2000'));
    const broken = await h.call('POST', '/qsen/v1/risk/reload', '{}', 'operator');
    assert.equal(broken.status, 422, broken.body);
    assert.match(String(((broken.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['problems']), /risk\.max_order_quantity: write amounts as strings/);
    assert.deepEqual(validatorFiles(), []);
  });
});
