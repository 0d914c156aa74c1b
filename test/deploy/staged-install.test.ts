/**
 * deploy/install.sh --root DIR: the staged tree, its owners and modes, idempotence, the BYMA
 * identity, the units (systemd-analyze verify and security) and deploy/uninstall.sh.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, requireTool } from '@qsen/testkit';
import {
  diffSnapshots, makeSourceSnapshot, readStagedId, runCommand, runStagedInstall, runStagedUninstall, snapshotTree, type TreeEntry,
} from './staging.js';
import { checkRuleset, describeAcceptedPorts, findNetworkNamespaceRunner, skipOrFailInCi } from './ruleset.js';

/** Owner and mode every installed path must have ('qsen' = the staged qsen user). */
const EXPECTED: ReadonlyArray<readonly [path: string, type: TreeEntry['type'], mode: number, user: 'root' | 'qsen', group: 'root' | 'qsen']> = [
  ['etc/qsen', 'dir', 0o750, 'root', 'qsen'],
  ['etc/qsen/conf.toml', 'file', 0o640, 'root', 'qsen'],
  ['etc/qsen/install.state', 'file', 0o640, 'root', 'qsen'],
  ['etc/qsen/pki', 'dir', 0o750, 'root', 'qsen'],
  ['etc/qsen/pki/ca.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/pki/ca.key', 'file', 0o600, 'root', 'root'],
  ['etc/qsen/pki/crl.pem', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/pki/server.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/pki/server.key', 'file', 0o640, 'root', 'qsen'],
  ['etc/qsen/pki/clients', 'dir', 0o700, 'root', 'root'],
  ['etc/qsen/pki/clients/platform.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/pki/clients/platform.key', 'file', 0o600, 'root', 'root'],
  ['etc/qsen/pki/clients/operator.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/pki/clients/operator.key', 'file', 0o600, 'root', 'root'],
  ['etc/qsen/pki/clients/auditor.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/pki/clients/auditor.key', 'file', 0o600, 'root', 'root'],
  ['etc/qsen/senebi', 'dir', 0o750, 'root', 'qsen'],
  ['etc/qsen/senebi/ca.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/senebi/agent.crt', 'file', 0o644, 'root', 'root'],
  ['etc/qsen/senebi/agent.key.enc', 'file', 0o600, 'qsen', 'qsen'],
  ['etc/qsen/senebi/passphrase', 'file', 0o600, 'qsen', 'qsen'],
  ['var/log/qsen', 'dir', 0o750, 'qsen', 'qsen'],
  ['var/lib/qsen', 'dir', 0o750, 'qsen', 'qsen'],
  ['opt/qsen', 'dir', 0o755, 'root', 'root'],
  ['opt/qsen/releases', 'dir', 0o755, 'root', 'root'],
  ['etc/systemd/system/qsen.service', 'file', 0o644, 'root', 'root'],
  ['etc/systemd/system/kan@.service', 'file', 0o644, 'root', 'root'],
  ['etc/polkit-1/rules.d/50-qsen.rules', 'file', 0o644, 'root', 'root'],
  ['etc/nftables.d/qsen.nft', 'file', 0o644, 'root', 'root'],
  ['etc/ssh/sshd_config.d/50-qsen.conf', 'file', 0o644, 'root', 'root'],
  ['etc/default/prometheus-node-exporter', 'file', 0o644, 'root', 'root'],
  ['usr/local/sbin/qsen-admin', 'file', 0o755, 'root', 'root'],
];

const SENEBI_ADDRESS = '192.0.2.44';

describe('staged install (deploy/install.sh --root DIR)', { concurrency: false }, () => {
  const stage = makeTempDir('qsen-deploy-');
  const root = join(stage.path, 'root');
  const source = join(stage.path, 'source');
  let firstRun = '';
  let snapshotAfterFirstRun = new Map<string, TreeEntry>();

  before(async () => {
    mkdirSync(source);
    await makeSourceSnapshot(source);
    const result = await runStagedInstall(source, root, ['--senebi-address', SENEBI_ADDRESS, '--id-min', '9999100000000000000', '--trading-hours', '10:00-17:00']);
    firstRun = result.stdout;
    snapshotAfterFirstRun = snapshotTree(root);
  });

  after(() => stage.remove());

  test('renders the expected tree: release, current link, config, PKI, units, polkit, firewall, sshd, node_exporter', () => {
    for (const [path, type] of EXPECTED) {
      assert.equal(snapshotAfterFirstRun.get(path)?.type, type, `${path} should be a ${type}`);
    }
    const current = readlinkSync(join(root, 'opt/qsen/current'));
    assert.match(current, /^releases\/0\.1\.0-[0-9a-z-]+$/);
    const release = join(root, 'opt/qsen', current);
    for (const main of ['packages/qsen/dist/src/main.js', 'packages/kan/dist/src/main.js', 'packages/pki/dist/src/index.js', 'node_modules/node-forge/package.json', 'node_modules/@qsen/core']) {
      assert.ok(existsSync(join(release, main)), `release has ${main}`);
    }
    assert.ok(!existsSync(join(release, 'packages/qsen/dist/test')), 'compiled tests are not part of a release');
    assert.ok(!existsSync(join(release, 'node_modules/typescript')), 'development dependencies are not part of a release');
    for (const index of [0, 1, 2]) {
      assert.equal(readlinkSync(join(root, `etc/systemd/system/multi-user.target.wants/kan@${index}.service`)), '/etc/systemd/system/kan@.service', `kan@${index} enabled`);
    }
    assert.ok(!existsSync(join(root, 'etc/systemd/system/multi-user.target.wants/qsen.service')), 'qsen.service is not enabled: the kans start it');
    assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^qsen:x:\d+:\d+:QSen services:\/nonexistent:\/usr\/sbin\/nologin$/m);
    assert.ok(!existsSync(join(root, 'run')), '/run/qsen is left to systemd (RuntimeDirectory)');
  });

  test('owners and modes: secrets 0600, qsen reads only what it needs, code belongs to root', (t) => {
    for (const [path, , mode] of EXPECTED) {
      assert.equal(snapshotAfterFirstRun.get(path)?.mode.toString(8), mode.toString(8), `mode of ${path}`);
    }
    if (process.getuid?.() !== 0) {
      t.skip('not running as root: the installer cannot chown in the staging folder, owners unchecked');
      return;
    }
    const qsenUid = readStagedId(join(root, 'etc/passwd'), 'qsen');
    const qsenGid = readStagedId(join(root, 'etc/group'), 'qsen');
    assert.ok(qsenUid !== undefined && qsenGid !== undefined);
    const ids = { root: 0, qsen: qsenUid };
    const gids = { root: 0, qsen: qsenGid };
    for (const [path, , , user, group] of EXPECTED) {
      const entry = snapshotAfterFirstRun.get(path);
      assert.equal(entry?.uid, ids[user], `owner of ${path}`);
      assert.equal(entry?.gid, gids[group], `group of ${path}`);
    }
    for (const [path, entry] of snapshotAfterFirstRun) {
      if (path.startsWith('opt/')) assert.equal(entry.uid, 0, `${path} belongs to root`);
    }
  });

  test('conf.toml carries the options, systemd control mode and the test identity', async () => {
    const conf = readFileSync(join(root, 'etc/qsen/conf.toml'), 'utf8');
    assert.match(conf, /^min = "9999100000000000000"$/m);
    assert.match(conf, /^max = "9999999999999999999"$/m);
    assert.match(conf, /^start = "10:00"$/m);
    assert.match(conf, /^stop = "17:00"$/m);
    assert.match(conf, /^mode = "systemd"$/m);
    assert.match(conf, /^test_identity = true$/m);
    assert.match(conf, /^host_names = \["gw\.test"\]$/m);
    assert.match(firstRun, /SENEBI TEST IDENTITY\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(firstRun, /cluster CA\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const release = join(root, 'opt/qsen/current');
    const check = await runCommand(process.execPath, [join(release, 'packages/setup/dist/src/config/cli.js'), 'check', join(root, 'etc/qsen/conf.toml')]);
    assert.equal(check.code, 0, check.stderr);
  });

  test('a second run changes nothing (checksums, modes, owners, times before and after)', async () => {
    const second = await runStagedInstall(source, root);
    assert.match(second.stdout, /\(0 change\(s\) in this run\)/);
    assert.deepEqual(diffSnapshots(snapshotAfterFirstRun, snapshotTree(root)), []);
  });

  test('systemd-analyze verify accepts the staged units', async (t) => {
    const tool = requireTool('systemd-analyze', 'systemd');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const units = join(stage.path, 'units');
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, 'qsen.service'), readFileSync(join(root, 'etc/systemd/system/qsen.service')));
    symlinkSync(join(root, 'etc/systemd/system/kan@.service'), join(units, 'kan@0.service'));
    const result = await runCommand(tool, ['verify', join(units, 'qsen.service'), join(units, 'kan@0.service')]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', 'no warning');
  });

  test('systemd-analyze security: exposure score at most 3.0 for each service', async (t) => {
    const tool = requireTool('systemd-analyze', 'systemd');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    for (const unit of ['qsen.service', 'kan@0.service']) {
      const result = await runCommand(tool, ['security', '--offline=true', `--root=${root}`, unit]);
      const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(result.stdout);
      assert.ok(match?.[1], `score of ${unit} in:\n${result.stdout}\n${result.stderr}`);
      const score = Number(match[1]);
      console.log(`# systemd-analyze security ${unit}: exposure ${score.toFixed(1)}`);
      assert.ok(score <= 3.0, `${unit} exposure ${score} > 3.0`);
    }
  });

  test('the staged units run node from the path the installer checked, with qsen without Restart=', () => {
    const qsen = readFileSync(join(root, 'etc/systemd/system/qsen.service'), 'utf8');
    const kan = readFileSync(join(root, 'etc/systemd/system/kan@.service'), 'utf8');
    assert.match(qsen, /^ExecStart=\/\S+\/node (--[a-z-]+=\d+ )*\/opt\/qsen\/current\/packages\/qsen\/dist\/src\/main\.js --config \/etc\/qsen\/conf\.toml$/m);
    assert.match(kan, /^ExecStart=\/\S+\/node (--[a-z0-9-]+(=\d+)? )*\/opt\/qsen\/current\/packages\/kan\/dist\/src\/main\.js --config \/etc\/qsen\/conf\.toml --index %i$/m);
    assert.doesNotMatch(qsen, /^Restart=/m);
    assert.match(kan, /^Restart=always$/m);
    assert.match(kan, /^StartLimitBurst=\d+$/m);
    assert.match(kan, /^StartLimitIntervalSec=\d+$/m);
    for (const unit of [qsen, kan]) {
      assert.match(unit, /^CapabilityBoundingSet=$/m);
      assert.match(unit, /^ProtectSystem=strict$/m);
      assert.match(unit, /^NoNewPrivileges=yes$/m);
      assert.match(unit, /^User=qsen$/m);
    }
  });

  test('the firewall pins SENEBI: its address in the ruleset set and in /etc/hosts, remembered for later runs', () => {
    const ruleset = readFileSync(join(root, 'etc/nftables.d/qsen.nft'), 'utf8');
    assert.match(ruleset, new RegExp(`elements = \\{ ${SENEBI_ADDRESS.replaceAll('.', '\\.')} \\}`));
    assert.match(readFileSync(join(root, 'etc/hosts'), 'utf8'), new RegExp(`^${SENEBI_ADDRESS.replaceAll('.', '\\.')} senebi\\.example$`, 'm'));
    assert.match(readFileSync(join(root, 'etc/nftables.conf'), 'utf8'), /^include "\/etc\/nftables\.d\/qsen\.nft" # qsen$/m);
    assert.match(readFileSync(join(root, 'etc/qsen/install.state'), 'utf8'), new RegExp(`^SENEBI_ADDRESSES=${SENEBI_ADDRESS.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(readFileSync(join(root, 'etc/default/prometheus-node-exporter'), 'utf8'), /^ARGS="--web\.listen-address=127\.0\.0\.1:9100"$/m);
    assert.match(readFileSync(join(root, 'etc/ssh/sshd_config.d/50-qsen.conf'), 'utf8'), /^Port 52022$/m);
  });

  test('nft -c accepts the rendered ruleset', async (t) => {
    const tool = requireTool('nft', 'nftables');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const result = await checkRuleset(join(root, 'etc/nftables.d/qsen.nft'));
    if ('unavailable' in result) return skipOrFailInCi(t, result.unavailable);
    assert.equal(result.code, 0, result.output);
    console.log(`# ${result.how}: ruleset accepted`);
  });

  test('the rendered ruleset opens exactly six ports: TCP 52022, 8443-8446 inbound and 443 outbound to SENEBI only', async (t) => {
    const text = readFileSync(join(root, 'etc/nftables.d/qsen.nft'), 'utf8');
    // Text check: every port the ruleset names, and every chain's policy.
    const rules = text.replace(/#.*$/gm, '');
    const portMatches = [...rules.matchAll(/\b(?:tcp|udp|th|sctp|dccp)\s+(?:dport|sport)\s+(\{[^}]*\}|\d+)/g)];
    const named = portMatches.flatMap((m) => (m[1] ?? '').replace(/[{}]/g, '').split(',').map((p) => Number(p.trim())));
    assert.deepEqual([...new Set(named)].sort((a, b) => a - b), [443, 8443, 8444, 8445, 8446, 52022]);
    assert.equal((rules.match(/\b[ds]port\b/g) ?? []).length, portMatches.length, 'every port match was read');
    assert.equal([...text.matchAll(/policy drop;/g)].length, 3, 'input, forward and output drop by default');
    assert.doesNotMatch(text, /policy accept/);
    // Structural check: the ruleset as the kernel holds it, loaded in a throwaway network namespace.
    const tool = requireTool('nft', 'nftables');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const namespace = await findNetworkNamespaceRunner();
    if ('unavailable' in namespace) {
      console.error(`\n!!! ${namespace.unavailable}: the text check above ran, the kernel-side check is SKIPPED\n`);
      return t.skip(namespace.unavailable);
    }
    const loaded = await runCommand(namespace.command, [...namespace.args, 'sh', '-c', 'nft -f "$1" && nft --json list ruleset', 'sh', join(root, 'etc/nftables.d/qsen.nft')]);
    assert.equal(loaded.code, 0, loaded.stderr);
    const open = describeAcceptedPorts(loaded.stdout);
    assert.deepEqual(open.policies, { forward: 'drop', input: 'drop', output: 'drop' });
    assert.deepEqual(open.ports, ['input tcp dport 52022', 'input tcp dport 8443', 'input tcp dport 8444', 'input tcp dport 8445', 'input tcp dport 8446', 'output tcp dport 443 to @senebi_ipv4', 'output tcp dport 443 to @senebi_ipv6']);
    assert.deepEqual(open.portless, [
      'input established', 'input icmpv6 nd-neighbor-advert,nd-neighbor-solicit,nd-router-advert', 'input loopback',
      'output established', 'output icmpv6 nd-neighbor-advert,nd-neighbor-solicit,nd-router-solicit', 'output loopback',
    ]);
    assert.deepEqual({ senebi_ipv4: open.setElements['senebi_ipv4'], senebi_ipv6: open.setElements['senebi_ipv6'] }, { senebi_ipv4: [SENEBI_ADDRESS], senebi_ipv6: [] });
    // No allow-list given: the allow-list rules are left out (every source may connect; test/deploy/allowlist.test.ts).
    assert.doesNotMatch(text, /allow-list: (api|admin)/);
    // Dynamic (per-source) sets: the flood limits on the nodes' ports and the SSH new-connection rate (--ssh-rate).
    assert.deepEqual(open.dynamicSets, ['flood_conn_ipv4', 'flood_conn_ipv6', 'flood_rate_ipv4', 'flood_rate_ipv6', 'ssh_rate_ipv4', 'ssh_rate_ipv6'], 'per-source limits');
  });

  test('the BYMA identity given later replaces the test identity in conf.toml, encrypted, never twice', async (t) => {
    const tool = requireTool('openssl');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const byma = join(stage.path, 'byma');
    mkdirSync(byma);
    const given = { cert: join(byma, 'agent.crt'), key: join(byma, 'agent.key'), pass: join(byma, 'key.pass'), ca: join(byma, 'ca.crt') };
    writeFileSync(given.pass, 'given-passphrase\n', { mode: 0o600 });
    const made = await runCommand(tool, ['req', '-x509', '-newkey', 'rsa:2048', '-days', '30', '-subj', '/O=Agent SA/CN=agent-byma',
      '-keyout', given.key, '-out', given.cert, '-passout', `file:${given.pass}`]);
    assert.equal(made.code, 0, made.stderr);
    writeFileSync(given.ca, readFileSync(given.cert));
    const options = ['--byma-cert', given.cert, '--byma-key', given.key, '--byma-key-passphrase-file', given.pass, '--senebi-ca', given.ca];

    const third = await runStagedInstall(source, root, options);
    assert.match(third.stdout, /SENEBI agent \(BYMA\)\s+([0-9A-F]{2}:){31}/);
    assert.doesNotMatch(third.stdout, /TEST IDENTITY/);
    assert.doesNotMatch(third.stdout + third.stderr, /given-passphrase/);
    const conf = readFileSync(join(root, 'etc/qsen/conf.toml'), 'utf8');
    assert.match(conf, /^test_identity = false$/m);
    assert.match(conf, /^cert = "byma\/agent\.crt"$/m);
    assert.match(conf, /^key = "byma\/agent\.key\.enc"$/m);
    const tree = snapshotTree(root);
    assert.equal(tree.get('etc/qsen/byma/agent.key.enc')?.mode, 0o600);
    assert.equal(tree.get('etc/qsen/byma/passphrase')?.mode, 0o600);
    const storedKey = readFileSync(join(root, 'etc/qsen/byma/agent.key.enc'), 'utf8');
    assert.match(storedKey, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const opened = await runCommand(tool, ['pkey', '-in', join(root, 'etc/qsen/byma/agent.key.enc'), '-passin', `file:${join(root, 'etc/qsen/byma/passphrase')}`, '-pubout']);
    const expected = await runCommand(tool, ['x509', '-in', given.cert, '-noout', '-pubkey']);
    assert.equal(opened.stdout, expected.stdout, 'the stored key opens with the stored passphrase and matches the certificate');

    const fourth = await runStagedInstall(source, root, options);
    assert.match(fourth.stdout, /\(0 change\(s\) in this run\)/);
    assert.deepEqual(diffSnapshots(tree, snapshotTree(root)), []);
  });

  test('an upgrade installs a new release next to the old one and switches current to it', async () => {
    const before = readlinkSync(join(root, 'opt/qsen/current'));
    mkdirSync(join(source, 'docs'), { recursive: true });
    writeFileSync(join(source, 'docs', 'upgrade-marker.md'), 'a change in the build\n');
    const upgrade = await runStagedInstall(source, root);
    const after = readlinkSync(join(root, 'opt/qsen/current'));
    assert.notEqual(after, before);
    assert.match(upgrade.stdout, new RegExp(`previous release kept for rollback: /opt/qsen/${before.replaceAll('.', '\\.')}`));
    assert.ok(existsSync(join(root, 'opt/qsen', before, 'packages/qsen/dist/src/main.js')), 'the previous release is kept');
    assert.ok(existsSync(join(root, 'opt/qsen', after, 'docs/upgrade-marker.md')), 'the new release has the change');
    assert.match(readFileSync(join(root, 'opt/qsen', after, 'RELEASE'), 'utf8'), /^digest=[0-9a-f]{12}$/m);
  });

  test('a bad option stops the installer before it touches anything', async () => {
    const untouched = join(stage.path, 'untouched');
    for (const bad of [['--id-min', '99x'], ['--trading-hours', '25:00-17:00'], ['--senebi-url', 'http://plain.example'], ['--byma-cert', '/etc/hostname'], ['--frobnicate']]) {
      const result = await runCommand('bash', [join(source, 'deploy/install.sh'), '--root', untouched, '--no-build', ...bad]);
      assert.equal(result.code, 1, `${bad.join(' ')} is refused`);
      assert.match(result.stderr, /qsen-install: error: /);
      assert.ok(!existsSync(untouched), `${bad.join(' ')}: nothing written`);
    }
  });

  test('uninstall removes what install added and keeps /etc/qsen, logs and state; --purge removes them too', async () => {
    await runStagedUninstall(source, root);
    for (const gone of ['opt/qsen', 'etc/systemd/system/qsen.service', 'etc/systemd/system/kan@.service',
      'etc/systemd/system/multi-user.target.wants/kan@0.service', 'etc/polkit-1/rules.d/50-qsen.rules',
      'etc/nftables.d/qsen.nft', 'etc/ssh/sshd_config.d/50-qsen.conf', 'etc/default/prometheus-node-exporter', 'usr/local/sbin/qsen-admin']) {
      assert.ok(!existsSync(join(root, gone)), `${gone} removed`);
    }
    assert.doesNotMatch(readFileSync(join(root, 'etc/nftables.conf'), 'utf8'), /qsen/);
    assert.doesNotMatch(readFileSync(join(root, 'etc/hosts'), 'utf8'), /qsen|senebi/);
    for (const kept of ['etc/qsen/conf.toml', 'etc/qsen/byma/agent.key.enc', 'var/log/qsen', 'var/lib/qsen']) {
      assert.ok(existsSync(join(root, kept)), `${kept} kept`);
    }
    await runStagedUninstall(source, root, ['--purge']);
    for (const gone of ['etc/qsen', 'var/log/qsen', 'var/lib/qsen']) assert.ok(!existsSync(join(root, gone)), `${gone} purged`);
    assert.doesNotMatch(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^qsen:/m);
  });
});
