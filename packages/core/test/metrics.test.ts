/**
 * The metrics registry: default process metrics under the process prefix, the Prometheus text
 * handler over a real HTTP server, the TLS counter, and metric-name checks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { requireTool } from '@qsen/testkit';
import {
  buildMetricName, createMetricsRegistry, createTlsMetrics, DROPPED_DEFAULT_METRICS, metricsHandler, TLS_REJECTED_CONNECTIONS_SUFFIX,
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
  test('default process metrics carry their standard names (no process prefix) and end in their unit', async () => {
    const registry = createMetricsRegistry();
    const text = await registry.metrics();
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^process_resident_memory_bytes /m);
    assert.match(text, /^nodejs_heap_size_used_bytes /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    for (const metric of await registry.getMetricsAsJSON()) assert.match(metric.name, /^(process|nodejs)_/);
  });

  test("prom-client's gauges named like counters are left out; their per-type gauges stay", async () => {
    const text = await createMetricsRegistry().metrics();
    for (const name of DROPPED_DEFAULT_METRICS) {
      assert.doesNotMatch(text, new RegExp(`\\b${name}\\b`));
      assert.match(text, new RegExp(`^# TYPE ${name.replace(/_total$/, '')} gauge$`, 'm'));
    }
  });

  test('promtool check metrics finds nothing in the default metrics (Debian package prometheus)', async (t) => {
    const promtool = requireTool('promtool', 'prometheus');
    if (typeof promtool !== 'string') return t.skip(promtool.skip);
    const registry = createMetricsRegistry();
    createTlsMetrics(registry, buildMetricName('qsen', TLS_REJECTED_CONNECTIONS_SUFFIX)).rejectedConnections.inc({ reason: 'CERT_HAS_EXPIRED' });
    const run = spawnSync(promtool, ['check', 'metrics'], { input: await registry.metrics(), encoding: 'utf8' });
    assert.equal(run.status, 0, `promtool check metrics (${run.status}): ${run.stdout}${run.stderr}`);
    assert.equal(`${run.stdout}${run.stderr}`.trim(), '');
  });

  test('two registries in one process do not collide', async () => {
    const a = createMetricsRegistry();
    const b = createMetricsRegistry();
    assert.match(await a.metrics(), /^process_start_time_seconds /m);
    assert.match(await b.metrics(), /^process_start_time_seconds /m);
  });
});

describe('metricsHandler', () => {
  const registry = createMetricsRegistry();
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
    assert.match(answer.body, /^process_cpu_user_seconds_total /m);
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
