import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireTool, makeTempDir } from '@qsen/testkit';
import { runCli, EXIT, type CliIo } from '../src/cli/run.js';
import { describeCertificate, listRevoked } from '../src/index.js';
import { runOpenssl } from './openssl.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** Runs the CLI in-process and captures what it printed. */
function run(argv: string[], defaultHome: string): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, defaultHome };
  const code = runCli(argv, io);
  return { code, out, err };
}

describe('qsen-pki CLI', () => {
  const tmp = makeTempDir('qsen-pki-cli-');
  const home = join(tmp.path, 'state');
  let initOut = '';

  before(() => {
    // The real binary, with the state folder taken from $QSEN_HOME.
    const result = spawnSync(process.execPath, [CLI, 'init', '--host', 'gw.example.com'], {
      env: { ...process.env, QSEN_HOME: home }, encoding: 'utf8', timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    initOut = result.stdout;
  });
  after(() => tmp.remove());

  it('init uses $QSEN_HOME, reports created files and never prints the passphrase or a key', () => {
    assert.match(initOut, /created {2}pki\/ca\.key/);
    assert.match(initOut, /19 created, 0 kept/);
    const passphrase = readFileSync(join(home, 'senebi/passphrase'), 'utf8');
    assert.equal(initOut.includes(passphrase), false);
    assert.equal(initOut.includes('PRIVATE KEY'), false);
    const again = run(['init', '--home', home], '/nonexistent');
    assert.equal(again.code, EXIT.ok);
    assert.match(again.out, /0 created, 19 kept/);
  });

  it('issue-client writes the identity and a PKCS#12 whose password is printed once and stored 0600', (t) => {
    const result = run(['issue-client', '--role', 'auditor', '--name', 'carol', '--p12', '--days', '30'], home);
    assert.equal(result.code, EXIT.ok, result.err);
    const password = /password: (\S+)/.exec(result.out)?.[1] ?? '';
    assert.ok(password.length >= 20);
    assert.equal(result.out.split(password).length - 1, 1);
    const passFile = join(home, 'pki/clients/carol.p12.pass');
    assert.equal(readFileSync(passFile, 'utf8').trim(), password);
    assert.equal(statSync(passFile).mode & 0o777, 0o600);
    const info = describeCertificate(readFileSync(join(home, 'pki/clients/carol.crt'), 'utf8'));
    assert.equal(info.organizationalUnit, 'auditor');
    assert.ok(info.daysLeft >= 29 && info.daysLeft <= 30);
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const opened = runOpenssl(openssl, ['pkcs12', '-in', join(home, 'pki/clients/carol.p12'), '-nodes', '-passin', `file:${passFile}`]);
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /BEGIN PRIVATE KEY/);
  });

  it('issue-client --p12-pass-file protects the PKCS#12 with the file\'s passphrase, which it never prints or stores', (t) => {
    const passphrase = 'console import passphrase 7';
    const passFile = join(tmp.path, 'dora.pass');
    writeFileSync(passFile, `${passphrase}\n`, { mode: 0o600 });
    const result = run(['issue-client', '--role', 'operator', '--name', 'dora', '--p12-pass-file', passFile], home);
    assert.equal(result.code, EXIT.ok, result.err);
    assert.equal(result.out.includes(passphrase), false);
    assert.match(result.out, /protected by the passphrase in .*dora\.pass/);
    assert.equal(existsSync(join(home, 'pki/clients/dora.p12.pass')), false);
    assert.ok(existsSync(join(home, 'pki/clients/dora.p12')));
    const short = join(tmp.path, 'short.pass');
    writeFileSync(short, 'too short\n');
    const refused = run(['issue-client', '--role', 'operator', '--name', 'erin', '--p12-pass-file', short], home);
    assert.equal(refused.code, EXIT.failed);
    assert.match(refused.err, /INVALID_ARGUMENT/);
    assert.equal(existsSync(join(home, 'pki/clients/erin.crt')), false, 'nothing is issued with a refused passphrase');
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const opened = runOpenssl(openssl, ['pkcs12', '-in', join(home, 'pki/clients/dora.p12'), '-nodes', '-passin', `file:${passFile}`]);
    assert.equal(opened.status, 0, opened.stderr);
    assert.match(opened.stdout, /BEGIN PRIVATE KEY/);
    assert.match(opened.stdout, /OU ?= ?operator/);
  });

  it('info prints a table or JSON for certificates and CRLs', () => {
    const table = run(['info', join(home, 'pki/clients/platform.crt')], home);
    assert.equal(table.code, EXIT.ok);
    assert.match(table.out, /^subject +CN=qsen-platform,OU=platform,O=QSen$/m);
    assert.match(table.out, /^role \(OU\) +platform$/m);
    const asJson = run(['info', '--json', join(home, 'pki/server.crt')], home);
    const parsed = JSON.parse(asJson.out) as { subjectAltNames: string[]; extKeyUsage: string[] };
    assert.deepEqual(parsed.extKeyUsage, ['serverAuth']);
    assert.ok(parsed.subjectAltNames.includes('DNS:gw.example.com'));
    const crl = run(['info', join(home, 'pki/crl.pem')], home);
    assert.match(crl.out, /^crl number +1$/m);
    const key = run(['info', join(home, 'pki/ca.key')], home);
    assert.equal(key.code, EXIT.failed);
    assert.match(key.err, /INVALID_CERTIFICATE/);
    assert.equal((key.out + key.err).includes('PRIVATE KEY'), false);
  });

  it('revoke by file and by serial updates the CRL listing; crl --renew bumps the number', () => {
    const revoked = run(['revoke', join(home, 'pki/clients/carol.crt')], home);
    assert.equal(revoked.code, EXIT.ok, revoked.err);
    assert.match(revoked.out, /CRL number 2/);
    assert.equal(run(['revoke', '--serial', 'DEAD:BEEF'], home).code, EXIT.ok);
    const listing = run(['crl', '--json'], home);
    const record = JSON.parse(listing.out) as { crlNumber: number; revoked: Array<{ serial: string; subject?: string }> };
    assert.equal(record.crlNumber, 3);
    assert.deepEqual(record.revoked.map((e) => e.subject ?? e.serial), ['CN=carol,OU=auditor,O=QSen', 'DEADBEEF']);
    assert.match(run(['crl'], home).out, /CN=carol,OU=auditor,O=QSen/);
    assert.equal(run(['crl', '--renew'], home).code, EXIT.ok);
    assert.equal(listRevoked(home).crlNumber, 4);
  });

  it('renew replaces a client pair and archives the old one', () => {
    const result = run(['renew', 'platform', '--revoke-old'], home);
    assert.equal(result.code, EXIT.ok, result.err);
    assert.match(result.out, /revoked the old serial/);
    const oldSerial = /serial (\S+) ->/.exec(result.out)?.[1] ?? '';
    assert.ok(existsSync(join(home, `pki/archive/platform-${oldSerial}.crt`)));
  });

  it('exits 2 on usage errors and 1 on failures, with a clear message', () => {
    const cases: Array<[string[], number, RegExp]> = [
      [[], EXIT.usage, /Usage: qsen-pki/],
      [['bogus'], EXIT.usage, /unknown command "bogus"/],
      [['init', '--frob'], EXIT.usage, /Unknown option '--frob'/],
      [['issue-client', '--role', 'operator'], EXIT.usage, /--name is required/],
      [['revoke'], EXIT.usage, /one certificate FILE or --serial/],
      [['issue-client', '--role', 'operator', '--name', 'x', '--days=0'], EXIT.usage, /--days must be a positive/],
      [['issue-client', '--role', 'root', '--name', 'dave'], EXIT.failed, /INVALID_ARGUMENT: role must be one of/],
      [['issue-client', '--role', 'operator', '--name', 'platform'], EXIT.failed, /ALREADY_EXISTS/],
      [['info', join(home, 'missing.crt')], EXIT.failed, /NOT_FOUND/],
      [['revoke', '--serial', 'xyz'], EXIT.failed, /INVALID_ARGUMENT/],
      [['crl', '--home', join(tmp.path, 'empty')], EXIT.failed, /NOT_FOUND: no pki\/crl.pem/],
    ];
    for (const [argv, code, message] of cases) {
      const result = run(argv, home);
      assert.equal(result.code, code, `${argv.join(' ')}: ${result.err}`);
      assert.match(result.err, message, argv.join(' '));
    }
    assert.equal(run(['help'], home).code, EXIT.ok);
    const spawned = spawnSync(process.execPath, [CLI, 'bogus'], { encoding: 'utf8' });
    assert.equal(spawned.status, EXIT.usage);
  });
});
