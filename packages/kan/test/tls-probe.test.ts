/**
 * The watchdog's probe follows the TLS material in force: after a CA rotation (new CA, new
 * server certificate, new CRL) the peers still answer the probe, where a probe holding the CA
 * read at start would see every peer fail its certificate check and condemn them all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';
import { createApiApp, createMtlsServer, defineRoute, openTrustStore, sendJson, type MtlsServer, type TlsFiles } from '@qsen/core';
import { createCa, createCrl, issueServerCertificate, type Identity } from '@qsen/pki';
import { makeTempDir } from '@qsen/testkit';
import { createTrustFollowingProbe } from '../src/node.js';
import { createHttpsProbe } from '../src/watchdog/probe.js';
import { createPeerTls } from '../src/watchdog/peer-tls.js';

const logger = winston.createLogger({ silent: true });

function writeMaterial(files: TlsFiles, ca: Identity): void {
  const server = issueServerCertificate(ca, { commonName: 'localhost', hosts: ['localhost', '127.0.0.1'] });
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.key, server.keyPem, { mode: 0o600 });
  writeFileSync(files.cert, server.certPem);
  writeFileSync(files.crl, createCrl(ca, []));
}

describe('the watchdog probe across a CA rotation', () => {
  const tmp = makeTempDir('qsen-kan-probe-');
  const files: TlsFiles = { ca: join(tmp.path, 'ca.crt'), cert: join(tmp.path, 'server.crt'), key: join(tmp.path, 'server.key'), crl: join(tmp.path, 'crl.pem') };
  let target: MtlsServer;
  let port = 0;

  before(async () => {
    writeMaterial(files, createCa({ commonName: 'first cluster CA' }));
    const app = createApiApp({ logger, mount: (a) => defineRoute(a, '/kan/v1/ping', { GET: { roles: 'internal', handler: (_req, res) => sendJson(res, { ok: true, pid: process.pid }) } }) });
    target = createMtlsServer({ trust: openTrustStore(files, { logger }), app, logger });
    port = await target.listen(0, '127.0.0.1');
  });

  after(async () => {
    await target?.close();
    tmp.remove();
  });

  test('keeps verifying the peers with the CA in force; a probe holding the old CA fails', async () => {
    const trust = openTrustStore(files, { logger }); // this kan's own view of the same files
    const peerTls = createPeerTls(trust);
    const following = createTrustFollowingProbe(peerTls);
    const frozen = createHttpsProbe({ caPem: String(trust.current().options.ca) });
    try {
      const ping = { port, path: '/kan/v1/ping' };
      assert.equal((await following(ping, 5000)).outcome, 'ok');
      writeMaterial(files, createCa({ commonName: 'second cluster CA' }));
      assert.deepEqual(target.reload(), { ok: true });
      assert.deepEqual(trust.reload(), { ok: true });
      const after = await following(ping, 5000);
      assert.equal(after.outcome, 'ok', after.detail);
      assert.equal(after.pid, process.pid);
      assert.equal((await frozen(ping, 5000)).outcome, 'untrusted');
    } finally {
      following.close();
      peerTls.close();
      frozen.close();
      trust.close();
    }
  });
});
