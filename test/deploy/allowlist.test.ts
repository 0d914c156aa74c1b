/**
 * Source allow-lists of deploy/install.sh (--platform-network, --operator-network,
 * --admin-network, --any-source, --ssh-rate): the rendered ruleset, nft's verdict on it, what
 * the kernel holds once it is loaded in a throwaway namespace, and what later runs keep. The
 * traffic itself (an allowed and a refused source) is tried in the production tier.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, requireTool } from '@qsen/testkit';
import { makeSourceSnapshot, runCommand, runStagedInstall } from './staging.js';
import { checkRuleset, findNetworkNamespaceRunner, skipOrFailInCi } from './ruleset.js';

const NETWORKS = ['--platform-network', '10.20.0.0/16', '--operator-network', '2001:db8::/32', '--operator-network', '10.20.5.0/24',
  '--admin-network', '198.51.100.0/24', '--admin-network', '2001:db8:ad::/48', '--ssh-rate', '6'];

describe('source allow-lists (install.sh --platform-network, --operator-network, --admin-network)', { concurrency: false }, () => {
  const stage = makeTempDir('qsen-allowlist-');
  const root = join(stage.path, 'root');
  const source = join(stage.path, 'source');
  const ruleset = join(root, 'etc/nftables.d/qsen.nft');
  let firstRun = '';

  before(async () => {
    mkdirSync(source);
    await makeSourceSnapshot(source);
    firstRun = (await runStagedInstall(source, root, ['--senebi-address', '192.0.2.44', ...NETWORKS])).stdout;
  });

  after(() => stage.remove());

  test('the networks go into the allow sets, each family apart, and the drop rules are in place', () => {
    const text = readFileSync(ruleset, 'utf8');
    /** The elements line of a set, up to its closing brace. */
    const setBody = (name: string): string => new RegExp(`set ${name} \\{[^}]*elements = \\{[^}]*\\}`).exec(text)?.[0] ?? '';
    assert.match(setBody('allow_api_ipv4'), /elements = \{ 10\.20\.0\.0\/16, 10\.20\.5\.0\/24 \}/);
    assert.match(setBody('allow_api_ipv6'), /elements = \{ 2001:db8::\/32 \}/);
    assert.match(setBody('allow_admin_ipv4'), /elements = \{ 198\.51\.100\.0\/24 \}/);
    assert.match(setBody('allow_admin_ipv6'), /elements = \{ 2001:db8:ad::\/48 \}/);
    assert.equal([...text.matchAll(/comment "allow-list: api"$/gm)].length, 2);
    assert.equal([...text.matchAll(/comment "allow-list: admin"$/gm)].length, 2);
    assert.match(text, /limit rate over 6\/minute burst 12 packets/);
    assert.doesNotMatch(text, /@[A-Z0-9_]+@/, 'no placeholder left');
    assert.match(firstRun, /firewall: 8443-8446 only from 10\.20\.0\.0\/16 2001:db8::\/32 10\.20\.5\.0\/24/);
    assert.doesNotMatch(firstRun, /accept connections from every source/);
  });

  test('nft -c accepts the ruleset with allow-lists', async (t) => {
    const tool = requireTool('nft', 'nftables');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const result = await checkRuleset(ruleset);
    if ('unavailable' in result) return skipOrFailInCi(t, result.unavailable);
    assert.equal(result.code, 0, result.output);
  });

  test('loaded in a throwaway namespace, the kernel holds the networks and jumps to the source checks first', async (t) => {
    const tool = requireTool('nft', 'nftables');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const namespace = await findNetworkNamespaceRunner();
    if ('unavailable' in namespace) return skipOrFailInCi(t, namespace.unavailable);
    const loaded = await runCommand(namespace.command, [...namespace.args, 'sh', '-c', 'nft -f "$1" && nft list table inet qsen', 'sh', ruleset]);
    assert.equal(loaded.code, 0, loaded.stderr);
    const input = /chain input \{([^}]*)\}/.exec(loaded.stdout)?.[1] ?? '';
    assert.match(input, /policy drop;\s*jump sources\s/, 'input jumps to the source checks before accepting anything');
    assert.match(loaded.stdout, /iif "lo" return/, 'loopback is never refused');
    assert.match(loaded.stdout, /ip saddr != @allow_api_ipv4 drop/);
    assert.match(loaded.stdout, /ip6 saddr != @allow_admin_ipv6 drop/);
    assert.match(loaded.stdout, /10\.20\.0\.0\/16/);
    assert.doesNotMatch(loaded.stdout, /10\.20\.5\.0\/24/, 'a network inside another is merged into it (auto-merge)');
  });

  test('a later run without the options keeps the allow-lists; --any-source opens again and warns', async () => {
    const again = await runStagedInstall(source, root);
    assert.match(again.stdout, /firewall: SSH \(52022\) only from 198\.51\.100\.0\/24 2001:db8:ad::\/48/);
    assert.match(readFileSync(ruleset, 'utf8'), /comment "allow-list: admin"$/m);
    const opened = await runStagedInstall(source, root, ['--any-source']);
    const text = readFileSync(ruleset, 'utf8');
    assert.doesNotMatch(text, /allow-list: (api|admin)/);
    assert.match(opened.stdout + opened.stderr, /8443-8446 accept connections from every source address/);
    assert.match(opened.stdout + opened.stderr, /SSH \(52022\) accepts connections from every source address/);
    assert.match(readFileSync(join(root, 'etc/qsen/install.state'), 'utf8'), /^API_NETWORKS=$/m);
  });

  test('a malformed network or rate stops the installer before it writes anything', async () => {
    const untouched = join(stage.path, 'untouched');
    for (const bad of [['--platform-network', '10.0.0.256/8'], ['--operator-network', '10.0.0.0/33'], ['--admin-network', '2001:db8::/129'],
      ['--admin-network', 'example.com'], ['--admin-network', '10.0.0.0/8; flush ruleset'], ['--ssh-rate', '0'], ['--ssh-rate', '5/second']]) {
      const result = await runCommand('bash', [join(source, 'deploy/install.sh'), '--root', untouched, '--no-build', ...bad]);
      assert.equal(result.code, 1, `${bad.join(' ')} is refused`);
      assert.match(result.stderr, /qsen-install: error: /);
      assert.ok(!existsSync(untouched), `${bad.join(' ')}: nothing written`);
    }
  });
});
