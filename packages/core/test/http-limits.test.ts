/**
 * Per-source connection and handshake limits (limits.ts): the pure admission rule with literal
 * counts, and a real mutual-TLS server flooded with idle sockets from one loopback address while
 * another source still completes its handshake; refusals are counted and logged once, not per socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { makeTempDir, waitFor } from '@qsen/testkit';
import {
  createApiApp, createMetricsRegistry, createMtlsServer, createTlsMetrics, judgeNewConnection, openTrustStore, reportRefusals, type MtlsServer, type TlsMetrics,
} from '../src/index.js';
import { createMemoryLogger, makeCluster } from './fixtures/http/cluster.js';

const limits = { perSource: 10, handshakesPerSource: 4, handshakesTotal: 6 };

test('admission: per-source connections, per-source handshakes, then all handshakes', () => {
  assert.equal(judgeNewConnection({ sourceConnections: 0, sourceHandshakes: 0, totalHandshakes: 0 }, limits), null);
  assert.equal(judgeNewConnection({ sourceConnections: 10, sourceHandshakes: 0, totalHandshakes: 0 }, limits), 'source_connections');
  assert.equal(judgeNewConnection({ sourceConnections: 5, sourceHandshakes: 4, totalHandshakes: 4 }, limits), 'source_handshakes');
  assert.equal(judgeNewConnection({ sourceConnections: 1, sourceHandshakes: 1, totalHandshakes: 6 }, limits), 'handshakes');
});

test('refusals are logged at most once per period, with the counts per source', () => {
  const lines: Array<Record<string, unknown> | undefined> = [];
  let now = 0;
  const counted: string[] = [];
  const report = reportRefusals({ warn: (_m, meta) => lines.push(meta) }, (r) => counted.push(r), 10_000, { now: () => now });
  for (let i = 0; i < 100; i++) report('127.0.0.2', 'source_handshakes');
  now = 10_001;
  report('127.0.0.3', 'handshakes');
  assert.equal(counted.length, 101);
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1]?.['refused'], { '127.0.0.2 source_handshakes': 99, '127.0.0.3 handshakes': 1 });
});

const tmp = makeTempDir('qsen-limits-');
const { logger, entries } = createMemoryLogger();
let server: MtlsServer;
let metrics: TlsMetrics;
let port = 0;

before(async () => {
  const material = makeCluster(tmp.path);
  const app = createApiApp({ logger, mount: () => undefined });
  metrics = createTlsMetrics(createMetricsRegistry(), 'limits_tls_rejected_connections_total');
  server = createMtlsServer({ trust: openTrustStore(material.files, { logger }), app, logger, metrics, connectionLimits: limits });
  port = await server.listen(0, '127.0.0.1');
});

after(async () => {
  await server.close();
  tmp.remove();
});

test('a source holding idle sockets is refused at accept beyond its handshake limit; another source still gets through', async () => {
  const held: Socket[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      const s = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      s.on('error', () => undefined);
      held.push(s);
    }
    await waitFor(async () => {
      const v = (await metrics.rejectedConnections.get()).values.find((x) => x.labels.reason === 'source_handshakes');
      return (v?.value ?? 0) >= 26;
    }, { timeoutMs: 10_000, what: '26 refusals of the flooding source' });
    const other = await new Promise<string>((resolve, reject) => {
      const raw = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.3' });
      const s = tlsConnect({ socket: raw, servername: 'localhost', rejectUnauthorized: false }, () => { s.destroy(); resolve('handshake done'); });
      s.on('error', reject);
    });
    assert.equal(other, 'handshake done');
    const refusalLines = entries.filter((e) => String(e['message']).startsWith('connections refused at accept'));
    assert.equal(refusalLines.length, 1, 'one log line, not one per refused socket');
    assert.equal(entries.filter((e) => e['message'] === 'tls connection refused').length, 0, 'refused sockets never reach the TLS layer');
  } finally {
    for (const s of held) s.destroy();
  }
  // Once the flood's sockets close, the source is admitted again.
  await waitFor(() => new Promise<boolean>((resolve) => {
    const raw = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    const s = tlsConnect({ socket: raw, servername: 'localhost', rejectUnauthorized: false }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  }), { timeoutMs: 10_000, what: 'the flooding source admitted again' });
});
