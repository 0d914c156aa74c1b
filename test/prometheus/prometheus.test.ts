// deploy/prometheus with Debian's promtool and prometheus: the configuration and the rules check,
// the alert unit tests pass, a real Prometheus scrapes a running local system with mutual TLS,
// and every metrics endpoint's live output passes `promtool check metrics`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort, httpsCall, makeTempDir, requireTool, waitFor } from '@qsen/testkit';
import { REPOSITORY, startSystem, type LocalSystem } from '../support/system.js';

const DEPLOY = join(REPOSITORY, 'deploy', 'prometheus');

interface ToolRun { code: number | null; stdout: string; stderr: string }

function runTool(file: string, args: string[], opts: { cwd?: string; input?: string } = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: opts.cwd ?? DEPLOY, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Lint findings on node_exporter's own output (proxied by the kans), which QSen does not name. */
function isNodeExporterFinding(line: string): boolean {
  return /^node_/.test(line) || /^go_/.test(line) || /^process_/.test(line) || /^promhttp_/.test(line);
}

describe('deploy/prometheus: rules and alert unit tests', () => {
  it('promtool check rules accepts alerts.yml', async (t) => {
    const promtool = requireTool('promtool', 'prometheus');
    if (typeof promtool !== 'string') return t.skip(promtool.skip);
    const run = await runTool(promtool, ['check', 'rules', 'alerts.yml']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SUCCESS: 10 rules found/);
  });

  it('promtool test rules passes the unit test of every alert', async (t) => {
    const promtool = requireTool('promtool', 'prometheus');
    if (typeof promtool !== 'string') return t.skip(promtool.skip);
    const tests = readFileSync(join(DEPLOY, 'alerts.test.yml'), 'utf8');
    const rules = readFileSync(join(DEPLOY, 'alerts.yml'), 'utf8');
    for (const name of [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1])) {
      assert.ok(tests.includes(`alertname: ${name}`), `alerts.test.yml tests ${name}`);
    }
    const run = await runTool(promtool, ['test', 'rules', 'alerts.test.yml']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SUCCESS/);
  });
});

describe('deploy/prometheus against a running local system', () => {
  let system: LocalSystem;
  const dir = makeTempDir('qsen-prometheus-');
  let prometheus: ChildProcess | undefined;
  let prometheusExited: Promise<void> = Promise.resolve();
  let prometheusOutput = '';

  /** prometheus.yml (or another variant) with the system's ports, names and the auditor identity as the scraper's. */
  function writeLocalConfig(variant = 'prometheus.yml'): string {
    const files = { ca: join(dir.path, 'ca.crt'), cert: join(dir.path, 'prometheus.crt'), key: join(dir.path, 'prometheus.key') };
    copyFileSync(join(system.home, 'pki/ca.crt'), files.ca);
    copyFileSync(join(system.home, 'pki/clients/auditor.crt'), files.cert);
    copyFileSync(join(system.home, 'pki/clients/auditor.key'), files.key);
    let text = readFileSync(join(DEPLOY, variant), 'utf8')
      .replaceAll('/etc/prometheus/qsen/ca.crt', files.ca)
      .replaceAll('/etc/prometheus/qsen/prometheus.crt', files.cert)
      .replaceAll('/etc/prometheus/qsen/prometheus.key', files.key)
      .replaceAll('scrape_interval: 15s', 'scrape_interval: 1s')
      .replaceAll('scrape_timeout: 10s', 'scrape_timeout: 1s');
    const ports: Record<string, number> = { '8443': system.ports.qsen, '8444': system.ports.kans[0], '8445': system.ports.kans[1], '8446': system.ports.kans[2] };
    text = text.replace(/qsen\.example\.net:(844[3-6])/g, (_m, port: string) => `localhost:${ports[port] ?? 0}`);
    const file = join(dir.path, variant);
    writeFileSync(file, text);
    copyFileSync(join(DEPLOY, 'alerts.yml'), join(dir.path, 'alerts.yml'));
    return file;
  }

  before(async () => {
    system = await startSystem({ prefix: 'qsen-prometheus-system-', untilReconciled: true });
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      prometheus.kill('SIGTERM');
      await prometheusExited;
    }
    await system?.stop();
    dir.remove();
  });

  it('promtool check config accepts prometheus.yml (with real certificate files)', async (t) => {
    const promtool = requireTool('promtool', 'prometheus');
    if (typeof promtool !== 'string') return t.skip(promtool.skip);
    const run = await runTool(promtool, ['check', 'config', writeLocalConfig()], { cwd: dir.path });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SUCCESS: 1 rule files found/);
  });

  it('promtool check config accepts prometheus-four-port.yml, which targets only 8443 and the gateway\'s 8444', async (t) => {
    const text = readFileSync(join(DEPLOY, 'prometheus-four-port.yml'), 'utf8');
    const targets = [...text.matchAll(/qsen\.example\.net:(\d+)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(targets)].sort(), ['8443', '8444']);
    assert.deepEqual([...text.matchAll(/__param_node: (\w+)/g)].map((m) => m[1]), ['kan0', 'kan1', 'kan2']);
    const promtool = requireTool('promtool', 'prometheus');
    if (typeof promtool !== 'string') return t.skip(promtool.skip);
    const run = await runTool(promtool, ['check', 'config', writeLocalConfig('prometheus-four-port.yml')], { cwd: dir.path });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /SUCCESS: 1 rule files found/);
  });

  it('a real Prometheus scrapes qsen, the three kans and node_exporter over mutual TLS', async (t) => {
    const binary = requireTool('prometheus', 'prometheus');
    if (typeof binary !== 'string') return t.skip(binary.skip);
    const port = await findFreePort();
    const config = writeLocalConfig();
    prometheus = spawn(binary, [
      `--config.file=${config}`, `--storage.tsdb.path=${join(dir.path, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout?.on('data', (c: Buffer) => { prometheusOutput += c.toString('utf8'); });
    prometheus.stderr?.on('data', (c: Buffer) => { prometheusOutput += c.toString('utf8'); });
    const child = prometheus;
    prometheusExited = new Promise((resolve) => child.once('exit', () => resolve()));
    const expected = ['qsen', 'kan', 'kan', 'kan', ...(system.nodeExporter ? ['node'] : [])];
    let last = '';
    await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/targets`);
      if (res.status !== 200) return false;
      const body = (await res.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> } };
      const up = body.data.activeTargets.filter((target) => target.health === 'up').map((target) => target.labels['job'] ?? '').sort();
      last = JSON.stringify(body.data.activeTargets.map((target) => [target.labels['job'], target.labels['instance'], target.health, target.lastError]));
      return expected.every((job) => up.filter((j) => j === job).length >= expected.filter((e) => e === job).length);
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'every QSen target up in Prometheus' }).catch((err: Error) => {
      throw new Error(`${err.message}\ntargets: ${last}\nprometheus: ${prometheusOutput}`);
    });
    const rules = (await (await fetch(`http://127.0.0.1:${port}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: unknown[] }> } };
    assert.equal(rules.data.groups.reduce((n, g) => n + g.rules.length, 0), 10);
    const query = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('kan_target_up{target="qsen"}')}`);
    const result = (await query.json()) as { data: { result: unknown[] } };
    assert.ok(result.data.result.length >= 1, 'kan_target_up scraped');
  });

  it('promtool check metrics is clean on qsen and every kan (default metrics included), and finds nothing QSen names behind node_exporter', async (t) => {
    const promtool = requireTool('promtool', 'prometheus');
    if (typeof promtool !== 'string') return t.skip(promtool.skip);
    const endpoints = [
      [system.ports.qsen, '/qsen/v1/metrics/process'], [system.ports.qsen, '/qsen/v1/metrics/golang'],
      ...system.ports.kans.flatMap((p) => [[p, '/kan/v1/metrics/process'], [p, '/kan/v1/metrics/golang']]),
      ...(system.nodeExporter ? [[system.ports.kans[0], '/kan/v1/metrics/system']] : []),
    ] as Array<[number, string]>;
    for (const [port, path] of endpoints) {
      const answer = await httpsCall(`https://localhost:${port}${path}`, { ca: system.ca, identity: system.identity('auditor') });
      assert.equal(answer.status, 200, `${port}${path}`);
      const run = await runTool(promtool, ['check', 'metrics'], { input: answer.body });
      const findings = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
      if (path !== '/kan/v1/metrics/system') {
        // qsen's and the kans' endpoints: clean, default process metrics included (promtool: 0 clean, 3 findings, 1 unparsable).
        assert.equal(run.code, 0, `${port}${path}: promtool check metrics (${run.code}): ${findings.join('; ')}`);
        assert.deepEqual(findings, [], `${port}${path}: promtool findings`);
        assert.match(answer.body, /^process_resident_memory_bytes /m, `${port}${path}: default metrics under their standard names`);
        continue;
      }
      // promtool: 0 clean, 3 lint findings only, 1 the text cannot be parsed.
      assert.ok(run.code === 0 || run.code === 3, `${port}${path}: promtool could not parse it (${run.code}): ${run.stderr}`);
      const ours = findings.filter((l) => !isNodeExporterFinding(l));
      assert.deepEqual(ours, [], `${port}${path}: lint findings on QSen's own metrics`);
    }
  });
});
