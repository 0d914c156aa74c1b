// The watchdog's client TLS follows the TLS files (docs/kan.md, "Trust reload"), with
// certificates made by the openssl CLI: a kan watching three real mutual-TLS servers (core's
// createMtlsServer, each with its own trust store on the same files, as the nodes have) goes
// through a CA rotation in which it reloads first and its targets 1.5 s later (the skew the nodes'
// own file watches allow): its probes see the old certificates refused meanwhile (`untrusted`,
// not counted inside TRUST_SETTLE_MS), nobody is judged down or restarted, and afterwards every
// target is healthy again with its idle watch connection opened anew on the new CA. Then one
// target is left with a certificate of a CA this kan does not trust: it is refused (probe and idle
// connection), and once TRUST_SETTLE_MS is over it counts as failing and is restarted, alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import winston from 'winston';
import { createApiApp, createMtlsServer, defineRoute, openTrustStore, sendJson, systemClock, SILENT_LOG, type MtlsServer, type TlsFiles, type WatchdogConfig } from '@qsen/core';
import { findFreePort, gencrlWithOpenssl, issueWithOpenssl, makeTempDir, requireTool, runOpensslCli, waitFor, type OpensslCa } from '@qsen/testkit';
import { createTrustFollowingProbe } from '../src/node.js';
import type { ProcessControl, ProcessName, ProcessState } from '../src/process/control.js';
import { createCoordinator } from '../src/watchdog/coordinator.js';
import { backoffPolicyOf, createRestartLedger } from '../src/watchdog/ledger.js';
import { createPeerTls } from '../src/watchdog/peer-tls.js';
import { initialTargetState, recordProbe, TRUST_SETTLE_MS } from '../src/watchdog/step.js';
import type { ProbeOutcome } from '../src/watchdog/policy.js';
import { createWatchdog } from '../src/watchdog/watchdog.js';
import { outcomeOfError, watchConnection, type ConnectionWatch } from '../src/watchdog/probe.js';

const logger = winston.createLogger({ silent: true });
const tmp = makeTempDir('kan-trust-reload-');
let openssl: string | { skip: string };

before(() => {
  openssl = requireTool('openssl');
});
after(() => tmp.remove());

/** A CA made by `openssl req -x509` (RSA 2048, CA:TRUE, keyCertSign and cRLSign). */
function opensslCa(tool: string, dir: string, name: string): OpensslCa {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  runOpensslCli(tool, dir, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-sha256', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { certPem: runOpensslCli(tool, dir, ['x509', '-in', cert]), keyPem: runOpensslCli(tool, dir, ['pkey', '-in', key]) };
}

/** The four TLS files of one CA generation, all made by openssl: the CA, a server certificate for localhost, its key, an empty CRL. */
function writeMaterial(tool: string, files: TlsFiles, name: string): void {
  const dir = join(tmp.path, name);
  mkdirSync(dir, { recursive: true });
  const ca = opensslCa(tool, dir, name);
  const server = issueWithOpenssl(tool, dir, ca, {
    name: 'server', key: 'rsa:2048', subject: '/CN=localhost',
    extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
  });
  const crl = gencrlWithOpenssl(tool, dir, ca, { revokedSerials: [], crlNumber: 1 });
  mkdirSync(join(files.ca, '..'), { recursive: true });
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.key, server.key, { mode: 0o600 });
  writeFileSync(files.cert, server.cert);
  writeFileSync(files.crl, crl);
}

const filesIn = (dir: string): TlsFiles => ({ ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), crl: join(dir, 'crl.pem') });

/** Every TLS connection the targets accepted, with when (the idle watch connections are the long-lived ones). */
const accepted: Array<{ at: number; socket: TLSSocket }> = [];

/** A node answering its internal ping over mutual TLS with the files in force. */
async function startTarget(files: TlsFiles, path: string, port: number): Promise<MtlsServer> {
  const app = createApiApp({ logger, mount: (a) => defineRoute(a, path, { GET: { roles: 'internal', handler: (_req, res) => sendJson(res, { ok: true, pid: process.pid }) } }) });
  const server = createMtlsServer({ trust: openTrustStore(files, { logger }), app, logger, watchFiles: false });
  server.server.on('secureConnection', (socket: TLSSocket) => accepted.push({ at: Date.now(), socket }));
  await server.listen(port, '127.0.0.1');
  return server;
}

/** An owner that says every target runs (this process, long past its grace) and records the verbs. */
function recordingOwner(): ProcessControl & { calls: string[] } {
  const calls: string[] = [];
  const invocations = new Map<ProcessName, number>();
  const state = (name: ProcessName): ProcessState => ({ name, state: 'running', pid: process.pid, invocation: String(invocations.get(name) ?? 1), startedAt: Date.now() - 600_000, starts: 1 });
  const verb = (v: string) => async (name: ProcessName): Promise<ProcessState> => {
    calls.push(`${v} ${name}`);
    invocations.set(name, (invocations.get(name) ?? 1) + 1);
    return state(name);
  };
  return { mode: 'local', calls, status: async (name) => state(name), start: verb('start'), stop: verb('stop'), restart: verb('restart') };
}

const settings: WatchdogConfig = {
  interval_ms: 300, timeout_ms: 1_500, failure_threshold: 3, startup_grace_ms: 1_000, stop_grace_ms: 500,
  backoff_initial_ms: 400, backoff_max_ms: 3_200, stable_after_ms: 60_000,
};

test('a CA rotation with the kan reloading 1.5 s before its targets: no target judged down, none restarted; a retired CA\'s certificate is refused and, past the settling time, restarted alone', { timeout: 120_000 }, async (t) => {
  if (typeof openssl !== 'string') {
    t.skip(openssl.skip);
    return;
  }
  const tool = openssl;
  const files = filesIn(join(tmp.path, 'tls'));
  writeMaterial(tool, files, 'first-ca');
  // kan2 reads its own copy of the files, so that it can be left behind on a retired CA later.
  const kan2Files = filesIn(join(tmp.path, 'tls-kan2'));
  const copyMaterial = (from: TlsFiles, to: TlsFiles): void => {
    mkdirSync(join(to.ca, '..'), { recursive: true });
    for (const k of ['ca', 'cert', 'key', 'crl'] as const) copyFileSync(from[k], to[k]);
  };
  copyMaterial(files, kan2Files);
  const runDir = join(tmp.path, 'run');
  mkdirSync(runDir);
  const qsenPort = await findFreePort();
  const kanPorts = [await findFreePort(), await findFreePort(), await findFreePort()];
  const targets = new Map<string, MtlsServer>([
    ['qsen', await startTarget(files, '/qsen/v1/ping', qsenPort)],
    ['kan1', await startTarget(files, '/kan/v1/ping', kanPorts[1] ?? 0)],
    ['kan2', await startTarget(kan2Files, '/kan/v1/ping', kanPorts[2] ?? 0)],
  ]);
  const trust = openTrustStore(files, { logger }); // this kan's own view of the same files
  const peerTls = createPeerTls(trust);
  const probe = createTrustFollowingProbe(peerTls);
  const owner = recordingOwner();
  const ledger = createRestartLedger(runDir, backoffPolicyOf(settings));
  const coordinator = createCoordinator({ control: owner, ledger, runDir, selfIndex: 0, clock: systemClock, logger: SILENT_LOG });
  const watchdog = createWatchdog({
    selfIndex: 0, qsenPort, kanPorts, settings, control: owner, coordinator, ledger, probe, clock: systemClock, isWindowOpen: () => true,
    dailyRestartDueAt: null, peerTls, logger: process.env['KAN_DEBUG'] ? { error: console.log, warn: console.log, info: console.log, debug: () => undefined } : SILENT_LOG, heartbeatDir: runDir,
  });
  // Every verdict and outcome the watchdog shows, sampled all along.
  const seen = { verdicts: new Set<string>(), outcomes: new Set<string>() };
  const sampler = setInterval(() => {
    for (const v of watchdog.view()) {
      seen.verdicts.add(`${v.name}:${v.verdict.kind}`);
      seen.outcomes.add(`${v.name}:${v.lastOutcome ?? 'none'}`);
    }
  }, 20);
  const allWatchedHealthy = (): boolean => watchdog.view().every((v) => v.verdict.kind === 'healthy' && v.lastOutcome === 'ok' && v.failures === 0 && v.watching);
  try {
    watchdog.start();
    await waitFor(allWatchedHealthy, { timeoutMs: 30_000, what: 'every target healthy with its idle connection' });

    // The rotation: new CA, server certificate and CRL on disk; this kan reloads first.
    writeMaterial(tool, files, 'second-ca');
    copyMaterial(files, kan2Files);
    const rotatedAt = Date.now();
    await waitFor(() => accepted.filter((c) => !c.socket.destroyed).length >= 3, { timeoutMs: 10_000, what: 'the idle connections open' });
    assert.deepEqual(trust.reload(), { ok: true });
    await waitFor(() => watchdog.view().every((v) => v.lastOutcome === 'untrusted'), { timeoutMs: 10_000, what: 'the old certificates refused by the new CA' });
    const skewEnds = Date.now() + 1_500;
    await waitFor(() => Date.now() > skewEnds, { timeoutMs: 5_000, what: 'the skew between the reloads' });
    for (const server of targets.values()) assert.deepEqual(server.reload(), { ok: true });
    const reloadedAt = Date.now();
    await waitFor(() => allWatchedHealthy() && watchdog.view().every((v) => (v.lastSeenAt ?? 0) > reloadedAt), { timeoutMs: 30_000, what: 'every target healthy again, watched on the new CA' });
    assert.deepEqual(owner.calls, [], 'nobody restarted across the rotation');
    // The idle connections verified under the first CA were closed at the reload, and new ones opened on the second.
    // (closed by this kan at its reload: the servers themselves would keep an idle connection 10 s or more)
    await waitFor(() => accepted.filter((c) => c.at < rotatedAt && !c.socket.destroyed).length === 0, { timeoutMs: 5_000, what: 'the old idle connections closed' });
    await waitFor(() => accepted.filter((c) => c.at > reloadedAt && !c.socket.destroyed).length >= 3 && allWatchedHealthy(), { timeoutMs: 10_000, what: 'an idle connection to each target on the new CA' });
    for (const name of ['qsen', 'kan1', 'kan2']) {
      assert.ok(seen.outcomes.has(`${name}:untrusted`), `${name}'s old certificate was refused during the skew`);
      for (const verdict of ['suspect', 'hung', 'exited']) assert.ok(!seen.verdicts.has(`${name}:${verdict}`), `${name} was never judged ${verdict}`);
    }

    // kan2's files go back to a CA this kan no longer trusts (a node left behind on a retired CA).
    writeMaterial(tool, kan2Files, 'retired-ca');
    assert.deepEqual(targets.get('kan2')?.reload(), { ok: true });
    const direct = await probe({ port: kanPorts[2] ?? 0, path: '/kan/v1/ping' }, 5_000);
    assert.equal(direct.outcome, 'untrusted', `the probe refuses it: ${direct.detail ?? ''}`);
    const refusedAt = Date.now();
    await waitFor(() => owner.calls.includes('restart kan2'), { timeoutMs: 30_000, what: 'kan2 restarted once its certificate stays refused' });
    assert.ok(Date.now() - refusedAt >= TRUST_SETTLE_MS - 1_000, 'not before the settling time');
    // (the back-off may space out more restarts of kan2 while its certificate stays refused)
    assert.ok(owner.calls.every((call) => call === 'restart kan2'), `only kan2: ${owner.calls.join(', ')}`);
    // A new idle connection is refused too (the one opened before kan2's reload was verified then, and stays).
    const refusedWatch = await new Promise<boolean>((resolve) => {
      let watch: ConnectionWatch | undefined = undefined;
      watch = watchConnection({ port: kanPorts[2] ?? 0, secureContext: peerTls.context(), onLost: () => resolve(false), onEnd: () => resolve(!(watch?.established ?? false)) });
    });
    assert.equal(refusedWatch, true, 'no idle connection to a refused certificate');
    assert.ok(watchdog.view().filter((v) => v.name !== 'kan2').every((v) => v.verdict.kind === 'healthy'), 'the others stay healthy');
  } finally {
    clearInterval(sampler);
    await watchdog.stop();
    probe.close();
    peerTls.close();
    trust.close();
    for (const server of targets.values()) await server.close();
  }
});

test('untrusted (pure): a certificate refused by the CA in force is not counted for TRUST_SETTLE_MS from the first in a row, then fails; any other outcome ends the run', () => {
  assert.equal(outcomeOfError('SELF_SIGNED_CERT_IN_CHAIN'), 'untrusted');
  assert.equal(outcomeOfError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'untrusted');
  assert.equal(outcomeOfError('ERR_TLS_CERT_ALTNAME_INVALID'), 'untrusted');
  assert.equal(outcomeOfError('ECONNREFUSED'), 'refused');
  assert.equal(outcomeOfError('EPROTO'), 'error');
  const at = 1_000_000;
  const probe = (outcome: ProbeOutcome, settledAt: number) => ({ outcome, durationMs: 5, pid: null, dueAt: settledAt - 5, firedAt: settledAt - 5, settledAt, timeoutMs: 700, now: settledAt });
  let state = initialTargetState('kan1', 1, '/kan/v1/ping');
  const first = recordProbe(state, probe('untrusted', at), settings);
  assert.equal(first.evidence, 'settling');
  state = first.state;
  assert.equal(recordProbe(state, probe('untrusted', at + TRUST_SETTLE_MS - 1), settings).evidence, 'settling');
  const late = recordProbe(state, probe('untrusted', at + TRUST_SETTLE_MS), settings);
  assert.equal(late.evidence, 'failed');
  assert.equal(late.state.lastOutcome, 'untrusted');
  // A refusal in between ends the run: the next untrusted probe starts a new settling time.
  const refused = recordProbe(state, probe('refused', at + 100), settings);
  assert.equal(refused.state.untrustedSince, null);
  assert.equal(recordProbe(refused.state, probe('untrusted', at + TRUST_SETTLE_MS + 200), settings).evidence, 'settling');
  const ok = recordProbe(state, probe('ok', at + 100), settings);
  assert.equal(ok.state.untrustedSince, null);
});
