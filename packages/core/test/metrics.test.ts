/**
 * The metrics registry: default process metrics under the process prefix, the Prometheus text
 * handler over a real HTTP server, the TLS counter, and metric-name checks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildMetricName, createMetricsRegistry, createTlsMetrics, metricsHandler, TLS_REJECTED_CONNECTIONS_SUFFIX,
} from '../src/index.js';

function get(port: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createMetricsRegistry', () => {
  test('default process metrics carry the prefix and end in their unit', async () => {
    const registry = createMetricsRegistry({ prefix: 'qsen' });
    const text = await registry.metrics();
    assert.match(text, /^qsen_process_cpu_user_seconds_total /m);
    assert.match(text, /^qsen_process_resident_memory_bytes /m);
    assert.match(text, /^qsen_nodejs_heap_size_used_bytes /m);
    assert.match(text, /^qsen_nodejs_eventloop_lag_seconds /m);
    for (const metric of await registry.getMetricsAsJSON()) assert.match(metric.name, /^qsen_/);
  });

  test('two registries in one process do not collide', async () => {
    const a = createMetricsRegistry({ prefix: 'kan' });
    const b = createMetricsRegistry({ prefix: 'kan' });
    assert.match(await a.metrics(), /^kan_process_start_time_seconds /m);
    assert.match(await b.metrics(), /^kan_process_start_time_seconds /m);
  });
});

describe('metricsHandler', () => {
  const registry = createMetricsRegistry({ prefix: 'qsen' });
  const tls = createTlsMetrics(registry, buildMetricName('qsen', TLS_REJECTED_CONNECTIONS_SUFFIX));
  let server: Server;
  let port = 0;

  before(async () => {
    const handler = metricsHandler(registry);
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('answers the Prometheus text format with the TLS counter by reason', async () => {
    tls.rejectedConnections.inc({ reason: 'CERT_HAS_EXPIRED' });
    tls.rejectedConnections.inc({ reason: 'CERT_HAS_EXPIRED' });
    const answer = await get(port);
    assert.equal(answer.status, 200);
    assert.match(answer.type, /^text\/plain; version=0\.0\.4/);
    assert.match(answer.body, /^# TYPE qsen_tls_rejected_connections_total counter$/m);
    assert.match(answer.body, /^qsen_tls_rejected_connections_total\{reason="CERT_HAS_EXPIRED"\} 2$/m);
    assert.match(answer.body, /^qsen_process_cpu_user_seconds_total /m);
  });
});

describe('buildMetricName', () => {
  test('joins prefix and suffix', () => {
    assert.equal(buildMetricName('qsen', TLS_REJECTED_CONNECTIONS_SUFFIX), 'qsen_tls_rejected_connections_total');
  });

  test('refuses names that are not snake case', () => {
    assert.throws(() => buildMetricName('Qsen', 'x_total'), RangeError);
    assert.throws(() => buildMetricName('qsen', 'bad-name'), RangeError);
    assert.throws(() => buildMetricName('qsen', ''), RangeError);
  });
});
