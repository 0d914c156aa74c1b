/**
 * prom-client loaded module by module (src/metrics/prom-modules.ts) and the default metrics made
 * on the registry's first read (src/metrics/registry.ts): the classes must stay the root entry's
 * own, the default-metric list its own, and a scrape must answer what collectDefaultMetrics
 * gives: the same families in the same order, the CPU counters counting from the registry's
 * creation, the event-loop lag and GC pauses observed from the start. A process that has not
 * read its registry has loaded neither prom-client's root entry nor `@opentelemetry/api`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as prom from 'prom-client';
import { Counter, createMetricsRegistry, DEFAULT_METRIC_MODULES, DROPPED_DEFAULT_METRICS, Gauge, Histogram, PROM_CLIENT_MODULES } from '../src/metrics/index.js';
import { DEFAULT_METRICS_FROM_START } from '../src/metrics/registry.js';

const load = createRequire(import.meta.url);
/** The comment and type lines of a scrape: its families, in order. */
const families = (text: string): string[] => text.split('\n').filter((line) => line.startsWith('# '));
const valueOf = (text: string, series: string): number => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.split(' ')[1] ?? NaN);

describe("prom-client's modules", () => {
  test('the classes are the ones the root entry exports', () => {
    assert.equal(load(PROM_CLIENT_MODULES.Registry), prom.Registry);
    assert.equal(load(PROM_CLIENT_MODULES.Counter), prom.Counter);
    assert.equal(load(PROM_CLIENT_MODULES.Gauge), prom.Gauge);
    assert.equal(load(PROM_CLIENT_MODULES.Histogram), prom.Histogram);
    assert.equal(Counter, prom.Counter);
    assert.equal(Gauge, prom.Gauge);
    assert.equal(Histogram, prom.Histogram);
  });

  test("the default-metric modules are collectDefaultMetrics's, in its order", () => {
    const list = (load('prom-client/lib/defaultMetrics.js') as { metricsList: string[] }).metricsList;
    assert.deepEqual([...DEFAULT_METRIC_MODULES].filter((name) => list.includes(name)), list);
    assert.deepEqual(DEFAULT_METRIC_MODULES.filter((name) => !list.includes(name)), typeof process.getActiveResourcesInfo === 'function' ? [] : ['processResources']);
  });
});

describe('the default metrics made on first read', () => {
  test("a scrape answers collectDefaultMetrics's families in its order, then the process's own", async () => {
    const registry = createMetricsRegistry();
    new Counter({ name: 'own_things_total', help: 'own', registers: [registry] }).inc();
    const reference = new prom.Registry();
    prom.collectDefaultMetrics({ register: reference });
    for (const name of DROPPED_DEFAULT_METRICS) reference.removeSingleMetric(name);
    new prom.Counter({ name: 'own_things_total', help: 'own', registers: [reference] }).inc();
    const [text, expected] = [await registry.metrics(), await reference.metrics()];
    assert.deepEqual(families(text), families(expected));
    assert.equal(valueOf(text, 'own_things_total'), 1);
    // Later reads are the same registry: nothing made twice, the order kept.
    assert.deepEqual(families(await registry.metrics()), families(expected));
    assert.deepEqual((await registry.getMetricsAsJSON()).map((m) => m.name), (await reference.getMetricsAsJSON()).map((m) => m.name));
  });

  test('the CPU counters count from the registry\'s creation, not from the first scrape', async () => {
    const atCreation = process.cpuUsage();
    const registry = createMetricsRegistry();
    // 250 ms of CPU (not of wall time: on a loaded machine the loop gets a share of a core).
    const cpuSince = (): number => { const u = process.cpuUsage(atCreation); return (u.user + u.system) / 1e3; };
    while (cpuSince() < 250) Math.sqrt(Math.random());
    const text = await registry.metrics();
    const used = process.cpuUsage(atCreation);
    const counted = valueOf(text, 'process_cpu_seconds_total');
    assert.ok(counted >= 0.2, `the 250 ms burnt before the first scrape are counted (${counted} s)`);
    assert.ok(counted <= (used.user + used.system) / 1e6 + 1e-6, `no more than the process used since (${counted} s)`);
    assert.ok(Math.abs(valueOf(text, 'process_cpu_user_seconds_total') + valueOf(text, 'process_cpu_system_seconds_total') - counted) < 1e-6);
  });

  test('a default metric removed before the first read stays removed; the others are made', async () => {
    const registry = createMetricsRegistry();
    registry.removeSingleMetric('process_cpu_seconds_total');
    registry.removeSingleMetric('nodejs_eventloop_lag_seconds');
    const text = await registry.metrics();
    assert.doesNotMatch(text, /^# TYPE process_cpu_seconds_total /m);
    assert.doesNotMatch(text, /^# TYPE nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^# TYPE process_cpu_user_seconds_total counter$/m);
    assert.ok(registry.getSingleMetric('process_resident_memory_bytes'), 'a read by name makes them too');
  });

  test('a process that has not read its registry loaded neither the root entry, nor @opentelemetry/api, nor the default metrics that read the process; the event-loop lag and GC pauses are observed from the start', () => {
    const metrics = new URL('../src/metrics/index.js', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      import { createMetricsRegistry, Histogram } from '${metrics}';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).filter((f) => /node_modules\\/(prom-client|@opentelemetry|tdigest)\\//.test(f)).map((f) => f.replace(/.*node_modules\\//, ''));
      const registry = createMetricsRegistry();
      new Histogram({ name: 'probe_seconds', help: 'h', registers: [registry] }).observe(0.01);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the delay monitor's timer has ticked
      const blockUntil = performance.now() + 120;
      while (performance.now() < blockUntil);
      await new Promise((resolve) => setTimeout(resolve, 50));
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const idle = loaded();
      const text = await registry.metrics();
      console.log(JSON.stringify({ idle, scraped: loaded(), text }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' })) as { idle: string[]; scraped: string[]; text: string };
    assert.ok(!out.idle.includes('prom-client/index.js'), `the root entry is not loaded: ${out.idle.join(' ')}`);
    assert.ok(!out.idle.some((f) => f.startsWith('@opentelemetry/') || f.startsWith('tdigest/')), out.idle.join(' '));
    const idleMetrics = out.idle.filter((f) => f.startsWith('prom-client/lib/metrics/')).map((f) => f.replace(/^prom-client\/lib\/metrics\/|\.js$/g, ''));
    assert.deepEqual(idleMetrics.sort(), [...DEFAULT_METRICS_FROM_START].sort());
    assert.ok(out.scraped.includes('prom-client/lib/metrics/processCpuTotal.js') && out.scraped.some((f) => f.startsWith('@opentelemetry/api/')), 'the first scrape loads the rest');
    assert.ok(!out.scraped.includes('prom-client/index.js'));
    assert.ok(valueOf(out.text, 'nodejs_eventloop_lag_max_seconds') >= 0.1, `the 120 ms block before the first scrape is in the lag histogram: ${out.text.split('\n').filter((l) => l.startsWith('nodejs_eventloop_lag')).join(' ')}`);
    assert.ok(valueOf(out.text, 'nodejs_gc_duration_seconds_count{kind="major"}') >= 1, 'the GC before the first scrape is counted');
    assert.equal(valueOf(out.text, 'probe_seconds_count'), 1);
  });
});
