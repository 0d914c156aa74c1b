import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneProblem, fixture, fixtureDir, problemsOf } from './support/config-fixtures.js';
import {
  CONFIG_DEFAULTS,
  ConfigError,
  loadConfig,
  parseConfig,
  redactConfig,
  type QsenConfig,
} from '../src/index.js';


describe('config: one fixture per failure mode', () => {
  test('a missing senebi.ca file is reported with its absolute path', () => {
    assertOneProblem('missing-senebi-ca.toml', 'senebi.ca', new RegExp(`^file not found: ${join(fixtureDir, 'senebi/missing-ca.crt')}$`));
  });

  test('a missing [senebi] table reports each required key', () => {
    const problems = problemsOf('missing-senebi-section.toml');
    assert.deepEqual(
      problems.map((p) => p.path),
      ['senebi.url', 'senebi.ca', 'senebi.cert', 'senebi.key', 'senebi.passphrase_file'],
    );
    for (const p of problems) assert.equal(p.message, 'required key missing');
  });

  test('unknown keys are rejected at every level, each with its dotted path', () => {
    const problems = problemsOf('unknown-key.toml');
    assert.deepEqual(problems, [
      { path: 'schedule.strat', message: 'unknown key' },
      { path: 'extras', message: 'unknown key' },
    ]);
  });

  test('an id written as a TOML integer asks for a string', () => {
    assertOneProblem('id-as-integer.toml', 'id_range.min', /write ids as strings/);
  });

  test('id_range.min above id_range.max is refused', () => {
    assertOneProblem('id-min-above-max.toml', 'id_range.min', /must not be greater than id_range.max/);
  });

  test('an id above 2^64-1 is refused', () => {
    assertOneProblem('id-too-large.toml', 'id_range.max', /at most 18446744073709551615/);
  });

  test('an unknown time zone is refused', () => {
    assertOneProblem('bad-timezone.toml', 'schedule.timezone', /unknown IANA time zone "America\/Atlantis"/);
  });

  test('a time not written HH:MM is refused', () => {
    assertOneProblem('bad-time-format.toml', 'schedule.start', /must be a local time "HH:MM"/);
  });

  test('stop before start is refused on schedule.stop', () => {
    assertOneProblem('stop-before-start.toml', 'schedule.stop', /must be after schedule.start/);
  });

  test('a port above 65535 is refused', () => {
    assertOneProblem('bad-port.toml', 'server.qsen_port', /must be a port number \(1..65535\)/);
    assertOneProblem('bad-audit-retention.toml', 'logging.audit_retention_days', /must be greater than 0/);
  });

  test('a back-off cap over an hour is refused, an hour exactly is read', () => {
    assertOneProblem('watchdog-backoff-too-long.toml', 'watchdog.backoff_max_ms', /^must be at most 3600000 \(one hour\)$/);
    assert.equal(loadConfig(fixture('watchdog-backoff-one-hour.toml')).watchdog.backoff_max_ms, 3_600_000);
  });

  test('a kan port equal to qsen_port is refused', () => {
    assertOneProblem('duplicate-ports.toml', 'server.kan_ports', /must all be different/);
  });

  test('an impossible holiday date is refused with its index', () => {
    assertOneProblem('bad-holiday.toml', 'schedule.holidays.0', /not a valid date "YYYY-MM-DD": "2026-02-30"/);
  });

  test('an unknown day name is refused with its index', () => {
    assertOneProblem('bad-days.toml', 'schedule.days.1', /must be one of mon, tue, wed, thu, fri, sat, sun/);
  });

  test('a SENEBI answer cap below 64 KiB is refused with its bounds', () => {
    assertOneProblem('answer-cap-too-small.toml', 'senebi.max_answer_bytes', /must be an integer from 65536 \(64 KiB\) to 1073741824 \(1 GiB\)/);
  });

  test('an empty day list is refused', () => {
    assertOneProblem('empty-days.toml', 'schedule.days', /at least one day/);
  });

  test('a SENEBI url that is not https is refused', () => {
    assertOneProblem('not-https.toml', 'senebi.url', /must be an https:\/\/ URL/);
  });

  test('a file that is not TOML is reported with its position', () => {
    assertOneProblem('not-toml.toml', '', /^not valid TOML \(line 2, column \d+\)/);
  });

  test('a bare TOML date in holidays points at writing dates as strings', () => {
    assert.throws(
      () => parseConfig('[schedule]\nholidays = [2026-12-25]\n', '/nowhere/conf.toml', { checkFiles: false }),
      (err: unknown) => err instanceof ConfigError && err.problems[0]?.path === '' && /write dates as strings: "YYYY-MM-DD"/.test(err.problems[0]?.message ?? ''),
    );
  });

  test('several problems are all reported at once, one per line of the message', () => {
    let error: unknown;
    try {
      loadConfig(fixture('several-problems.toml'));
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(
      error.problems.map((p) => p.path).sort(),
      ['schedule.stop', 'senebi.colour', 'server.qsen_port'],
    );
    const lines = error.message.split('\n');
    assert.equal(lines[0], `invalid configuration ${fixture('several-problems.toml')} (3 problems):`);
    assert.ok(lines.includes('server.qsen_port: expected a number, got a string'), error.message);
    assert.ok(lines.includes('schedule.stop: must be after schedule.start'), error.message);
    assert.ok(lines.includes('senebi.colour: unknown key'), error.message);
  });

  test('a missing configuration file is a ConfigError naming the file', () => {
    const missing = join(fixtureDir, 'no-such.toml');
    assert.throws(() => loadConfig(missing), (err: unknown) => err instanceof ConfigError && err.message.includes(`file not found: ${missing}`));
  });
});

describe('config: good files', () => {
  test('a minimal file takes every default and resolves paths against its folder', () => {
    const config = loadConfig(fixture('minimal.toml'));
    assert.equal(config.file, fixture('minimal.toml'));
    assert.deepEqual(config.server, { listen: '0.0.0.0', qsen_port: 8443, kan_ports: [8444, 8445, 8446], host_names: [] });
    assert.deepEqual(config.id_range, { min: '9999000000000000000', max: '9999999999999999999' });
    assert.deepEqual(config.schedule, {
      timezone: 'America/Argentina/Buenos_Aires',
      start: '10:30',
      stop: '17:30',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      holidays: [],
      kan_restart: '00:05',
      kan_restart_stagger_minutes: 2,
    });
    assert.equal(config.senebi.timeout_ms, 5000);
    assert.equal(config.senebi.max_answer_bytes, 16 * 1024 * 1024, 'the SENEBI answer cap: 16 MiB');
    assert.equal(config.senebi.test_identity, false);
    assert.equal(config.senebi.key, join(fixtureDir, 'senebi/agent.key.enc'));
    assert.deepEqual(config.tls, {
      ca: join(fixtureDir, 'pki/ca.crt'),
      cert: join(fixtureDir, 'pki/server.crt'),
      key: join(fixtureDir, 'pki/server.key'),
      crl: join(fixtureDir, 'pki/crl.pem'),
    });
    assert.deepEqual(config.paths, { logs: join(fixtureDir, 'logs'), data: join(fixtureDir, 'data'), run: join(fixtureDir, 'run'), install: fixtureDir });
    assert.deepEqual(config.logging, { level: 'info', max_size_mb: 50, max_files: 14, audit_retention_days: 400 });
    assert.deepEqual(config.watchdog, {
      interval_ms: 1000,
      timeout_ms: 700,
      failure_threshold: 3,
      startup_grace_ms: 15000,
      stop_grace_ms: 3000,
      backoff_initial_ms: 1000,
      backoff_max_ms: 60000,
      stable_after_ms: 60000,
    });
    assert.deepEqual(config.control, { mode: 'systemd', socket: join(fixtureDir, 'run/control.sock') });
    assert.deepEqual(config.node_exporter, { url: 'http://127.0.0.1:9100' });
  });

  test('a full file keeps every value, with absolute, relative and parent paths resolved', () => {
    const config = loadConfig(fixture('good-full.toml'));
    assert.deepEqual(config.server, { listen: '127.0.0.1', qsen_port: 18443, kan_ports: [18444, 18445, 18446], host_names: ['qsen.example.com', '10.0.0.5'] });
    assert.deepEqual(config.id_range, { min: '9999500000000000000', max: '18446744073709551615' });
    assert.equal(config.schedule.timezone, 'America/New_York');
    assert.equal(config.schedule.stop, '24:00');
    assert.deepEqual(config.schedule.days, ['mon', 'wed', 'fri']);
    assert.deepEqual(config.schedule.holidays, ['2026-12-25', '2027-01-01']);
    assert.equal(config.schedule.kan_restart, '01:15');
    assert.equal(config.schedule.kan_restart_stagger_minutes, 5);
    assert.equal(config.senebi.url, 'https://senebi.example:8443/base');
    assert.equal(config.senebi.timeout_ms, 2500);
    assert.equal(config.senebi.max_answer_bytes, 1048576);
    assert.equal(config.senebi.test_identity, true);
    assert.deepEqual(config.paths, {
      logs: '/var/log/qsen',
      data: join(fixtureDir, 'state/data'),
      run: join(fixtureDir, '../run'),
      install: '/opt/qsen',
    });
    assert.equal(config.logging.level, 'debug');
    assert.equal(config.watchdog.startup_grace_ms, 0);
    assert.equal(config.watchdog.backoff_max_ms, 5000);
    assert.deepEqual(config.control, { mode: 'local', socket: join(fixtureDir, 'run/launcher.sock') });
    assert.equal(config.node_exporter.url, 'http://127.0.0.1:19100');
  });

  test('the loaded configuration is deeply frozen', () => {
    const config = loadConfig(fixture('good-full.toml'));
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.server));
    assert.ok(Object.isFrozen(config.server.kan_ports));
    assert.ok(Object.isFrozen(config.schedule.holidays));
    assert.throws(() => {
      (config.schedule as { start: string }).start = '00:00';
    }, TypeError);
  });

  test('CONFIG_DEFAULTS is frozen and holds the documented defaults', () => {
    assert.ok(Object.isFrozen(CONFIG_DEFAULTS));
    assert.ok(Object.isFrozen(CONFIG_DEFAULTS.server.kan_ports));
    assert.equal(CONFIG_DEFAULTS.server.qsen_port, 8443);
    assert.equal(CONFIG_DEFAULTS.id_range.min, '9999000000000000000');
    assert.equal(CONFIG_DEFAULTS.control.socket, 'run/control.sock');
  });

  test('parseConfig with checkFiles false skips the existence checks only', () => {
    const text = readFileSync(fixture('missing-senebi-ca.toml'), 'utf8');
    const config = parseConfig(text, '/nowhere/conf.toml', { checkFiles: false });
    assert.equal(config.senebi.ca, '/nowhere/senebi/missing-ca.crt');
    assert.throws(() => parseConfig('[server]\nqsen_port = 0\n', '/nowhere/conf.toml', { checkFiles: false }), ConfigError);
  });

  test('redactConfig shows paths, never PEM private key contents', () => {
    const config = loadConfig(fixture('minimal.toml'));
    const shown = redactConfig(config) as { senebi: { key: string; passphrase_file: string } };
    assert.equal(shown.senebi.key, join(fixtureDir, 'senebi/agent.key.enc'));
    assert.equal(shown.senebi.passphrase_file, join(fixtureDir, 'senebi/passphrase'));
    const planted = { ...config, senebi: { ...config.senebi, url: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----' } } as QsenConfig;
    const text = JSON.stringify(redactConfig(planted));
    assert.ok(!text.includes('BEGIN ENCRYPTED PRIVATE KEY'));
    assert.ok(text.includes('[redacted]'));
  });
});
