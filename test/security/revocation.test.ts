/**
 * Revocation and the certificate policy on the whole system, started as `npm start` starts it:
 * `qsen-pki revoke` is in force on qsen and the three kans within 2 s without a restart (each
 * node's own reload time is measured from its status answer), kept-alive connections of the
 * revoked certificate are refused, `qsenctl status` shows every node's CRL number, a CRL made by
 * `openssl ca -gencrl` is enforced everywhere and survives `npm run init`, and a certificate made
 * by openssl with an OU hidden in a multi-valued RDN is refused by every node.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeCertificate, issueClientIdentity } from '@qsen/pki';
import { gencrlWithOpenssl, issueWithOpenssl, requireTool, waitFor, type ClientIdentity } from '@qsen/testkit';
import { NODE_NAMES, REPOSITORY, buildSystemEnv, initStateFolderLikeNpm, readCa, readLogs, startSystem, type LocalSystem, type NodeName } from '../support/index.js';

const run = promisify(execFile);
const PKI_CLI = join(REPOSITORY, 'packages/pki/bin/qsen-pki.js');
const CTL_CLI = join(REPOSITORY, 'packages/ctl/bin/qsenctl.js');

let system: LocalSystem;
let eve: ClientIdentity;
let mallory: ClientIdentity;
let eveFile = '';

function readIdentity(home: string, name: string): ClientIdentity {
  return { cert: readFileSync(join(home, `pki/clients/${name}.crt`), 'utf8'), key: readFileSync(join(home, `pki/clients/${name}.key`), 'utf8') };
}

before(async () => {
  system = await startSystem({
    prefix: 'qsen-revocation-',
    prepare: (home) => {
      issueClientIdentity(home, 'operator', 'eve');
      issueClientIdentity(home, 'operator', 'mallory');
      eve = readIdentity(home, 'eve');
      mallory = readIdentity(home, 'mallory');
      eveFile = join(home, 'pki/clients/eve.crt');
    },
  });
});

after(async () => {
  await system?.stop();
});

const STATUS_PATH: Record<NodeName, string> = { qsen: '/qsen/v1/status', kan0: '/kan/v1/status', kan1: '/kan/v1/status', kan2: '/kan/v1/status' };

/** Status of one GET with `identity` on a fresh connection; the connection error's code when no HTTP came back. */
async function statusWith(node: NodeName, identity: ClientIdentity): Promise<number | string> {
  try {
    return (await system.call(node, STATUS_PATH[node], { identity, timeoutMs: 10_000 })).status;
  } catch (err) {
    return (err as { code?: string }).code ?? 'ERROR';
  }
}

/** The node's `tls` status block (read with the auditor identity). */
async function tlsOf(node: NodeName): Promise<{ crlNumber: number | null; loadedAt: string }> {
  const answer = await system.call(node, STATUS_PATH[node], { identity: 'auditor' });
  return (JSON.parse(answer.body) as { tls: { crlNumber: number | null; loadedAt: string } }).tls;
}

/** GET through a kept-alive agent; the connection error's code when no HTTP came back. */
function sendKeptAlive(agent: Agent, node: NodeName): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: system.portOf(node), path: STATUS_PATH[node], servername: 'localhost', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('revocation on all four nodes, without a restart', () => {
  test('qsen-pki revoke: every node enforces the new CRL within 2 s, kept-alive connections included; qsenctl status shows the CRL numbers', { timeout: 120_000 }, async () => {
    const pids = await Promise.all(['qsen', 'kan0', 'kan1', 'kan2'].map(async (name) => (await system.status(name)).pid));
    const agents = new Map(NODE_NAMES.map((node) => [node, new Agent({ keepAlive: true, maxSockets: 1, ca: system.ca, cert: eve.cert, key: eve.key })]));
    try {
      for (const node of NODE_NAMES) {
        assert.equal(await statusWith(node, eve), 200, `${node} serves eve before the revocation`);
        assert.equal(await sendKeptAlive(agents.get(node) as Agent, node), 200);
      }
      const before = await tlsOf('qsen');
      const { stdout } = await run(process.execPath, [PKI_CLI, 'revoke', eveFile, '--home', system.home]);
      assert.match(stdout, /in force on every node within 2 s .*check with "qsenctl status"/);
      const crlNumber = Number(/CRL number (\d+)/.exec(stdout)?.[1]);
      assert.ok(crlNumber > (before.crlNumber ?? 0));
      const writtenAt = statSync(join(system.home, 'pki/crl.pem')).mtimeMs;

      await waitFor(async () => (await Promise.all(NODE_NAMES.map(tlsOf))).every((t) => t.crlNumber === crlNumber), { timeoutMs: 10_000, what: 'every node to report the new CRL number' });
      for (const node of NODE_NAMES) {
        // The node's own reload instant, so the measure does not depend on this test's polling.
        const lag = Date.parse((await tlsOf(node)).loadedAt) - writtenAt;
        assert.ok(lag <= 2000, `${node} took the new CRL ${lag} ms after it was written`);
        assert.notEqual(await sendKeptAlive(agents.get(node) as Agent, node), 200, `${node}: the kept-alive agent is refused`);
        assert.notEqual(await statusWith(node, eve), 200, `${node}: a new connection is refused`);
      }
      for (const [node, prefix] of [['qsen', 'qsen'], ['kan0', 'kan0'], ['kan1', 'kan1'], ['kan2', 'kan2']] as const) {
        await waitFor(() => readLogs(system.home, prefix).includes('CERT_REVOKED'), { timeoutMs: 5000, what: `${node} to log the refusal as CERT_REVOKED` });
      }
      // No node restarted.
      assert.deepEqual(await Promise.all(['qsen', 'kan0', 'kan1', 'kan2'].map(async (name) => (await system.status(name)).pid)), pids);

      const ctl = await run(process.execPath, [CTL_CLI, 'status'], { env: buildSystemEnv(system.home, system.ports) });
      assert.match(ctl.stdout, /CERT DAYS +CRL$/m);
      for (const node of ['qsen', 'kan 0', 'kan 1', 'kan 2']) assert.match(ctl.stdout, new RegExp(`^${node} .* ${crlNumber}$`, 'm'), ctl.stdout);
    } finally {
      for (const agent of agents.values()) agent.destroy();
    }
  });

  test('a CRL made by openssl ca -gencrl is enforced by every node and survives npm run init', { timeout: 120_000 }, async (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    for (const node of NODE_NAMES) assert.equal(await statusWith(node, mallory), 200);
    const current = (await tlsOf('qsen')).crlNumber ?? 0;
    const work = join(system.home, '..', 'openssl-ca');
    mkdirSync(work, { recursive: true });
    const revoked = [describeCertificate(eve.cert as string).serial, describeCertificate(mallory.cert as string).serial];
    const crl = gencrlWithOpenssl(openssl, work, readCa(system.home), { revokedSerials: revoked, crlNumber: current + 5 });
    writeFileSync(join(work, 'crl.new'), crl);
    renameSync(join(work, 'crl.new'), join(system.home, 'pki/crl.pem'));
    await waitFor(async () => (await Promise.all(NODE_NAMES.map(tlsOf))).every((s) => s.crlNumber === current + 5), { timeoutMs: 10_000, what: 'the openssl CRL on every node' });
    for (const node of NODE_NAMES) assert.notEqual(await statusWith(node, mallory), 200, `${node} refuses mallory`);

    await initStateFolderLikeNpm(system.home, system.ports); // what npm run init (and npm start) run first
    await waitFor(async () => (await Promise.all(NODE_NAMES.map(tlsOf))).every((s) => (s.crlNumber ?? 0) > current + 5), { timeoutMs: 10_000, what: 'the CRL rebuilt by init on every node' });
    for (const node of NODE_NAMES) {
      assert.notEqual(await statusWith(node, mallory), 200, `${node} still refuses mallory after init`);
      assert.notEqual(await statusWith(node, eve), 200, `${node} still refuses eve after init`);
    }
  });

  test('an openssl certificate with CN=x+OU=operator beside OU=platform is refused by every node as CERT_OU_NOT_SINGLE', { timeout: 60_000 }, async (t) => {
    const openssl = requireTool('openssl');
    if (typeof openssl !== 'string') return t.skip(openssl.skip);
    const work = join(system.home, '..', 'openssl-rdn');
    mkdirSync(work, { recursive: true });
    const made = issueWithOpenssl(openssl, work, readCa(system.home), { name: 'hidden-ou', key: 'rsa:2048', subject: '/CN=x+OU=operator/OU=platform', multiValueRdn: true });
    for (const node of NODE_NAMES) assert.equal(typeof (await statusWith(node, made)), 'string', `${node} gives no HTTP answer`);
    for (const prefix of ['qsen', 'kan0', 'kan1', 'kan2']) {
      await waitFor(() => readLogs(system.home, prefix).includes('CERT_OU_NOT_SINGLE'), { timeoutMs: 5000, what: `${prefix} to log CERT_OU_NOT_SINGLE` });
    }
  });
});
