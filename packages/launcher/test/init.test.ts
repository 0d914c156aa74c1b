import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ApiError, evaluateWindow, loadConfig } from '@qsen/core';
import { describeCertificate, describeCrl } from '@qsen/pki';
import { gencrlWithOpenssl, makeTempDir, requireTool } from '@qsen/testkit';
import { initStateFolder, parsePortOverrides, resolveLocalPorts, STANDARD_PORTS } from '../src/state/init.js';

function checksums(root: string): Map<string, string> {
  const sums = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else sums.set(relative(root, full), `${createHash('sha256').update(readFileSync(full)).digest('hex')} ${statSync(full).mode.toString(8)}`);
    }
  };
  walk(root);
  return sums;
}

const CONTRACT_FILES = [
  'conf.toml', 'pki/ca.crt', 'pki/ca.key', 'pki/crl.pem', 'pki/server.crt', 'pki/server.key',
  'pki/clients/platform.crt', 'pki/clients/platform.key', 'pki/clients/operator.crt', 'pki/clients/operator.key',
  'pki/clients/auditor.crt', 'pki/clients/auditor.key', 'senebi/ca.crt', 'senebi/agent.crt', 'senebi/agent.key.enc', 'senebi/passphrase',
];

describe('initStateFolder', () => {
  const dir = makeTempDir('qsen-launcher-init-');
  after(() => dir.remove());
  const home = join(dir.path, 'home');
  const ports = { qsen: 18443, kans: [18444, 18445, 18446] as const, senebi: 19443, nodeExporter: 19100 };

  it('creates the state folder of docs/api.md §9 with the requested ports and an all-day window', () => {
    const report = initStateFolder({ home, ports, installDir: dir.path });
    for (const file of CONTRACT_FILES) {
      assert.ok(statSync(join(home, file)).isFile(), `${file} exists`);
      assert.ok(report.created.includes(file), `${file} reported as created`);
    }
    assert.equal(statSync(join(home, 'logs')).mode & 0o777, 0o750);
    assert.equal(statSync(join(home, 'data')).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, 'run')).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, 'pki/ca.key')).mode & 0o077, 0, 'CA key is private');
    assert.equal(statSync(join(home, 'senebi/passphrase')).mode & 0o777, 0o600);

    const config = loadConfig(report.configFile);
    assert.equal(config.server.qsen_port, 18443);
    assert.deepEqual([...config.server.kan_ports], [18444, 18445, 18446]);
    assert.equal(config.senebi.url, 'https://127.0.0.1:19443');
    assert.equal(config.node_exporter.url, 'http://127.0.0.1:19100');
    assert.equal(config.control.mode, 'local');
    assert.equal(config.control.socket, join(home, 'run/control.sock'));
    assert.equal(config.paths.logs, join(home, 'logs'));
    assert.equal(config.paths.install, dir.path);
    // Sunday 03:00 and Wednesday 23:59 in Buenos Aires: open (local demo at any hour).
    assert.equal(evaluateWindow(config.schedule, Date.parse('2026-11-22T06:00:00Z')).open, true);
    assert.equal(evaluateWindow(config.schedule, Date.parse('2026-11-26T02:59:00Z')).open, true);
  });

  it('is idempotent: a second run changes no file (checksums and modes) and creates nothing', () => {
    const before = checksums(home);
    const report = initStateFolder({ home, ports: { qsen: 28443 } });
    const afterSums = checksums(home);
    assert.deepEqual(report.created, []);
    for (const file of CONTRACT_FILES) assert.ok(report.kept.includes(file), `${file} reported as kept`);
    assert.deepEqual([...afterSums.entries()].sort(), [...before.entries()].sort());
  });

  it('keeps the revocations of a CRL made by openssl ca -gencrl (npm start / npm run init never un-revoke)', (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const read = (rel: string): string => readFileSync(join(home, rel), 'utf8');
    const platformSerial = describeCertificate(read('pki/clients/platform.crt')).serial;
    const work = join(dir.path, 'openssl-ca');
    mkdirSync(work);
    writeFileSync(join(home, 'pki/crl.pem'), gencrlWithOpenssl(openssl, work, { certPem: read('pki/ca.crt'), keyPem: read('pki/ca.key') }, { revokedSerials: [platformSerial], crlNumber: 20 }));
    initStateFolder({ home });
    const crl = describeCrl(read('pki/crl.pem'));
    assert.deepEqual(crl.revoked.map((r) => r.serial), [platformSerial]);
    assert.ok((crl.crlNumber ?? 0) > 20, `CRL number ${String(crl.crlNumber)}`);
  });

  it('keeps an edited conf.toml as it is', () => {
    const file = join(home, 'conf.toml');
    const edited = `${readFileSync(file, 'utf8')}\n# edited by the operator\n`;
    writeFileSync(file, edited);
    initStateFolder({ home });
    assert.equal(readFileSync(file, 'utf8'), edited);
  });
});

describe('port settings', () => {
  it('reads the environment-style overrides', () => {
    assert.deepEqual(parsePortOverrides({}), {});
    assert.deepEqual(parsePortOverrides({ QSEN_QSEN_PORT: '1443', QSEN_KAN_PORTS: '1444, 1445,1446', QSEN_SENEBI_PORT: '1999', QSEN_NODE_EXPORTER_PORT: '1100' }),
      { qsen: 1443, kans: [1444, 1445, 1446], senebi: 1999, nodeExporter: 1100 });
  });

  it('refuses bad ports with INVALID_SETTING', () => {
    const invalid = (err: unknown) => err instanceof ApiError && err.code === 'INVALID_SETTING';
    assert.throws(() => parsePortOverrides({ QSEN_QSEN_PORT: 'abc' }), invalid);
    assert.throws(() => parsePortOverrides({ QSEN_QSEN_PORT: '70000' }), invalid);
    assert.throws(() => parsePortOverrides({ QSEN_KAN_PORTS: '1,2' }), invalid);
    assert.throws(() => resolveLocalPorts({ qsen: STANDARD_PORTS.kans[0] }), invalid);
    assert.deepEqual(resolveLocalPorts(), STANDARD_PORTS);
  });
});
