/**
 * deploy/install.sh --four-port / --six-port and --rollback's refusals, staged (--root): the
 * [cluster] section written into conf.toml and checked, the gateway's client identity (judged by
 * openssl: signed by the cluster CA, role auditor), the ruleset opening 8443 and the gateway's
 * port only (nft --check), what later runs keep. The traffic, the loopback binding and the
 * cluster view on a real systemd are the production tier's; the rollback itself too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, requireTool } from '@qsen/testkit';
import { makeSourceSnapshot, runCommand, runStagedInstall } from './staging.js';
import { checkRuleset, skipOrFailInCi } from './ruleset.js';

/** The ports of every `tcp dport { ... }` set of the ruleset's rules (comments left out). */
function dportSets(ruleset: string): string[] {
  return [...ruleset.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n').matchAll(/tcp dport \{ ([^}]*) \}/g)].map((m) => m[1] ?? '');
}

describe('four-port mode and rollback refusals (install.sh --four-port, --six-port, --rollback), staged', { concurrency: false }, () => {
  const stage = makeTempDir('qsen-four-port-');
  const root = join(stage.path, 'root');
  const source = join(stage.path, 'source');
  const conf = join(root, 'etc/qsen/conf.toml');
  const ruleset = join(root, 'etc/nftables.d/qsen.nft');
  const pki = join(root, 'etc/qsen/pki');
  let firstRun = '';

  before(async () => {
    mkdirSync(source);
    await makeSourceSnapshot(source);
    firstRun = (await runStagedInstall(source, root, ['--senebi-address', '192.0.2.44', '--four-port'])).stdout;
  });

  after(() => stage.remove());

  test('conf.toml gets [cluster] mode = "four-port" with kan 0 as the gateway, and passes qsen-config check', async () => {
    assert.match(firstRun, /conf\.toml: \[cluster\] mode = "four-port"/);
    assert.match(firstRun, /four-port mode, kan 0 answers for the cluster on port 8444/);
    assert.match(firstRun, /release .*, four-port mode \(/);
    const text = readFileSync(conf, 'utf8');
    assert.match(text, /^\[cluster\]\n(#.*\n)?mode = "four-port"\ngateway = 0$/m);
    const check = await runCommand(process.execPath, [join(source, 'packages/setup/dist/src/config/cli.js'), 'check', conf]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(readFileSync(join(root, 'etc/qsen/install.state'), 'utf8'), /^CLUSTER_MODE=four-port$/m);
  });

  test('the gateway identity: signed by the cluster CA, CN kan-gateway, OU auditor, clientAuth; the key readable by group qsen only', async (t) => {
    assert.equal(statSync(join(pki, 'gateway.key')).mode & 0o777, 0o640);
    assert.equal(statSync(join(pki, 'gateway.crt')).mode & 0o777, 0o644);
    assert.equal(readFileSync(join(pki, 'gateway.crt'), 'utf8'), readFileSync(join(pki, 'clients/kan-gateway.crt'), 'utf8'));
    const openssl = requireTool('openssl', 'openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const verify = await runCommand(openssl, ['verify', '-purpose', 'sslclient', '-CAfile', join(pki, 'ca.crt'), join(pki, 'gateway.crt')]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const subject = await runCommand(openssl, ['x509', '-in', join(pki, 'gateway.crt'), '-noout', '-subject', '-nameopt', 'RFC2253']);
    assert.match(subject.stdout, /CN=kan-gateway/);
    assert.match(subject.stdout, /OU=auditor/);
    const pair = await runCommand(openssl, ['x509', '-in', join(pki, 'gateway.crt'), '-noout', '-pubkey']);
    const fromKey = await runCommand(openssl, ['pkey', '-in', join(pki, 'gateway.key'), '-pubout']);
    assert.equal(pair.stdout, fromKey.stdout, 'the key belongs to the certificate');
  });

  test('the ruleset opens 8443 and 8444 only (every port set of its rules), and nft --check accepts it', async (t) => {
    const text = readFileSync(ruleset, 'utf8');
    const sets = dportSets(text);
    assert.ok(sets.length >= 5, sets.join(' / '));
    for (const set of sets) assert.equal(set, '8443, 8444');
    assert.doesNotMatch(text, /@[A-Z0-9_]+@/, 'no placeholder left');
    assert.match(firstRun, /8443 and 8444 \(four-port mode\) accept connections from every source address/, 'the warning names the ports really open');
    assert.doesNotMatch(firstRun, /8443-8446 (accept|only)/);
    const tool = requireTool('nft', 'nftables');
    if (typeof tool !== 'string') return t.skip(tool.skip);
    const result = await checkRuleset(ruleset);
    if ('unavailable' in result) return skipOrFailInCi(t, result.unavailable);
    assert.equal(result.code, 0, result.output);
  });

  test('a later run keeps four-port mode and changes nothing; another gateway in conf.toml opens its port instead', async () => {
    const again = await runStagedInstall(source, root);
    assert.match(again.stdout, /four-port mode \(0 change\(s\) in this run\)/);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^gateway = 0$/m, 'gateway = 2'));
    const moved = await runStagedInstall(source, root);
    assert.match(moved.stdout, /kan 2 answers for the cluster on port 8446/);
    assert.match(moved.stdout + moved.stderr, /8443 and 8446 \(four-port mode\) accept connections/);
    for (const set of dportSets(readFileSync(ruleset, 'utf8'))) assert.equal(set, '8443, 8446');
  });

  test('--six-port opens the four ports again and writes mode = "six-port"', async () => {
    const back = await runStagedInstall(source, root, ['--six-port']);
    assert.match(back.stdout, /conf\.toml: \[cluster\] mode = "six-port"/);
    assert.match(readFileSync(conf, 'utf8'), /^mode = "six-port"$/m);
    for (const set of dportSets(readFileSync(ruleset, 'utf8'))) assert.equal(set, '8443, 8444, 8445, 8446');
  });

  test('--rollback: refused without a previous release, and for a release installed from a checkout; nothing is switched', async () => {
    const current = (): string => readFileSync(join(root, 'etc/qsen/install.state'), 'utf8');
    const rollback = (...extra: string[]) => runCommand('bash', [join(source, 'deploy/install.sh'), '--root', root, '--rollback', ...extra]);
    const none = await rollback();
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no previous release is recorded/);
    await runStagedInstall(source, root, ['--release', 'second']);
    assert.match(current(), /^PREVIOUS_RELEASE=/m);
    const fromCheckout = await rollback();
    assert.notEqual(fromCheckout.code, 0);
    assert.match(fromCheckout.stderr, /installed from a checkout, not from a bundle/);
    const same = await rollback('--release', 'second');
    assert.match(same.stderr, /already the current one/);
    const missing = await rollback('--release', 'nowhere');
    assert.match(missing.stderr, /release nowhere is not installed/);
    const link = await runCommand('readlink', [join(root, 'opt/qsen/current')]);
    assert.equal(link.stdout.trim(), 'releases/second');
  });
});
