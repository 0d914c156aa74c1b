// [cluster] (docs/configuration.md): four-port mode and its gateway identity.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../src/index.js';
import { fixture, fixtureDir } from './support/config-fixtures.js';

const minimal = readFileSync(fixture('minimal.toml'), 'utf8');
const withCluster = (section: string): string => `${minimal}\n[cluster]\n${section}\n`;
const problems = (text: string): ReadonlyArray<{ path: string; message: string }> => {
  try {
    parseConfig(text, fixture('minimal.toml'));
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('accepted');
};

describe('config [cluster]', () => {
  test('absent: six-port mode, kan 0 as the would-be gateway, identity paths resolved against conf.toml', () => {
    const cluster = loadConfig(fixture('minimal.toml')).cluster;
    assert.deepEqual({ ...cluster }, { mode: 'six-port', gateway: 0, gateway_cert: join(fixtureDir, 'pki/gateway.crt'), gateway_key: join(fixtureDir, 'pki/gateway.key') });
  });

  test('six-port mode does not need the gateway identity to exist', () => {
    assert.equal(parseConfig(withCluster('mode = "six-port"\ngateway_cert = "nowhere.crt"'), fixture('minimal.toml')).cluster.mode, 'six-port');
  });

  test('four-port mode with an existing identity', () => {
    const cluster = parseConfig(withCluster('mode = "four-port"\ngateway = 2\ngateway_cert = "minimal.toml"\ngateway_key = "minimal.toml"'), fixture('minimal.toml')).cluster;
    assert.equal(cluster.mode, 'four-port');
    assert.equal(cluster.gateway, 2);
    assert.equal(cluster.gateway_cert, fixture('minimal.toml'));
  });

  test('four-port mode without the identity files: one problem per missing file, each naming its key', () => {
    const found = problems(withCluster('mode = "four-port"\ngateway_cert = "absent.crt"\ngateway_key = "absent.key"'));
    assert.deepEqual(found.map((p) => p.path), ['cluster.gateway_cert', 'cluster.gateway_key']);
    for (const p of found) assert.match(p.message, /file not found: .*absent\.(crt|key) \(four-port mode needs the gateway's client identity\)/);
  });

  test('a wrong mode, a gateway that is not a kan index, an unknown key: each refused at its key', () => {
    assert.deepEqual(problems(withCluster('mode = "five-port"')).map((p) => [p.path, p.message]), [['cluster.mode', 'must be "six-port" or "four-port"']]);
    for (const gateway of ['3', '-1', '1.5', '"0"']) {
      const found = problems(withCluster(`gateway = ${gateway}`));
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0]?.path, 'cluster.gateway');
    }
    assert.equal(problems(withCluster('ports = 4'))[0]?.path, 'cluster.ports');
  });
});
