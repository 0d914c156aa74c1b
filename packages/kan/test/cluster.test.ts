// The cluster view's pure decisions (cluster/nodes.ts, cluster/view.ts) and the loopback client's
// failures (cluster/loopback-client.ts) against real sockets. The view over real processes and
// mutual TLS is test/system/cluster-view.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { initClusterPki } from '@qsen/pki';
import { loadConfig, type AuditSink } from '@qsen/core';
import { renderConfigToml } from '@qsen/setup';
import { findFreePort, httpsCall } from '@qsen/testkit';
import { createKanNode, CLUSTER_CALL_TIMEOUT_MS } from '../src/node.js';
import { createLocalControl } from '../src/process/local.js';
import { CLUSTER_MAX_IN_FLIGHT } from '../src/routes/cluster.js';
import { createLoopbackClient, LoopbackError } from '../src/cluster/loopback-client.js';
import { clusterNodes, findClusterNode, isClusterGateway, kanListenHost } from '../src/cluster/nodes.js';
import { nodeStatusEntry } from '../src/cluster/view.js';

const server = { listen: '0.0.0.0', qsen_port: 8443, kan_ports: [8444, 8445, 8446] as const, host_names: [] };

describe('cluster view decisions', () => {
  it('four nodes with their own ports and endpoints', () => {
    const nodes = clusterNodes({ server });
    assert.deepEqual(nodes.map((n) => [n.name, n.port, n.statusPath, n.metricsPath]), [
      ['qsen', 8443, '/qsen/v1/status', '/qsen/v1/metrics/process'],
      ['kan0', 8444, '/kan/v1/status', '/kan/v1/metrics/process'],
      ['kan1', 8445, '/kan/v1/status', '/kan/v1/metrics/process'],
      ['kan2', 8446, '/kan/v1/status', '/kan/v1/metrics/process'],
    ]);
    assert.equal(findClusterNode(nodes, 'kan3'), undefined);
    assert.equal(findClusterNode(nodes, 'KAN1'), undefined);
  });

  it('in four-port mode only the gateway keeps the configured address, the others take loopback; six-port changes nothing (every case)', () => {
    let cases = 0;
    for (const mode of ['six-port', 'four-port'] as const) {
      for (const gateway of [0, 1, 2]) {
        for (const index of [0, 1, 2]) {
          for (const listen of ['0.0.0.0', '192.0.2.7', '::']) {
            const config = { server: { ...server, listen }, cluster: { mode, gateway, gateway_cert: '/x', gateway_key: '/y' } };
            const gatewayHere = isClusterGateway(config, index);
            assert.equal(gatewayHere, mode === 'four-port' && gateway === index);
            assert.equal(kanListenHost(config, index), mode === 'four-port' && !gatewayHere ? '127.0.0.1' : listen);
            cases += 1;
          }
        }
      }
    }
    assert.equal(cases, 54);
  });

  it('a node entry: its JSON answer with the HTTP status, or unreachable with the reason, never dropped', () => {
    const node = clusterNodes({ server })[2];
    assert.ok(node);
    assert.deepEqual(nodeStatusEntry(node, { ok: true, answer: { status: 403, contentType: 'application/json', body: Buffer.from('{"error":{"code":"FORBIDDEN"}}') } }),
      { node: 'kan1', port: 8445, reachable: true, httpStatus: 403, status: { error: { code: 'FORBIDDEN' } } });
    assert.deepEqual(nodeStatusEntry(node, { ok: false, reason: 'ECONNREFUSED' }),
      { node: 'kan1', port: 8445, reachable: false, error: { code: 'CLUSTER_NODE_UNAVAILABLE', reason: 'ECONNREFUSED' } });
    const garbled = nodeStatusEntry(node, { ok: true, answer: { status: 200, contentType: 'text/plain', body: Buffer.from('not json') } });
    assert.equal(garbled.reachable, false);
  });
});

describe('loopback client failures (real sockets, a real cluster PKI)', () => {
  const home = mkdtempSync(join(tmpdir(), 'qsen-cluster-'));
  initClusterPki(home);
  const pki = (file: string): string => join(home, 'pki', file);
  const ca = (): string => readFileSync(pki('ca.crt'), 'utf8');
  const client = (overrides: Partial<Parameters<typeof createLoopbackClient>[0]> = {}) =>
    createLoopbackClient({ ca, certFile: pki('clients/auditor.crt'), keyFile: pki('clients/auditor.key'), timeoutMs: 2000, maxBytes: 1024, ...overrides });
  const reasonOf = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof LoopbackError, String(err));
      return err.reason;
    }
    throw new Error('expected a LoopbackError');
  };
  const listen = async (server: Server | NetServer): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return (server.address() as { port: number }).port;
  };
  after(() => rmSync(home, { recursive: true, force: true }));

  it('a missing identity file is reported as such, before any connection', async () => {
    assert.match(await reasonOf(client({ certFile: pki('clients/absent.crt') })(1, '/')), /client identity cannot be read: ENOENT/);
  });

  it('an identity that does not parse is refused before any connection', async () => {
    const bad = join(home, 'garbage.crt');
    writeFileSync(bad, '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
    assert.match(await reasonOf(client({ certFile: bad })(1, '/')), /client identity is not valid/);
  });

  it('nothing listening: ECONNREFUSED', async () => {
    const probe = createNetServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    assert.equal(await reasonOf(client()(port, '/')), 'ECONNREFUSED');
  });

  it('a listener that never answers is cut at the deadline', async () => {
    const silent = createNetServer(() => undefined);
    const port = await listen(silent);
    try {
      const started = Date.now();
      assert.equal(await reasonOf(client({ timeoutMs: 300 })(port, '/')), 'no answer within 300 ms');
      assert.ok(Date.now() - started < 10_000);
    } finally {
      silent.close();
    }
  });

  it('an answer larger than the cap is cut and reported; one within it comes back whole, with its status', async () => {
    let size = 0;
    const server = createHttpsServer({ cert: readFileSync(pki('server.crt')), key: readFileSync(pki('server.key')) }, (_req, res) => {
      res.writeHead(size > 100 ? 200 : 418, { 'content-type': 'text/plain' });
      res.end('x'.repeat(size));
    });
    const port = await listen(server);
    try {
      size = 5000;
      assert.match(await reasonOf(client()(port, '/')), /exceeds 1024 bytes/);
      size = 10;
      const answer = await client()(port, '/');
      assert.equal(answer.status, 418);
      assert.equal(answer.body.toString(), 'x'.repeat(10));
      assert.equal(answer.contentType, 'text/plain');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('the gateway kan under silent peers (a real kan node, mutual TLS)', () => {
  it('peers that never answer are entries saying so after the deadline; beyond 8 calls in flight: 503 CLUSTER_BUSY at once, with Retry-After', async () => {
    const home = mkdtempSync(join(tmpdir(), 'qsen-gateway-'));
    // qsen, kan 1 and kan 2 "listen" but never answer: every loopback call to them waits out its deadline.
    const silent = [createNetServer(() => undefined), createNetServer(() => undefined), createNetServer(() => undefined)];
    const silentPorts = await Promise.all(silent.map((server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))));
    try {
      initClusterPki(home);
      const selfPort = await findFreePort();
      writeFileSync(join(home, 'conf.toml'), `${renderConfigToml({ mode: 'local', listen: '127.0.0.1', qsenPort: silentPorts[0], kanPorts: [selfPort, silentPorts[1] ?? 0, silentPorts[2] ?? 0] })}
[cluster]
mode = "four-port"
gateway = 0
gateway_cert = "pki/clients/auditor.crt"
gateway_key = "pki/clients/auditor.key"
`);
      const config = loadConfig(join(home, 'conf.toml'));
      mkdirSync(config.paths.logs, { recursive: true });
      mkdirSync(config.paths.run, { recursive: true });
      const audit: AuditSink = { record: () => undefined };
      const node = createKanNode({ index: 0, config, logger: winston.createLogger({ silent: true }), audit, control: createLocalControl(join(home, 'run/none.sock')), watchdog: false, watchTlsFiles: false });
      await node.listen();
      try {
        const ca = readFileSync(join(home, 'pki/ca.crt'), 'utf8');
        const identity = { cert: readFileSync(join(home, 'pki/clients/operator.crt'), 'utf8'), key: readFileSync(join(home, 'pki/clients/operator.key'), 'utf8') };
        const call = () => httpsCall(`https://localhost:${selfPort}/kan/v1/cluster/status`, { ca, identity, timeoutMs: 60_000 });
        const started = Date.now();
        const answers = await Promise.all(Array.from({ length: CLUSTER_MAX_IN_FLIGHT + 2 }, call));
        const busy = answers.filter((a) => a.status === 503);
        const served = answers.filter((a) => a.status === 200);
        assert.equal(busy.length, 2, answers.map((a) => a.status).join(', '));
        assert.equal(served.length, CLUSTER_MAX_IN_FLIGHT);
        for (const a of busy) {
          assert.equal((JSON.parse(a.body) as { error: { code: string } }).error.code, 'CLUSTER_BUSY');
          assert.equal(a.headers['retry-after'], '1');
        }
        for (const a of served) {
          const view = JSON.parse(a.body) as { nodes: Array<{ node: string; reachable: boolean; error?: { code: string; reason: string } }> };
          assert.deepEqual(view.nodes.map((n) => [n.node, n.reachable]), [['qsen', false], ['kan0', true], ['kan1', false], ['kan2', false]]);
          for (const n of view.nodes.filter((e) => !e.reachable)) assert.deepEqual(n.error, { code: 'CLUSTER_NODE_UNAVAILABLE', reason: `no answer within ${CLUSTER_CALL_TIMEOUT_MS} ms` });
        }
        assert.ok(Date.now() - started >= CLUSTER_CALL_TIMEOUT_MS - 100, 'the served calls waited out the deadline');
        // The slots are free again once the calls are done.
        const metrics = await httpsCall(`https://localhost:${selfPort}/kan/v1/cluster/metrics/process?node=kan0`, { ca, identity, timeoutMs: 60_000 });
        assert.equal(metrics.status, 200);
        assert.match(metrics.body, /^process_resident_memory_bytes \d+$/m);
      } finally {
        await node.close();
      }
    } finally {
      for (const server of silent) server.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
