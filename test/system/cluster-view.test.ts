// System test of four-port mode's cluster view (docs/kan.md, "Four-port mode"), in local mode:
// the real launcher, qsen and three kans with `[cluster] mode = "four-port"`. kan 0 is the
// gateway: it answers for the whole cluster, reading the other nodes over loopback with mutual
// TLS and its own client identity (made here by openssl, signed by the cluster CA); kan 1 and
// kan 2 listen on loopback only. A gateway identity the cluster CA did not sign gets nothing
// from the other nodes: they refuse it at the TLS layer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, findTool, issueWithOpenssl, requireTool, runOpensslCli, waitFor } from '@qsen/testkit';
import { errorCodeOf, REPOSITORY, startSystem, type LocalSystem, type NodeName } from '../support/system.js';

interface NodeEntry { node: NodeName; port: number; reachable: boolean; httpStatus?: number; status?: Record<string, unknown>; error?: { code: string; reason: string } }
interface ClusterStatus { mode: string; gateway: number; nodes: NodeEntry[] }

const OPENSSL = findTool('openssl');
if (!OPENSSL && process.env['CI'] !== 'true') console.error('\n!!! MISSING TOOL openssl (Debian package openssl): SKIPPING the cluster view system test\n');

/** Local addresses (IPv4, hex decoded) of the TCP sockets listening on `port`, from /proc/net/tcp. */
function listeningAddresses(port: number): string[] {
  const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((line) => line.trim().split(/\s+/));
  return rows.filter((r) => r[3] === '0A' && Number.parseInt(r[1]?.split(':')[1] ?? '', 16) === port).map((r) => {
    const hex = r[1]?.split(':')[0] ?? '';
    return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join('.');
  });
}

describe('four-port mode: kan 0 answers for the cluster over loopback (real launcher, qsen, kans, mutual TLS)', { skip: !OPENSSL && process.env['CI'] !== 'true' ? 'openssl missing' : false }, () => {
  let system: LocalSystem;
  const openssl = OPENSSL ?? 'openssl';

  before(async () => {
    system = await startSystem({
      prefix: 'qsen-system-cluster-',
      prepare: (home) => {
        const pki = join(home, 'pki');
        const ca = { certPem: readFileSync(join(pki, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(pki, 'ca.key'), 'utf8') };
        issueWithOpenssl(openssl, pki, ca, { name: 'gateway', subject: '/CN=kan-gateway/OU=auditor', key: 'ec:P-256' });
        // qsen and the gateway on every address; kan 1 and kan 2 must still bind loopback only.
        const confFile = join(home, 'conf.toml');
        const conf = readFileSync(confFile, 'utf8').replace(/^listen = "127\.0\.0\.1"$/m, 'listen = "0.0.0.0"');
        writeFileSync(confFile, `${conf}\n[cluster]\nmode = "four-port"\ngateway = 0\ngateway_cert = "pki/gateway.crt"\ngateway_key = "pki/gateway.key"\n`);
      },
    });
  });

  let prometheus: ChildProcess | undefined;
  after(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await system?.stop();
  });

  const clusterStatus = async (role: 'auditor' | 'platform' | 'operator' = 'auditor'): Promise<ClusterStatus> => {
    const answer = await system.call('kan0', '/kan/v1/cluster/status', { identity: role, timeoutMs: 30_000 });
    assert.equal(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as ClusterStatus;
  };
  const pids = async (): Promise<Record<string, number | null>> =>
    Object.fromEntries(await Promise.all((['qsen', 'kan0', 'kan1', 'kan2'] as const).map(async (n) => [n, (await system.status(n)).pid] as const)));

  it('kan 1 and kan 2 listen on loopback only; qsen and the gateway kan 0 on the configured address', () => {
    assert.deepEqual(listeningAddresses(system.portOf('kan1')), ['127.0.0.1']);
    assert.deepEqual(listeningAddresses(system.portOf('kan2')), ['127.0.0.1']);
    assert.deepEqual(listeningAddresses(system.portOf('kan0')), ['0.0.0.0']);
    assert.deepEqual(listeningAddresses(system.portOf('qsen')), ['0.0.0.0']);
  });

  it('GET /kan/v1/cluster/status on the gateway: all four nodes, each its own status document, for every role', async () => {
    const owner = await pids();
    for (const role of ['auditor', 'platform', 'operator'] as const) {
      const view = await clusterStatus(role);
      assert.equal(view.mode, 'four-port');
      assert.equal(view.gateway, 0);
      assert.deepEqual(view.nodes.map((n) => n.node), ['qsen', 'kan0', 'kan1', 'kan2']);
      for (const entry of view.nodes) {
        assert.equal(entry.reachable, true, JSON.stringify(entry));
        assert.equal(entry.httpStatus, 200, JSON.stringify(entry));
        assert.equal(entry.port, system.portOf(entry.node));
      }
      // Each kan's entry is that kan's own document (its index and pid), not the gateway's.
      for (const index of [0, 1, 2]) {
        const node = view.nodes[index + 1]?.status?.['node'] as { index: number; pid: number };
        assert.equal(node.index, index);
        assert.equal(node.pid, owner[`kan${index}`]);
      }
      const qsen = view.nodes[0]?.status as { node: string; pid: number; halted: boolean };
      assert.equal(qsen.node, 'qsen');
      assert.equal(qsen.pid, owner['qsen']);
      assert.equal(qsen.halted, false);
    }
  });

  it('GET /kan/v1/cluster/metrics/process?node=...: each node\'s own process metrics, proxied', async () => {
    for (const node of ['qsen', 'kan0', 'kan1', 'kan2'] as const) {
      const answer = await system.call('kan0', `/kan/v1/cluster/metrics/process?node=${node}`, { identity: 'auditor', timeoutMs: 30_000 });
      assert.equal(answer.status, 200, answer.body.slice(0, 300));
      // The standard process metrics, and the node's own ones: qsen_* from qsen, kan_* (and no qsen_*) from a kan.
      assert.ok(/^process_resident_memory_bytes \d+$/m.test(answer.body), `${node}: ${answer.body.slice(0, 200)}`);
      assert.ok(node === 'qsen' ? /^qsen_\w+/m.test(answer.body) : /^kan_\w+/m.test(answer.body) && !/^qsen_\w+/m.test(answer.body), `${node}'s own metrics`);
      // The start time in the metrics is the one of the process the owner started for that node.
      const started = Number(/^process_start_time_seconds (\d+)$/m.exec(answer.body)?.[1]);
      const owner = await system.status(node);
      assert.ok(Math.abs(started - Date.parse(owner.startedAt ?? '') / 1000) <= 3, `${node}: metrics start ${started}, owner ${owner.startedAt}`);
    }
    const bad = await system.call('kan0', '/kan/v1/cluster/metrics/process?node=kan3', { identity: 'auditor' });
    assert.equal(bad.status, 400);
    assert.equal(errorCodeOf(bad), 'INVALID_PARAMETER');
    const missing = await system.call('kan0', '/kan/v1/cluster/metrics/process', { identity: 'auditor' });
    assert.equal(errorCodeOf(missing), 'INVALID_PARAMETER');
  });

  it('only the gateway has the cluster view (404 on kan 1, 405 for POST); a certificate without a role gets 403 as on every node', async () => {
    const pki = join(system.home, 'pki');
    const ca = { certPem: readFileSync(join(pki, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(pki, 'ca.key'), 'utf8') };
    const stranger = issueWithOpenssl(openssl, pki, ca, { name: 'stranger', subject: '/CN=stranger/OU=visitor', key: 'ec:P-256' });
    const refused = await system.call('kan0', '/kan/v1/cluster/status', { identity: stranger });
    assert.equal(refused.status, 403, refused.body);
    assert.equal(errorCodeOf(refused), 'FORBIDDEN');
    const other = await system.call('kan1', '/kan/v1/cluster/status', { identity: 'auditor' });
    assert.equal(other.status, 404);
    assert.equal(errorCodeOf(other), 'NOT_FOUND');
    const post = await system.call('kan0', '/kan/v1/cluster/status', { identity: 'operator', method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
  });

  it('logs of every node through the gateway (one shared log folder): list and tail of kan 2\'s log', async () => {
    const list = await system.call('kan0', '/kan/v1/logs', { identity: 'auditor' });
    assert.equal(list.status, 200, list.body);
    const names = (JSON.parse(list.body) as Array<{ name: string }>).map((f) => f.name);
    for (const node of ['qsen', 'kan1', 'kan2']) assert.ok(names.some((n) => n.startsWith(node)), `a log of ${node} in ${names.join(', ')}`);
    const kan2Log = names.find((n) => n.startsWith('kan2') && n.endsWith('.log'));
    assert.ok(kan2Log);
    const tail = await system.call('kan0', `/kan/v1/logs/tail?file=${encodeURIComponent(kan2Log)}&lines=20`, { identity: 'auditor' });
    assert.equal(tail.status, 200);
    assert.match(tail.body, /kan listening/);
  });

  it('restarts of any node through the gateway: restart_kan?node=2 and restart_qsen give new processes, seen in the cluster view', async () => {
    const before = await pids();
    const kan = await system.call('kan0', '/kan/v1/restart_kan?node=2', { identity: 'operator', method: 'POST', body: '{}' });
    assert.equal(kan.status, 202, kan.body);
    const qsen = await system.call('kan0', '/kan/v1/restart_qsen', { identity: 'operator', method: 'POST', body: '{}' });
    assert.equal(qsen.status, 202, qsen.body);
    const seen = await waitFor(async () => {
      const view = await clusterStatus();
      const kan2 = view.nodes[3];
      const kan2Pid = (kan2?.status?.['node'] as { pid?: number } | undefined)?.pid;
      const now = await pids();
      return view.nodes.every((n) => n.reachable) && kan2Pid !== undefined && kan2Pid !== before['kan2'] && kan2Pid === now['kan2'] && now['qsen'] !== before['qsen'] ? view : null;
    }, { timeoutMs: 90_000, intervalMs: 300, what: 'kan 2 and qsen restarted and reachable through the gateway' });
    assert.equal(seen.nodes.length, 4);
  });

  it('a real Prometheus with deploy/prometheus/prometheus-four-port.yml scrapes qsen and the three kans through 8443 and the gateway only', async (t) => {
    const binary = requireTool('prometheus', 'prometheus');
    if (typeof binary !== 'string') return t.skip(binary.skip);
    const dir = join(system.home, 'prometheus');
    const pki = join(system.home, 'pki');
    const files = { ca: join(pki, 'ca.crt'), cert: join(pki, 'clients/auditor.crt'), key: join(pki, 'clients/auditor.key') };
    const config = readFileSync(join(REPOSITORY, 'deploy/prometheus/prometheus-four-port.yml'), 'utf8')
      .replaceAll('/etc/prometheus/qsen/ca.crt', files.ca).replaceAll('/etc/prometheus/qsen/prometheus.crt', files.cert).replaceAll('/etc/prometheus/qsen/prometheus.key', files.key)
      .replaceAll('scrape_interval: 15s', 'scrape_interval: 1s').replaceAll('scrape_timeout: 10s', 'scrape_timeout: 1s')
      .replaceAll('qsen.example.net:8443', `localhost:${system.portOf('qsen')}`).replaceAll('qsen.example.net:8444', `localhost:${system.portOf('kan0')}`);
    assert.doesNotMatch(config, /qsen\.example\.net:\d/, 'every target rewritten: the variant names no other port');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), config);
    copyFileSync(join(REPOSITORY, 'deploy/prometheus/alerts.yml'), join(dir, 'alerts.yml'));
    const port = await findFreePort();
    let output = '';
    prometheus = spawn(binary, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    prometheus.stderr?.on('data', (c: Buffer) => { output += c.toString('utf8'); });
    const query = async (expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
    };
    // Each kan's series is that kan's own: its start time is the one of the process the launcher started.
    const starts = await waitFor(async () => {
      const found = await query('process_start_time_seconds{job="kan"}').catch(() => []);
      return found.length === 3 ? found : null;
    }, { timeoutMs: 60_000, intervalMs: 250, what: `three kan series scraped through the gateway (prometheus: ${output})` });
    for (const series of starts) {
      const index = series.metric['kan'] ?? '';
      const owner = await system.status(`kan${index}`);
      assert.ok(Math.abs(Number(series.value[1]) - Date.parse(owner.startedAt ?? '') / 1000) <= 3, `kan ${index}: ${series.value[1]} vs ${owner.startedAt}`);
    }
    const up = await waitFor(async () => {
      const found = await query('up{job=~"qsen|kan"}');
      return found.length === 4 && found.every((s) => s.value[1] === '1') ? found : null;
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'qsen and the three kans up' });
    assert.deepEqual(up.map((s) => s.metric['instance']).filter((i) => i !== `localhost:${system.portOf('qsen')}`), Array(3).fill(`localhost:${system.portOf('kan0')}`), 'the kans are all scraped at the gateway');
  });

  it('a gateway identity the cluster CA did not sign reads nothing: every node refuses it at the TLS layer', async () => {
    const pki = join(system.home, 'pki');
    const rogue = join(pki, 'rogue');
    runOpensslCli(openssl, pki, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-keyout', `${rogue}.key`, '-out', `${rogue}.crt`,
      '-subj', '/CN=kan-gateway/OU=auditor', '-addext', 'extendedKeyUsage=clientAuth', '-addext', 'basicConstraints=CA:FALSE']);
    renameSync(join(pki, 'gateway.crt'), join(pki, 'gateway.crt.good'));
    renameSync(join(pki, 'gateway.key'), join(pki, 'gateway.key.good'));
    renameSync(`${rogue}.crt`, join(pki, 'gateway.crt'));
    renameSync(`${rogue}.key`, join(pki, 'gateway.key'));
    try {
      const view = await clusterStatus();
      for (const entry of view.nodes) {
        assert.equal(entry.reachable, false, JSON.stringify(entry));
        assert.equal(entry.error?.code, 'CLUSTER_NODE_UNAVAILABLE');
        assert.doesNotMatch(entry.error?.reason ?? '', /cannot be read/, 'refused by the node, not a missing file');
      }
      const metrics = await system.call('kan0', '/kan/v1/cluster/metrics/process?node=kan1', { identity: 'auditor', timeoutMs: 30_000 });
      assert.equal(metrics.status, 502);
      assert.equal(errorCodeOf(metrics), 'CLUSTER_NODE_UNAVAILABLE');
    } finally {
      renameSync(join(pki, 'gateway.crt.good'), join(pki, 'gateway.crt'));
      renameSync(join(pki, 'gateway.key.good'), join(pki, 'gateway.key'));
    }
    // The good identity is read again at the next call: no restart needed.
    assert.ok((await clusterStatus()).nodes.every((n) => n.reachable));
  });
});
