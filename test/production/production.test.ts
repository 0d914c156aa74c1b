/**
 * The production tier: QSen installed for real from the offline release bundle on a Debian 12
 * container with systemd as PID 1, and checked on the real systemd, polkit, nftables, sshd and
 * node_exporter. Run with `QSEN_TEST_CONCURRENCY=1 node test/run-tests.mjs --suite production`
 * (as root; .ci/run does it after the slow suite). See docs/deployment.md, "Production tier".
 *
 * The container has no internet and no Node.js: it sits in a network namespace made here,
 * wired by a veth pair to a client namespace made here (addresses only in these two), and the
 * bundle brings its own runtime. Everything is stopped and removed in `after`, also on failure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { findTool, waitFor } from '@qsen/testkit';
import { repoPath, runCommand, type CommandResult } from '../deploy/staging.js';
import { bootContainer, type Container } from './container.js';
import { createTestNetwork, type TestNetwork } from './network.js';
import { faultAndRecover, journalCursor, listenerPid, NODES, startsSince, unitProperty, waitClusterSteady } from './cluster.js';

/** Where the root file system tarball is cached between runs (keyed by its package list). */
const CACHE_DIR = process.env['QSEN_TEST_CACHE'] ?? '/var/cache/qsen-test';
const TOOLS = [
  ['systemd-nspawn', 'systemd-container'], ['debootstrap', 'debootstrap'], ['nsenter', 'util-linux'], ['ip', 'iproute2'],
  ['tar', 'tar'], ['gzip', 'gzip'], ['sha256sum', 'coreutils'],
] as const;
/** The inbound ports the contract opens (443 is the sixth, outbound to SENEBI only). */
const INBOUND = [8443, 8444, 8445, 8446, 52022];
/** The inbound ports of four-port mode: SSH, qsen and the gateway kan 0. */
const INBOUND_FOUR_PORT = [8443, 8444, 52022];
/** A kan brought back within this after kill -9 (issue 14: RestartSec and the peers' watch together). */
const KAN_RECOVERY_LIMIT_MS = 1500;
/** systemd starts the new kan within this after kill -9 (RestartSec=100ms plus systemd's own work). */
const KAN_RESTART_LIMIT_MS = 1000;

/** Why the tier cannot run here, or undefined. */
function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'the production tier needs root (systemd-nspawn, network namespaces)';
  for (const [tool, pkg] of TOOLS) {
    if (!findTool(tool)) return `MISSING TOOL '${tool}' (Debian package '${pkg}'): install it with apt-get to run the production tier`;
  }
  return undefined;
}

function must(result: CommandResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A time "HH:00" hours from now in UTC (wrapping past midnight). */
function utcHour(offsetHours: number): string {
  return `${String((new Date().getUTCHours() + offsetHours + 24) % 24).padStart(2, '0')}:00`;
}

/** A [schedule] window of one hour that does not contain the current UTC time. */
function closedWindow(): { start: string; stop: string } {
  const hour = new Date().getUTCHours();
  const [start, stop] = hour < 20 ? [utcHour(2), utcHour(3)] : ['01:00', '02:00'];
  return { start: `"${start}"`, stop: `"${stop}"` };
}

/**
 * What must survive a reboot, an upgrade and a rollback, as one text: the SHA-256 of the
 * certificates, keys, conf.toml and every file of /var/lib/qsen (journal, kill switch), except
 * journal.log.durable, the journal's durable length, which qsen may raise at start-up to the
 * length of the journal it found (checked apart by durableLengthHolds).
 */
const STATE_FACTS = 'sha256sum /etc/qsen/conf.toml /etc/qsen/pki/ca.crt /etc/qsen/pki/server.crt /etc/qsen/pki/server.key /etc/qsen/senebi/agent.crt; find /var/lib/qsen -type f ! -name journal.log.durable -print0 | sort -z | xargs -0 -r sha256sum';
/** The journal's durable length and its size, in bytes. */
const DURABLE_FACTS = 'echo "$(cat /var/lib/qsen/journal.log.durable 2>/dev/null || echo 0) $(stat -c %s /var/lib/qsen/journal.log 2>/dev/null || echo 0)"';

const prerequisite = missingPrerequisite();
if (prerequisite && process.env['CI'] !== 'true') console.error(`\n!!! ${prerequisite}: SKIPPING the production tier\n`);

describe('production tier: QSen from the release bundle on Debian 12 with systemd', { concurrency: false, skip: prerequisite !== undefined && process.env['CI'] !== 'true' ? prerequisite : false }, () => {
  const started = Date.now();
  let work = '';
  let rootfs = '';
  let network: TestNetwork | undefined;
  let container: Container | undefined;
  let installOutput = '';
  /** The version of the second release (same code, another version string) the upgrade goes to. */
  let secondVersion = '';
  let clientScript = '';
  const phases: string[] = [];
  const phase = (name: string, since: number): void => {
    const line = `${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`;
    phases.push(line);
    console.log(`# production tier: ${line}`);
  };
  const c = (): Container => {
    if (!container) throw new Error('the container is not running');
    return container;
  };
  const net = (): TestNetwork => {
    if (!network) throw new Error('no test network');
    return network;
  };
  /** Runs the client (test/dist/production/client.js) in the client namespace. */
  const client = async <T>(command: Record<string, unknown>, namespace = net().client, timeoutMs = 60_000): Promise<T> => {
    const result = await runCommand('ip', ['netns', 'exec', namespace, process.execPath, clientScript, JSON.stringify(command)], { timeoutMs });
    return JSON.parse(must(result, `client ${String(command['op'])}`)) as T;
  };
  const pki = (file: string): string => join(rootfs, 'etc/qsen/pki', file);
  /** The journal's durable length never exceeds its size (the journal itself is in STATE_FACTS). */
  const durableLengthHolds = async (): Promise<void> => {
    const [durable, size] = (await c().sh(DURABLE_FACTS)).trim().split(' ').map(Number);
    assert.ok(durable !== undefined && size !== undefined && durable <= size, `durable length ${String(durable)} within the journal's ${String(size)} bytes`);
  };
  /** An HTTPS call from the client namespace to a node, with one of the installed client identities. */
  const call = (port: number, path: string, role: 'platform' | 'operator' | 'auditor', method = 'GET', body?: string): Promise<{ status: number; body: string }> =>
    client({ op: 'https', url: `https://${net().serverAddress}:${port}${path}`, method, ...(body !== undefined ? { body } : {}), ca: pki('ca.crt'), cert: pki(`clients/${role}.crt`), key: pki(`clients/${role}.key`), servername: 'gw.test' });
  const order = (id: string): string => JSON.stringify({ id, instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.50', currency: 'ARS', settlement: 'T1', counterparty: '210' });
  /** Rewrites [schedule] keys in the installed conf.toml and restarts the kans one at a time. */
  const setSchedule = async (values: Record<string, string>): Promise<void> => {
    const edits = Object.entries(values).map(([key, value]) => `-e '/^\\[schedule\\]$/,/^\\[/ s|^${key} = .*|${key} = ${value}|'`).join(' ');
    await c().sh(`sed -i ${edits} /etc/qsen/conf.toml && /opt/qsen/current/node/bin/node /opt/qsen/current/packages/setup/dist/src/config/cli.js check /etc/qsen/conf.toml >/dev/null`);
    for (const index of [0, 1, 2]) await c().sh(`systemctl restart kan@${index}.service`);
  };

  before(async () => {
    // Outside CI a missing prerequisite skips the whole tier (describe above, loudly); under CI it fails here.
    if (prerequisite) throw new Error(`${prerequisite}; under CI=true this is a failure`);
    work = mkdtempSync('/var/tmp/qsen-production-');
    clientScript = repoPath('test/dist/production/client.js');
    // 1. The release bundle, as a workstation makes it.
    let since = Date.now();
    const releaseOut = join(work, 'release');
    const tarball = must(await runCommand('bash', [repoPath('deploy/build-release.sh'), '--no-build', '--out', releaseOut], { timeoutMs: 300_000 }), 'npm run release').trim();
    // The second release for the upgrade: the same code under another version string.
    secondVersion = `${JSON.parse(readFileSync(repoPath('packages/qsen/package.json'), 'utf8')).version as string}-upgrade.2`;
    const tarball2 = must(await runCommand('bash', [repoPath('deploy/build-release.sh'), '--no-build', '--version', secondVersion, '--out', join(work, 'release2')], { timeoutMs: 300_000 }), 'npm run release (second release)').trim();
    phase('release bundles built (two versions)', since);
    // 2. The root file system, from the cache or made now.
    since = Date.now();
    // 50-90 s from a healthy mirror; 15 min allow a slow one. On
    // the deadline rootfs.sh stops debootstrap and every wget and says from which mirror and
    // after how long; the packages it fetched stay in CACHE_DIR/debs for the next run.
    const cached = must(await runCommand('bash', [repoPath('test/production/rootfs.sh'), CACHE_DIR], { timeoutMs: 900_000 }), 'rootfs.sh').trim();
    phase('root file system ready (debootstrap or cache)', since);
    since = Date.now();
    rootfs = join(work, 'rootfs');
    mkdirSync(rootfs);
    must(await runCommand('tar', ['--numeric-owner', '-xf', cached, '-C', rootfs], { timeoutMs: 300_000 }), 'unpacking the root file system');
    // Copied in as an operator would (scp), with its .sha256 beside it.
    mkdirSync(join(rootfs, 'root/upload'), { recursive: true });
    copyFileSync(tarball, join(rootfs, 'root/upload', 'qsen-bundle.tar.gz'));
    writeFileSync(join(rootfs, 'root/upload', 'qsen-bundle.tar.gz.sha256'), readFileSync(`${tarball}.sha256`, 'utf8').replace(/\S+$/m, 'qsen-bundle.tar.gz'));
    copyFileSync(tarball2, join(rootfs, 'root/upload', 'qsen-bundle2.tar.gz'));
    writeFileSync(join(rootfs, 'root/upload', 'qsen-bundle2.tar.gz.sha256'), readFileSync(`${tarball2}.sha256`, 'utf8').replace(/\S+$/m, 'qsen-bundle2.tar.gz'));
    phase('root file system unpacked', since);
    // 3. Network and boot.
    since = Date.now();
    network = await createTestNetwork((process.pid % 1296).toString(36).padStart(2, '0'));
    container = await bootContainer({ rootfs, name: 'qsen-prod', networkNamespacePath: network.serverPath, logFile: join(work, 'console.log') });
    phase('container booted (systemd running)', since);
    // 4. Verify and install, offline, with the bundle's own Node.js.
    since = Date.now();
    const noNode = await c().exec(['bash', '-c', 'command -v node || echo none']);
    assert.equal(noNode.stdout.trim(), 'none', 'the server has no Node.js of its own');
    await c().sh('cd /root/upload && sha256sum --check qsen-bundle.tar.gz.sha256 && mkdir -p bundle && tar -xzf qsen-bundle.tar.gz -C bundle');
    const install = await c().run(['bash', '-c', 'exec /root/upload/bundle/qsen-*-linux-x64/deploy/install.sh "$@" 2>&1', 'install',
      '--host', 'gw.test', '--senebi-address', network.clientAddress, '--trading-hours', '00:00-24:00', '--timezone', 'UTC']);
    installOutput = must(install, 'install.sh from the bundle');
    phase('install.sh from the bundle', since);
    // The tier must not depend on the weekday or on the kans' daily restart.
    since = Date.now();
    await setSchedule({ days: '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]', kan_restart: `"${utcHour(12)}"` });
    await waitClusterSteady(c());
    phase('cluster steady (every day open, daily restart 12 h away)', since);
  });

  after(async () => {
    let since = Date.now();
    try {
      await container?.stop();
      if (container) phase('container halted', since);
      since = Date.now();
    } finally {
      await network?.remove();
      phase('network namespaces removed', since);
      since = Date.now();
      if (work) rmSync(work, { recursive: true, force: true });
    }
    phase('files removed', since);
    console.log(`# production tier wall time: ${((Date.now() - started) / 1000).toFixed(1)} s\n#   ${phases.join('\n#   ')}`);
  });

  test('install.sh verified the bundle and installed it offline with its own Node.js', async () => {
    assert.match(installOutput, /every file matches SHA256SUMS, Node\.js v20\./);
    assert.match(installOutput, /firewall: applied \/etc\/nftables\.d\/qsen\.nft/);
    const current = await c().sh('readlink /opt/qsen/current');
    assert.match(current.trim(), /^releases\/\d+\.\d+\.\d+-/);
    const release = await c().sh('cat /opt/qsen/current/RELEASE');
    const expected = /^node_sha256=([0-9a-f]{64})$/m.exec(release)?.[1];
    const actual = (await c().sh('sha256sum /opt/qsen/current/node/bin/node')).split(' ')[0];
    assert.equal(actual, expected, 'the installed runtime is the one RELEASE names');
    assert.match(await unitProperty(c(), 'qsen.service', 'ExecStart'), /path=\/opt\/qsen\/current\/node\/bin\/node /);
    assert.ok(existsSync(join(rootfs, 'opt/qsen/current/sbom.cdx.json')), 'the SBOM is installed with the release');
  });

  test('every unit is active and none has failed', async () => {
    const failed = await c().exec(['systemctl', '--failed', '--no-legend', '--plain']);
    assert.equal(failed.stdout.trim(), '', 'no failed unit');
    for (const unit of ['qsen.service', 'kan@0.service', 'kan@1.service', 'kan@2.service', 'prometheus-node-exporter.service', 'ssh.service', 'polkit.service', 'dbus.service']) {
      assert.equal(await unitProperty(c(), unit, 'ActiveState'), 'active', `${unit} active`);
    }
    // install.sh loaded the ruleset itself (nft -f) and enabled nftables.service for the next boot (checked after the reboot).
    assert.equal(await unitProperty(c(), 'nftables.service', 'UnitFileState'), 'enabled');
    for (const index of [0, 1, 2]) assert.equal(await unitProperty(c(), `kan@${index}.service`, 'UnitFileState'), 'enabled');
    assert.equal((await c().exec(['systemctl', 'is-system-running'])).stdout.trim(), 'running');
  });

  test('sshd listens on 52022; node_exporter on loopback only, reachable through a kan', async () => {
    const listening = await c().sh('ss -Htln');
    assert.match(listening, /\s(0\.0\.0\.0|\*|\[::\]):52022\s/);
    assert.doesNotMatch(listening, /:22\s/, 'no SSH on 22');
    const exporter = listening.split('\n').filter((line) => /:9100\s/.test(line));
    assert.ok(exporter.length > 0, 'node_exporter listens');
    for (const line of exporter) assert.match(line, /\s127\.0\.0\.1:9100\s/, `node_exporter bound to loopback only: ${line}`);
    const metrics = await call(8445, '/kan/v1/metrics/system', 'auditor');
    assert.equal(metrics.status, 200, metrics.body.slice(0, 300));
    assert.match(metrics.body, /^node_cpu_seconds_total\{/m);
  });

  test('nftables: from the client namespace exactly 52022 and 8443-8446 are reachable, everything else is dropped; out only 443 to SENEBI', async () => {
    assert.match(await c().sh('nft list tables'), /^table inet qsen$/m);
    // Extra listeners on all addresses, so that "dropped" is the firewall, not an empty port.
    const extra = [22, 80, 443, 3000, 8080, 8447, 9101, 10000];
    const listener = `const net=require("net");for(const p of ${JSON.stringify(extra)})net.createServer(s=>s.end()).listen(p,"0.0.0.0")`;
    await c().sh(`systemd-run --unit=qsen-prod-listeners --collect /opt/qsen/current/node/bin/node -e '${listener}'`);
    try {
      await c().sh(`for p in ${extra.join(' ')}; do for i in $(seq 1 100); do ss -Htln "sport = :$p" | grep -q LISTEN && break; sleep 0.05; done; done`);
      const listening = (await c().sh('ss -Htln')).split('\n').map((line) => /:(\d+)\s/.exec(line)?.[1]).filter((p): p is string => p !== undefined).map(Number);
      const ports = [...new Set([...listening, ...extra, 9100, 1, 65535])].sort((a, b) => a - b);
      const probed = await client<{ open: number[] }>({ op: 'probe', host: net().serverAddress, ports, timeoutMs: 1500 });
      console.log(`# probed ${ports.length} ports from the client namespace (${ports.join(', ')}): open ${probed.open.join(', ')}`);
      assert.deepEqual(probed.open, INBOUND);
    } finally {
      await c().exec(['systemctl', 'stop', 'qsen-prod-listeners.service']);
    }
    // Outbound: the client listens on 443 and 8080; its address is the SENEBI set's, so only 443 goes out.
    const listener2 = spawn('ip', ['netns', 'exec', net().client, process.execPath, clientScript, JSON.stringify({ op: 'listen', ports: [443, 8080] })], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        listener2.stdout.once('data', () => resolve());
        listener2.once('exit', (code) => reject(new Error(`client listener exited ${code}`)));
      });
      const connectTo = (port: number): Promise<CommandResult> =>
        c().exec(['timeout', '3', 'bash', '-c', `exec 3<>/dev/tcp/${net().clientAddress}/${port}`]);
      assert.equal((await connectTo(443)).code, 0, 'out to SENEBI:443 allowed');
      assert.notEqual((await connectTo(8080)).code, 0, 'out to another port dropped');
    } finally {
      listener2.kill('SIGKILL');
    }
  });

  test('source allow-lists: with --platform-network and --admin-network only the client reaches the six ports; --any-source opens them again', async () => {
    const probe = (namespace: string): Promise<{ open: number[] }> =>
      client<{ open: number[] }>({ op: 'probe', host: net().serverAddress, ports: [...INBOUND, 22, 9100], timeoutMs: 1500 }, namespace);
    assert.deepEqual((await probe(net().stranger)).open, INBOUND, 'before: every source may connect');
    const reinstall = (...options: string[]): Promise<string> =>
      c().run(['bash', '-c', 'exec /root/upload/bundle/qsen-*-linux-x64/deploy/install.sh "$@" 2>&1', 'install', ...options]).then((r) => must(r, `install.sh ${options.join(' ')}`));
    const restricted = await reinstall('--platform-network', `${net().clientAddress}/32`, '--operator-network', 'fd00:213::/64', '--admin-network', `${net().clientAddress}/32`);
    assert.match(restricted, /firewall: applied/);
    assert.deepEqual((await probe(net().client)).open, INBOUND, 'the allowed source reaches all five inbound ports');
    assert.deepEqual((await probe(net().stranger)).open, [], 'the refused source reaches none');
    const metrics = await call(8444, '/kan/v1/metrics/system', 'auditor');
    assert.equal(metrics.status, 200, 'the allowed source still talks to a kan');
    const opened = await reinstall('--any-source');
    assert.match(opened, /accept connections from every source address/);
    assert.deepEqual((await probe(net().stranger)).open, INBOUND, 'after --any-source every source may connect again');
    await waitClusterSteady(c());
  });

  test('polkit lets user qsen start, stop and restart exactly qsen.service and kan@0..2.service, nothing else', async () => {
    const asQsen = (...args: string[]): Promise<CommandResult> =>
      c().exec(['setpriv', '--reuid=qsen', '--regid=qsen', '--init-groups', 'systemctl', '--no-ask-password', ...args]);
    for (const [verb, unit] of [['restart', 'kan@2.service'], ['stop', 'kan@1.service'], ['start', 'kan@1.service'], ['restart', 'kan@0.service'], ['restart', 'qsen.service'], ['stop', 'qsen.service'], ['start', 'qsen.service']] as const) {
      const result = await asQsen(verb, unit);
      assert.equal(result.code, 0, `qsen may ${verb} ${unit}: ${result.stderr}`);
    }
    const refused: Array<readonly string[]> = [
      ['restart', 'ssh.service'], ['stop', 'nftables.service'], ['restart', 'prometheus-node-exporter.service'], ['stop', 'polkit.service'],
      ['start', 'kan@3.service'], ['reload', 'qsen.service'], ['kill', 'qsen.service'], ['enable', 'qsen.service'], ['disable', 'kan@0.service'],
      ['mask', 'qsen.service'], ['daemon-reload'], ['reboot'], ['set-property', 'qsen.service', 'CPUQuota=1%'], ['reset-failed', 'kan@0.service'],
    ];
    for (const args of refused) {
      const result = await asQsen(...args);
      assert.notEqual(result.code, 0, `qsen may not systemctl ${args.join(' ')}`);
      assert.match(result.stderr, /Access denied|Interactive authentication required|not allowed/i, `systemctl ${args.join(' ')}: ${result.stderr}`);
    }
    assert.equal(await unitProperty(c(), 'ssh.service', 'ActiveState'), 'active');
    assert.match(await c().sh('nft list tables'), /inet qsen/);
    await waitClusterSteady(c());
  });

  test('systemd-analyze security: exposure at most 2.0 for each unit, on the real systemd', async () => {
    const result = await c().exec(['systemd-analyze', 'security', '--no-pager', 'qsen.service', 'kan@0.service', 'kan@1.service', 'kan@2.service']);
    const scores = [...result.stdout.matchAll(/Overall exposure level for (\S+): (\d+\.\d+)/g)].map((m) => [m[1], Number(m[2])] as const);
    assert.equal(scores.length, 4, result.stdout + result.stderr);
    for (const [unit, score] of scores) {
      console.log(`# systemd-analyze security ${unit}: ${score.toFixed(1)}`);
      assert.ok(score <= 2.0, `${unit} exposure ${score} > 2.0`);
    }
  });

  test('SystemCallErrorNumber=EPERM keeps node alive under SystemCallFilter=@system-service (without it node dies of SIGSYS)', async () => {
    for (const unit of ['qsen.service', 'kan@0.service']) {
      assert.match(await unitProperty(c(), unit, 'SystemCallErrorNumber'), /^(EPERM|1)$/, `${unit} returns EPERM for filtered calls`);
    }
    const filter = ['-p', 'SystemCallFilter=@system-service', '-p', 'SystemCallFilter=~@privileged', '-p', 'User=qsen', '-p', 'NoNewPrivileges=yes'];
    const script = ['-e', 'const c=require("crypto");console.log(c.createHash("sha256").update("x").digest("hex").length)'];
    const withErrno = await c().run([...filter, '-p', 'SystemCallErrorNumber=EPERM', '/opt/qsen/current/node/bin/node', ...script]);
    assert.equal(withErrno.code, 0, withErrno.stderr);
    assert.equal(withErrno.stdout.trim(), '64');
    const without = await c().run([...filter, '/opt/qsen/current/node/bin/node', ...script]);
    console.log(`# node under SystemCallFilter without SystemCallErrorNumber: exit ${without.code} ${without.stderr.trim().split('\n').pop() ?? ''}`);
    assert.notEqual(without.code, 0, 'without SystemCallErrorNumber the filter kills node: the setting is what keeps it alive');
  });

  test('the kans stop qsen outside the trading window and start it inside (the window moved in conf.toml, not the clock)', async () => {
    let since = Date.now();
    await setSchedule(closedWindow());
    await waitClusterStopped();
    const stoppedMs = Date.now() - since;
    // Outside the window it stays down: no kan starts it again.
    const cursor = await journalCursor(c());
    await new Promise((resolve) => setTimeout(resolve, 6000)); // an observation window, not a readiness wait
    assert.equal(await startsSince(c(), 'qsen.service', cursor), 0, 'qsen not started outside the window');
    assert.equal(await unitProperty(c(), 'qsen.service', 'ActiveState'), 'inactive');
    since = Date.now();
    await setSchedule({ start: '"00:00"', stop: '"24:00"' });
    await waitClusterSteady(c());
    console.log(`# trading window: qsen stopped ${(stoppedMs / 1000).toFixed(1)} s after the window closed (kans restarted on the new conf.toml), started ${((Date.now() - since) / 1000).toFixed(1)} s after it opened`);

    async function waitClusterStopped(): Promise<void> {
      await waitFor(async () => (await unitProperty(c(), 'qsen.service', 'ActiveState')) === 'inactive' && (await listenerPid(c(), 8443)) === 0,
        { timeoutMs: 60_000, intervalMs: 200, what: 'qsen stopped outside the window' });
    }
  });

  for (const [label, node, signal] of [
    ['kill -9 of qsen', NODES[0], 'KILL'], ['SIGSTOP of qsen', NODES[0], 'STOP'],
    ['kill -9 of kan 1', NODES[2], 'KILL'], ['SIGSTOP of kan 2', NODES[3], 'STOP'],
  ] as const) {
    test(`${label}: recovered exactly once`, async () => {
      await waitClusterSteady(c());
      const recovery = await faultAndRecover(c(), node, signal);
      const load = loadavg()[0] ?? 0;
      console.log(`# ${label}: new process started ${recovery.restartedMs} ms and serving ${recovery.recoveredMs} ms after the signal, ${recovery.starts} start(s) of ${node.unit} (load average ${load.toFixed(1)} on ${availableParallelism()} cores)`);
      assert.equal(recovery.starts, 1, `${node.unit} started exactly once after ${label}`);
      if (node.unit.startsWith('kan@') && signal === 'KILL') {
        // systemd's part (RestartSec=100ms) holds on any machine; node's loading time depends on the load.
        assert.ok(recovery.restartedMs <= KAN_RESTART_LIMIT_MS, `systemd started the new kan ${recovery.restartedMs} ms after the kill > ${KAN_RESTART_LIMIT_MS} ms`);
        if (load < availableParallelism()) {
          assert.ok(recovery.recoveredMs <= KAN_RECOVERY_LIMIT_MS, `kan serving again ${recovery.recoveredMs} ms after the kill > ${KAN_RECOVERY_LIMIT_MS} ms`);
        } else {
          console.error(`\n!!! load average ${load.toFixed(1)} exceeds the ${availableParallelism()} cores: the ${KAN_RECOVERY_LIMIT_MS} ms serving budget is NOT asserted (measured ${recovery.recoveredMs} ms)\n`);
        }
      }
      await waitClusterSteady(c());
    });
  }

  test('the kill switch works from the server\'s shell (qsen-admin halt/status), qsen refuses orders with 423', async () => {
    const halted = await c().sh('qsen-admin halt --reason "production tier" --json');
    assert.match(halted, /"halted":\s*true/);
    assert.match(await c().sh('qsen-admin status --json'), /"halted":\s*true/);
    const refused = await call(8443, '/qsen/v1/sendOrder', 'platform', 'POST', order('9999000000000000001'));
    assert.equal(refused.status, 423, refused.body);
    assert.match(refused.body, /HALTED/);
    assert.match(await c().sh('ls -l /var/lib/qsen'), / qsen qsen /, 'the files qsen-admin wrote belong to qsen');
  });

  test('upgrade to a second release, then rollback: orders, the halt, certificates and config kept; the new version runs, then the old one again', async () => {
    // Orders in the journal (SENEBI is not there: each is recorded before it is forwarded), then the halt.
    assert.match(await c().sh('qsen-admin resume --json'), /"halted":\s*false/);
    const sent: number[] = [];
    for (const id of ['9999000000000000010', '9999000000000000011']) sent.push((await call(8443, '/qsen/v1/sendOrder', 'platform', 'POST', order(id))).status);
    console.log(`# upgrade: two orders sent before it (answers ${sent.join(', ')})`);
    assert.match(await c().sh('qsen-admin halt --reason "before the upgrade" --json'), /"halted":\s*true/);
    const facts = STATE_FACTS;
    const before = await c().sh(facts);
    const first = (await c().sh('readlink /opt/qsen/current')).trim();
    const firstVersion = JSON.parse((await call(8444, '/kan/v1/version', 'auditor')).body) as { version: string };
    assert.notEqual(firstVersion.version, secondVersion);
    /** The version each node reports, the halt, and the journal's refusal while halted. */
    const expectRunning = async (version: string, release: string): Promise<void> => {
      assert.equal((await c().sh('readlink /opt/qsen/current')).trim(), release);
      await waitClusterSteady(c());
      for (const port of [8444, 8445, 8446]) {
        const status = JSON.parse((await call(port, '/kan/v1/status', 'auditor')).body) as { node: { version: { version: string } } };
        assert.equal(status.node.version.version, version, `kan on ${port} runs ${version}`);
      }
      const qsen = JSON.parse((await call(8443, '/qsen/v1/status', 'auditor')).body) as { version: string; halted: boolean };
      assert.equal(qsen.version, version, 'qsen runs the release switched to');
      assert.equal(qsen.halted, true, 'the halt survived the switch');
      assert.equal((await call(8443, '/qsen/v1/sendOrder', 'platform', 'POST', order('9999000000000000012'))).status, 423);
      assert.equal(await c().sh(facts), before, 'journal, kill switch, certificates and conf.toml unchanged');
      await durableLengthHolds();
    };
    // Upgrade: copy, verify, unpack, install, as docs/deployment.md says.
    let since = Date.now();
    const upgrade = must(await c().run(['bash', '-c', 'cd /root/upload && sha256sum --check qsen-bundle2.tar.gz.sha256 && mkdir -p bundle2 && tar -xzf qsen-bundle2.tar.gz -C bundle2 && exec bundle2/qsen-*-linux-x64/deploy/install.sh 2>&1']), 'install.sh of the second release');
    const upgradeMs = Date.now() - since;
    assert.match(upgrade, /previous release kept for rollback/);
    for (const index of [0, 1, 2]) assert.match(upgrade, new RegExp(`restarted kan@${index}\\.service \\(serving again\\)`));
    assert.match(upgrade, /restarted qsen\.service \(serving again\)/);
    const second = (await c().sh('readlink /opt/qsen/current')).trim();
    assert.match(second, new RegExp(`^releases/${secondVersion.replace(/\./g, '\\.')}-`));
    await expectRunning(secondVersion, second);
    assert.ok(existsSync(join(rootfs, 'opt/qsen', first)), 'the first release is kept beside the second');
    // Rollback, from the current release's own installer.
    since = Date.now();
    const rollback = must(await c().run(['bash', '-c', 'exec /opt/qsen/current/deploy/install.sh --rollback 2>&1']), 'install.sh --rollback');
    const rollbackMs = Date.now() - since;
    assert.match(rollback, new RegExp(`rollback: from ${second.slice('releases/'.length)} to ${first.slice('releases/'.length)}`));
    await expectRunning(firstVersion.version, first);
    console.log(`# upgrade: install.sh of the second release ${(upgradeMs / 1000).toFixed(1)} s, rollback ${(rollbackMs / 1000).toFixed(1)} s (each with the controlled restart of the four nodes)`);
    // The orders sent before both switches are still known: the same id with other content is a duplicate.
    assert.match(await c().sh('qsen-admin resume --json'), /"halted":\s*false/);
    const duplicate = await call(8443, '/qsen/v1/sendOrder', 'platform', 'POST', order('9999000000000000010').replace('"1000"', '"2000"'));
    assert.equal(duplicate.status, 409, duplicate.body);
    assert.match(duplicate.body, /DUPLICATE_ORDER_ID/);
    assert.match(await c().sh('qsen-admin halt --reason "production tier" --json'), /"halted":\s*true/);
    // A rollback to the release already current is refused and changes nothing.
    const again = await c().run(['bash', '-c', `exec /opt/qsen/current/deploy/install.sh --rollback --release ${first.slice('releases/'.length)} 2>&1`]);
    assert.notEqual(again.code, 0);
    assert.match(again.stdout + again.stderr, /already the current one/);
  });

  test('four-port mode (install.sh --four-port): only 52022, 8443 and 8444 reachable; kan 0 answers for the cluster over loopback', async () => {
    const since = Date.now();
    const output = must(await c().run(['bash', '-c', 'exec /opt/qsen/current/deploy/install.sh --four-port 2>&1']), 'install.sh --four-port');
    assert.match(output, /conf\.toml: \[cluster\] mode = "four-port"/);
    assert.match(output, /four-port mode, kan 0 answers for the cluster/);
    await waitClusterSteady(c());
    const switchMs = Date.now() - since;
    const listening = await c().sh('ss -Htln');
    for (const port of [8445, 8446]) {
      const lines = listening.split('\n').filter((line) => new RegExp(`:${port}\\s`).test(line));
      assert.ok(lines.length > 0 && lines.every((line) => /\s127\.0\.0\.1:\d+\s/.test(line)), `kan on ${port} bound to loopback only: ${lines.join(' | ')}`);
    }
    const probed = await client<{ open: number[] }>({ op: 'probe', host: net().serverAddress, ports: [...INBOUND, 22, 9100], timeoutMs: 1500 });
    console.log(`# four-port mode: switched in ${(switchMs / 1000).toFixed(1)} s; open from the client namespace: ${probed.open.join(', ')}`);
    assert.deepEqual(probed.open, INBOUND_FOUR_PORT);
    const view = await call(8444, '/kan/v1/cluster/status', 'auditor');
    assert.equal(view.status, 200, view.body.slice(0, 300));
    const cluster = JSON.parse(view.body) as { mode: string; nodes: Array<{ node: string; reachable: boolean; status?: { node?: unknown; pid?: number } }> };
    assert.equal(cluster.mode, 'four-port');
    assert.deepEqual(cluster.nodes.map((n) => [n.node, n.reachable]), [['qsen', true], ['kan0', true], ['kan1', true], ['kan2', true]]);
    for (const [i, node] of NODES.entries()) {
      const entry = cluster.nodes[i]?.status;
      const pid = i === 0 ? entry?.pid : (entry?.node as { pid?: number } | undefined)?.pid;
      assert.equal(pid, await listenerPid(c(), node.port), `the cluster view's ${cluster.nodes[i]?.node} is the process on ${node.port}`);
    }
    const metrics = await call(8444, '/kan/v1/cluster/metrics/process?node=kan2', 'auditor');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^process_resident_memory_bytes \d+$/m);
    assert.match(metrics.body, /^kan_\w+/m, "kan 2's own metrics");
    assert.match(await c().sh('cat /etc/qsen/install.state'), /^CLUSTER_MODE=four-port$/m);
  });

  test('a reboot keeps the order journal, the kill switch and the certificates', async () => {
    const facts = STATE_FACTS;
    const before = await c().sh(facts);
    const since = Date.now();
    await c().reboot();
    await waitClusterSteady(c());
    console.log(`# reboot: container back and the cluster steady in ${((Date.now() - since) / 1000).toFixed(1)} s`);
    assert.equal(await c().sh(facts), before, 'certificates, keys, conf.toml and /var/lib/qsen unchanged');
    await durableLengthHolds();
    assert.match(await c().sh('qsen-admin status --json'), /"halted":\s*true/);
    const refused = await call(8443, '/qsen/v1/sendOrder', 'platform', 'POST', order('9999000000000000002'));
    assert.equal(refused.status, 423, 'still halted after the reboot');
    assert.match(await c().sh('nft list tables'), /inet qsen/, 'the firewall is loaded at boot');
    assert.equal(await unitProperty(c(), 'nftables.service', 'ActiveState'), 'active', 'nftables.service loaded it');
    const probed = await client<{ open: number[] }>({ op: 'probe', host: net().serverAddress, ports: INBOUND, timeoutMs: 1500 });
    assert.deepEqual(probed.open, INBOUND_FOUR_PORT, 'four-port mode, as installed before the reboot');
    assert.match(await c().sh('qsen-admin resume --json'), /"halted":\s*false/);
    const accepted = await call(8443, '/qsen/v1/sendOrder', 'platform', 'POST', order('9999000000000000003'));
    assert.notEqual(accepted.status, 423, 'resumed');
  });

  test('uninstall leaves nothing running', async () => {
    const result = await c().run(['/opt/qsen/current/deploy/uninstall.sh']);
    must(result, 'uninstall.sh');
    assert.equal((await c().exec(['pgrep', '-u', 'qsen'])).stdout.trim(), '', 'no process of user qsen');
    for (const node of NODES) {
      assert.notEqual(await unitProperty(c(), node.unit, 'ActiveState'), 'active', `${node.unit} not active`);
      assert.equal(await listenerPid(c(), node.port), 0, `nothing on ${node.port}`);
    }
    const tables = await c().exec(['nft', 'list', 'tables']);
    assert.doesNotMatch(tables.stdout, /qsen/);
    assert.equal((await c().exec(['test', '-e', '/opt/qsen'])).code, 1, '/opt/qsen removed');
    assert.equal((await c().exec(['systemctl', '--failed', '--no-legend', '--plain'])).stdout.trim(), '');
  });
});
