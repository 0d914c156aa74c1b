import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/index.js';
import { assertOneProblem, fixture, problemsOf } from './support/config-fixtures.js';

describe('config [deadman]', () => {
  test('without [deadman] the switch is off, 30 s, no cancel', () => {
    const config = loadConfig(fixture('minimal.toml'));
    assert.deepEqual({ ...config.deadman }, { enabled: false, interval_seconds: 30, cancel_open: false });
    assert.ok(Object.isFrozen(config.deadman));
  });

  test('every [deadman] key is read', () => {
    assert.deepEqual({ ...loadConfig(fixture('deadman-good.toml')).deadman }, { enabled: true, interval_seconds: 10, cancel_open: true });
  });

  test('a zero interval is refused', () => {
    assertOneProblem('deadman-zero-interval.toml', 'deadman.interval_seconds', /^must be greater than 0$/);
  });

  test('an interval over an hour is refused', () => {
    assertOneProblem('deadman-interval-too-long.toml', 'deadman.interval_seconds', /^must be at most 3600/);
  });

  test('enabled must be a boolean', () => {
    assertOneProblem('deadman-enabled-not-boolean.toml', 'deadman.enabled', /^must be true or false$/);
  });

  test('an unknown key is refused by path', () => {
    assert.deepEqual(problemsOf('deadman-unknown-key.toml'), [{ path: 'deadman.cancel_opne', message: 'unknown key' }]);
  });
});
