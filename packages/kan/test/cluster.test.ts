// The cluster view's pure decisions (cluster/nodes.ts, cluster/view.ts) and the loopback client's
// failures (cluster/loopback-client.ts) against real sockets. The view over real processes and
// mutual TLS is test/system/cluster-view.test.ts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initClusterPki } from '@qsen/pki';
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
