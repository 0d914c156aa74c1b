// qsen-config and renderConfigToml (moved from @qsen/core with the code): the rendered file loads
// back with its values, every key is commented, the CLI checks and renders with stable exit codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir } from '@qsen/testkit';
import { loadConfig, parseConfig } from '@qsen/core';
import { renderConfigToml } from '../src/index.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/config/cli.js', import.meta.url));
/** The configuration fixtures of @qsen/core (one per failure mode). */
const fixture = (name: string): string => fileURLToPath(new URL(`../../../core/test/fixtures/config/${name}`, import.meta.url));

describe('config: render', () => {
  let home: { path: string; remove: () => void };
  before(() => {
    home = makeTempDir('qsen-config-render-');
    for (const dir of ['pki', 'senebi']) mkdirSync(join(home.path, dir));
    for (const file of ['pki/ca.crt', 'pki/server.crt', 'pki/server.key', 'pki/crl.pem', 'senebi/ca.crt', 'senebi/agent.crt', 'senebi/agent.key.enc', 'senebi/passphrase']) {
      writeFileSync(join(home.path, file), 'placeholder\n');
    }
  });
  after(() => home.remove());

  test('local mode renders an all-day, every-day window that loads back with its values', () => {
    const text = renderConfigToml({ mode: 'local', qsenPort: 18443, kanPorts: [18444, 18445, 18446], senebiUrl: 'https://127.0.0.1:19443', nodeExporterUrl: 'http://127.0.0.1:19100' });
    writeFileSync(join(home.path, 'conf.toml'), text);
    const config = loadConfig(join(home.path, 'conf.toml'));
    assert.equal(config.control.mode, 'local');
    assert.equal(config.server.qsen_port, 18443);
    assert.deepEqual(config.server.kan_ports, [18444, 18445, 18446]);
    assert.equal(config.senebi.url, 'https://127.0.0.1:19443');
    assert.equal(config.senebi.test_identity, true);
    assert.equal(config.senebi.key, join(home.path, 'senebi/agent.key.enc'));
    assert.equal(config.tls.crl, join(home.path, 'pki/crl.pem'));
    assert.equal(config.control.socket, join(home.path, 'run/control.sock'));
    assert.equal(config.paths.logs, join(home.path, 'logs'));
    assert.equal(config.schedule.start, '00:00');
    assert.equal(config.schedule.stop, '24:00');
    assert.deepEqual(config.schedule.days, ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
    assert.match(text, /ALL DAY, EVERY DAY/);
    assert.match(text, /#\s+start = "10:30"/);
  });

  test('every rendered key has a comment above it', () => {
    const lines = renderConfigToml({ mode: 'systemd' }).split('\n');
    lines.forEach((line, i) => {
      if (/^[a-z_]+ = /.test(line)) {
        assert.ok((lines[i - 1] ?? '').startsWith('#'), `no comment above: ${line}`);
      }
    });
    assert.ok(lines.filter((l) => l.startsWith('#')).length >= 40);
  });

  test('systemd mode renders production paths, the weekday window and the given overrides', () => {
    const text = renderConfigToml({
      mode: 'systemd',
      schedule: { start: '11:00', stop: '17:00', holidays: ['2026-12-25'] },
      idRange: { min: '9999100000000000000', max: '9999200000000000000' },
      senebiUrl: 'https://senebi.byma.example',
    });
    const config = parseConfig(text, '/etc/qsen/conf.toml', { checkFiles: false });
    assert.equal(config.control.mode, 'systemd');
    assert.equal(config.paths.logs, '/var/log/qsen');
    assert.equal(config.paths.data, '/var/lib/qsen');
    assert.equal(config.paths.run, '/run/qsen');
    assert.equal(config.senebi.passphrase_file, '/etc/qsen/senebi/passphrase');
    assert.equal(config.tls.key, '/etc/qsen/pki/server.key');
    assert.deepEqual(config.id_range, { min: '9999100000000000000', max: '9999200000000000000' });
    assert.equal(config.schedule.start, '11:00');
    assert.deepEqual(config.schedule.days, ['mon', 'tue', 'wed', 'thu', 'fri']);
    assert.deepEqual(config.schedule.holidays, ['2026-12-25']);
    assert.equal(config.senebi.test_identity, false);
  });
});

describe('config: qsen-config CLI', () => {
  test('check exits 0 on a good file and previews the schedule on the zone\'s clock with UTC alongside', async () => {
    // Thursday 2026-12-24 in New York: a day off; Friday the 25th is a holiday; Monday the 28th opens.
    const { stdout } = await run(process.execPath, [cli, 'check', fixture('good-full.toml')], { env: { ...process.env, QSEN_CONFIG_NOW: '2026-12-24T12:00:00Z' } });
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines[0], `ok: ${fixture('good-full.toml')}`);
    assert.equal(lines[1], 'schedule: 09:00-24:00 America/New_York, mon,wed,fri, 2 holiday(s)');
    assert.equal(lines[2], 'window now: closed (day_off), opens at 2026-12-28 09:00 -05:00 (14:00Z)');
    assert.equal(lines[3], 'next stretches:');
    assert.match(lines[4] ?? '', /^ {2}opens 2026-12-28 09:00 -05:00 \(14:00Z\) +closes 2026-12-29 00:00 -05:00 \(05:00Z\)$/);
    assert.match(lines[5] ?? '', /^ {2}opens 2026-12-30 09:00 -05:00 \(14:00Z\) +closes 2026-12-31 00:00 -05:00 \(05:00Z\)$/);
    // 2027-01-01 is a holiday (a Friday): the third stretch is Monday the 4th.
    assert.match(lines[6] ?? '', /^ {2}opens 2027-01-04 09:00 -05:00 \(14:00Z\) +closes 2027-01-05 00:00 -05:00 \(05:00Z\)$/);
    assert.equal(lines.length, 7);
  });

  test('check says a window open all day, every day, instead of a far-off date', async () => {
    const file = fixture('good-all-day.toml');
    const { stdout } = await run(process.execPath, [cli, 'check', file], { env: { ...process.env, QSEN_CONFIG_NOW: '2026-12-24T12:00:00Z' } });
    assert.match(stdout, /^window now: open all day, every day \(America\/New_York\)$/m);
    assert.doesNotMatch(stdout, /2028|next stretches/);
  });

  test('check exits 1 and lists every problem on a bad file', async () => {
    await assert.rejects(run(process.execPath, [cli, 'check', fixture('several-problems.toml')]), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr ?? '', /schedule.stop: must be after schedule.start/);
      assert.match(err.stderr ?? '', /senebi.colour: unknown key/);
      return true;
    });
  });

  test('render prints a conf.toml that reflects its flags', async () => {
    const { stdout } = await run(process.execPath, [cli, 'render', '--mode', 'systemd', '--qsen-port', '9443', '--kan-ports', '9444,9445,9446', '--days', 'mon,tue', '--senebi-url', 'https://s.example']);
    const config = parseConfig(stdout, '/etc/qsen/conf.toml', { checkFiles: false });
    assert.equal(config.server.qsen_port, 9443);
    assert.deepEqual(config.server.kan_ports, [9444, 9445, 9446]);
    assert.deepEqual(config.schedule.days, ['mon', 'tue']);
    assert.equal(config.senebi.url, 'https://s.example');
  });

  test('render refuses flags that make an invalid configuration (exit 1) and bad usage (exit 2)', async () => {
    await assert.rejects(run(process.execPath, [cli, 'render', '--mode', 'systemd', '--start', '18:00', '--stop', '09:00']), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr ?? '', /schedule.stop: must be after schedule.start/);
      return true;
    });
    await assert.rejects(run(process.execPath, [cli, 'render', '--mode', 'cloud']), (err: { code?: number }) => err.code === 2);
    await assert.rejects(run(process.execPath, [cli, 'frobnicate']), (err: { code?: number }) => err.code === 2);
  });
});

describe('config: rendered [risk] example', () => {
  test('the commented [risk] example of a rendered conf.toml is valid once uncommented', () => {
    const rendered = renderConfigToml({ mode: 'systemd' });
    const start = rendered.indexOf('# [risk]');
    assert.ok(start > 0);
    const uncommented = rendered.slice(0, start) + rendered.slice(start).split('\n').map((l) => l.replace(/^# (?=\[risk\]|[a-z_]+ = )/, '')).join('\n');
    const risk = parseConfig(uncommented, '/etc/qsen/conf.toml', { checkFiles: false }).risk;
    assert.equal(risk.max_daily_orders, 5000);
    assert.equal(risk.reference_prices_file, '/etc/qsen/reference-prices.toml');
    assert.deepEqual(risk.counterparties_deny, ['999']);
  });
});

test('a rendered conf.toml carries [deadman] off, and loads back with the defaults', () => {
  const rendered = renderConfigToml({ mode: 'systemd' });
  assert.match(rendered, /\n\[deadman\]\n/);
  const config = parseConfig(rendered, '/etc/qsen/conf.toml', { checkFiles: false });
  assert.deepEqual({ ...config.deadman }, { enabled: false, interval_seconds: 30, cancel_open: false });
});
