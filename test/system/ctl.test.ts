// qsenctl end to end against a running local system: every command, --json parsed, exit codes,
// and the TLS failure messages with an expired, an untrusted and a foreign-CA setup.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { list as listTar } from 'tar';
import { createCa, issueClientCertificate } from '@qsen/pki';
import { findFreePort, makeTempDir, requireTool, waitFor } from '@qsen/testkit';
import { REPOSITORY, startSystem, type LocalSystem } from '../support/system.js';
import { auditDayOf, logFileDateOf, tradeDateOf } from '../support/dates.js';

const CTL = join(REPOSITORY, 'packages/ctl/dist/src/main.js');

interface CtlRun { code: number | null; stdout: string; stderr: string }

function runCtl(args: string[], env: Record<string, string | undefined>, cwd = REPOSITORY): Promise<CtlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CTL, ...args], { cwd, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function parseJson(run: CtlRun): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    assert.fail(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

describe('qsenctl against a running local system', () => {
  let system: LocalSystem;
  const scratch = makeTempDir('qsen-ctl-e2e-');
  let ctl: (args: string[]) => Promise<CtlRun>;
  let startedAt = 0;

  /**
   * The name of a node's current log file, as `logs ls` lists it: the newest `<node>-DATE.log`,
   * dated between the system's start and now. A node names its file by the local date of the
   * line it writes, so a run across midnight has two, and an idle node may not have written
   * into the new day's yet: the date is read from the listing, not assumed to be today's.
   */
  const currentLogName = async (node: string): Promise<string> => {
    const logs = parseJson(await ctl(['logs', 'ls', '--json']))['logs'] as Array<Record<string, unknown>>;
    const names = logs.map((l) => String(l['name'])).filter((n) => new RegExp(`^${node}-\\d{4}-\\d{2}-\\d{2}\\.log$`).test(n)).sort();
    const name = names.at(-1);
    assert.ok(name !== undefined, `a ${node} log file in ${JSON.stringify(logs)}`);
    const date = name.slice(node.length + 1, -'.log'.length);
    assert.ok(date >= logFileDateOf(startedAt) && date <= logFileDateOf(), `${name} is dated in this run`);
    return name;
  };

  before(async () => {
    startedAt = Date.now();
    system = await startSystem({ prefix: 'qsen-ctl-system-', untilReconciled: true });
    ctl = (args) => runCtl(args, { QSEN_HOME: system.home, HOME: scratch.path });
  });

  after(async () => {
    await system?.stop();
    scratch.remove();
  });

  it('status: one table of the four nodes, and the same as JSON with exact pids', async () => {
    const text = await ctl(['status']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^NODE +PORT +HEALTH +PID +UPTIME +RESTARTS +WINDOW +HALTED +CERT DAYS +CRL$/m);
    for (const node of ['qsen', 'kan 0', 'kan 1', 'kan 2']) assert.match(text.stdout, new RegExp(`^${node} +\\d+ +up +\\d+`, 'm'));
    assert.match(text.stdout, /this client: CN=qsen-operator.*days left/);
    const json = parseJson(await ctl(['status', '--json']));
    const nodes = json['nodes'] as Array<Record<string, unknown>>;
    assert.deepEqual(nodes.map((n) => n['node']), ['qsen', 'kan 0', 'kan 1', 'kan 2']);
    const processes = await system.control().list();
    assert.equal(nodes[0]?.['pid'], processes.find((p) => p.name === 'qsen')?.pid);
    assert.equal(nodes[0]?.['window'], 'open');
    assert.equal(json['halted'], false);
    assert.ok((nodes[1]?.['certDaysLeft'] as number) > 30);
  });

  it('order send, orders list and operations list keep 19-digit ids exact', async () => {
    const id = '9999000000000000123';
    const order = ['--id', id, '--instrument', 'AL30', '--side', 'buy', '--quantity', '1000', '--price', '1234.50', '--currency', 'ARS', '--settlement', 'T1', '--counterparty', '210'];
    const sent = await runCtl(['--as', 'platform', 'order', 'send', ...order, '--json'], { QSEN_HOME: system.home });
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /"id":"9999000000000000123"/);
    assert.equal((parseJson(sent)['order'] as Record<string, unknown>)['status'], 'accepted');
    const orders = parseJson(await ctl(['orders', 'list', '--date', tradeDateOf(), '--json']));
    assert.ok((orders['orders'] as Array<Record<string, unknown>>).some((o) => o['id'] === id));
    const operations = parseJson(await ctl(['operations', 'list', '--json']));
    assert.ok(Array.isArray(operations['operations']));
    const human = await ctl(['orders', 'list']);
    assert.match(human.stdout, new RegExp(`^${id} +AL30 +buy`, 'm'));
  });

  it('answers server errors with exit code 1, the code on stderr and the error body with --json', async () => {
    const out = await runCtl(['--as', 'platform', 'order', 'send', '--id', '1', '--instrument', 'AL30', '--side', 'buy', '--quantity', '1', '--price', '1',
      '--currency', 'ARS', '--settlement', 'T1', '--counterparty', '210', '--json'], { QSEN_HOME: system.home });
    assert.equal(out.code, 1);
    assert.match(out.stderr, /ID_OUT_OF_RANGE \(HTTP 403\)/);
    assert.equal((parseJson(out)['error'] as Record<string, unknown>)['code'], 'ID_OUT_OF_RANGE');
    const forbidden = await runCtl(['--as', 'auditor', 'halt'], { QSEN_HOME: system.home });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /FORBIDDEN/);
  });

  it('halt makes sendOrder answer HALTED and shows in status; resume lifts it', async () => {
    const halted = parseJson(await ctl(['halt', '--reason', 'e2e test', '--json']));
    assert.equal(halted['halted'], true);
    const refused = await runCtl(['--as', 'platform', 'order', 'send', '--id', '9999000000000000124', '--instrument', 'AL30', '--side', 'sell', '--quantity', '5',
      '--price', '10', '--currency', 'USD', '--settlement', 'T0', '--counterparty', '1'], { QSEN_HOME: system.home });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /HALTED \(HTTP 423\)/);
    assert.equal(parseJson(await ctl(['status', '--json']))['halted'], true);
    assert.match((await ctl(['status'])).stdout, /^qsen .* HALTED /m);
    assert.equal(parseJson(await ctl(['resume', '--json']))['halted'], false);
  });

  it('ping senebi, cert info, config, decrypt, version and cmd answer', async () => {
    const [ping, certs, config, decrypt, version, top, ls] = await Promise.all([
      ctl(['ping', 'senebi', '--json']), ctl(['cert', 'info', '--json']), ctl(['config', '--json']), ctl(['decrypt', '--json']),
      ctl(['version', '--node', '2', '--json']), ctl(['cmd', 'top']), ctl(['cmd', 'ls', '--json']),
    ]);
    assert.equal(parseJson(ping)['ok'], true);
    const certInfo = parseJson(certs);
    assert.equal(certInfo['source'], 'qsen');
    assert.ok(((certInfo['client'] as Record<string, unknown>)['daysLeft'] as number) > 30);
    assert.equal((parseJson(config)['id_range'] as Record<string, unknown>)['min'], '9999000000000000000');
    assert.equal(parseJson(decrypt)['keyMatchesCertificate'], true);
    assert.equal(typeof parseJson(version)['version'], 'string');
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /PID/);
    assert.equal(typeof parseJson(ls)['output'], 'string');
  });

  it('metrics of qsen, of a kan and of the system', async () => {
    const [qsen, kanRun, systemMetrics] = await Promise.all([ctl(['metrics', 'qsen']), ctl(['metrics', 'kan', '1', '--json']), ctl(['metrics', 'system'])]);
    assert.match(qsen.stdout, /^qsen_kill_switch_engaged 0$/m);
    const kan = parseJson(kanRun);
    assert.ok((kan['metrics'] as Array<Record<string, unknown>>).some((f) => f['name'] === 'kan_target_up'));
    if (system.nodeExporter) assert.match(systemMetrics.stdout, /^node_cpu_seconds_total/m);
    else {
      assert.equal(systemMetrics.code, 1);
      assert.match(systemMetrics.stderr, /NODE_EXPORTER_UNAVAILABLE/);
    }
  });

  it('logs ls, get (one file and all), tail and tail -f', async () => {
    const name = await currentLogName('kan0');
    const got = parseJson(await runCtl(['logs', 'get', name, '-o', 'one.log', '--json'], { QSEN_HOME: system.home }, scratch.path));
    assert.equal(got['path'], join(scratch.path, 'one.log'));
    assert.equal(statSync(join(scratch.path, 'one.log')).size, got['bytes']);
    const all = parseJson(await runCtl(['logs', 'get', 'all', '--json'], { QSEN_HOME: system.home }, scratch.path));
    const entries: string[] = [];
    await listTar({ file: all['path'] as string, onReadEntry: (e) => { entries.push(e.path); } });
    assert.ok(entries.some((e) => e.endsWith(name)), entries.join(','));
    const tail = await ctl(['logs', 'tail', name, '--lines', '3']);
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(tail.stdout.split('\n').filter((l) => l !== '').length, 3);

    const follower = spawn(process.execPath, [CTL, 'logs', 'tail', name, '--lines', '0', '-f', '--interval', '200'], { env: { PATH: process.env['PATH'], QSEN_HOME: system.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follower.stdout.on('data', (c: Buffer) => { followed += c.toString('utf8'); });
    const closed = new Promise<number | null>((resolve) => follower.on('close', (code) => resolve(code)));
    try {
      // The follower's own polls are logged by kan 0: once they show, it is following.
      await waitFor(() => followed.includes('/kan/v1/logs/tail'), { timeoutMs: 15_000, what: 'the follower polling' });
      const marker = await ctl(['version', '--node', '0', '--json']);
      assert.equal(marker.code, 0);
      await waitFor(() => followed.includes('/kan/v1/version'), { timeoutMs: 15_000, what: 'the followed tail showing the new request' });
    } finally {
      follower.kill('SIGTERM');
    }
    assert.equal(await closed, 0);
  });

  it('logs get draws a progress bar when stderr is a terminal (and none otherwise)', async (t) => {
    const script = requireTool('script', 'util-linux');
    if (typeof script !== 'string') return t.skip(script.skip);
    const name = await currentLogName('qsen');
    const quoted = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
    const command = [process.execPath, CTL, 'logs', 'get', name, '-o', join(scratch.path, 'tty.log')].map(quoted).join(' ');
    const onTerminal = await new Promise<string>((resolve, reject) => {
      const child = spawn(script, ['-qec', command, '/dev/null'], { env: { PATH: process.env['PATH'], QSEN_HOME: system.home, TERM: 'dumb' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => { text += c.toString('utf8'); });
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    assert.match(onTerminal, new RegExp(`${name.replaceAll('.', '\\.')} \\[#+\\] 100% .* / `), onTerminal);
    assert.match(onTerminal, /wrote .*tty\.log/);
    const piped = await runCtl(['logs', 'get', name, '-o', join(scratch.path, 'piped.log')], { QSEN_HOME: system.home });
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr, /\[#/);
  });

  it('logs truncate keeps at most --keep bytes', async () => {
    const name = await currentLogName('kan1');
    const answer = parseJson(await ctl(['logs', 'truncate', name, '--keep', '2048', '--json']));
    const result = (answer['results'] as Array<Record<string, unknown>>)[0];
    assert.equal(result?.['file'], name);
    assert.ok((result?.['sizeAfter'] as number) <= 2048 + 4096, JSON.stringify(result));
  });

  it('restart kan N and restart qsen are carried out by the owner', async () => {
    const before2 = await system.control().status('kan2');
    const out = parseJson(await ctl(['restart', 'kan', '2', '--json']));
    assert.equal(out['accepted'], true);
    assert.notEqual(out['via'], 2);
    await waitFor(async () => (await system.control().status('kan2')).invocation > before2.invocation, { timeoutMs: 30_000, what: 'kan2 restarted' });
    const beforeQsen = await system.control().status('qsen');
    const restarted = await ctl(['restart', 'qsen']);
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.match(restarted.stdout, /restart of qsen requested via kan 0/);
    await waitFor(async () => {
      const s = await system.control().status('qsen');
      return s.invocation > beforeQsen.invocation && s.state === 'running';
    }, { timeoutMs: 60_000, what: 'qsen restarted' });
  });

  it("audit: a kan's self-restart ends with done (written by the new process); audit queries by action, id and time; verify finds the chains whole", async () => {
    const auditFrom = auditDayOf(); // the UTC day the restart's audit lines can start on
    const before0 = await system.control().status('kan0');
    // Right after the previous test restarted a kan, kan 0 may not have seen it answer again yet
    // (409 KAN_QUORUM): ask again until the quorum holds, with a deadline.
    const restart = await waitFor(async () => {
      const run = await ctl(['restart', 'kan', '0', '--node', '0', '--json']);
      return run.code === 0 || !run.stdout.includes('KAN_QUORUM') ? run : null;
    }, { timeoutMs: 30_000, intervalMs: 250, what: 'kan 0 accepting its own restart (quorum of two other kans up)' });
    const out = parseJson(restart);
    assert.equal(out['via'], 0, restart.stdout + restart.stderr);
    const requestId = String(out['requestId']);
    await waitFor(async () => (await system.control().status('kan0')).invocation > before0.invocation, { timeoutMs: 30_000, what: 'kan0 restarted' });
    const outcomesOf = async (): Promise<string[]> => {
      const run = await ctl(['audit', '--action', 'restart_kan', '--id', requestId, '--from', auditFrom, '--json', '--node', '1']);
      assert.equal(run.code, 0, run.stderr);
      return run.stdout.split('\n').filter((l) => l !== '').map((l) => String((JSON.parse(l) as Record<string, unknown>)['outcome']));
    };
    await waitFor(async () => (await outcomesOf()).includes('done'), { timeoutMs: 30_000, what: 'the done line of the self-restart' });
    assert.deepEqual(await outcomesOf(), ['accepted', 'done']);
    const halted = await ctl(['halt', '--reason', 'e2e drill']);
    assert.equal(halted.code, 0, halted.stderr);
    assert.equal((await ctl(['resume'])).code, 0);
    const table = await ctl(['audit', '--action', 'halt,resume']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME +CHAIN +ACTION +OUTCOME +CODE +SUBJECT +ID +DETAILS$/m);
    assert.match(table.stdout, /qsen +halt +done +\S*qsen-operator.*reason=e2e drill channel=api/);
    const verified = await ctl(['audit', 'verify', '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const report = parseJson(verified);
    assert.equal(report['ok'], true);
    const chains = (report['chains'] as Array<Record<string, unknown>>).map((c) => c['chain']);
    for (const chain of ['qsen', 'kan0']) assert.ok(chains.includes(chain), JSON.stringify(chains));
  });

  it('exit code 2 on usage errors and 4 without a profile or identity', async () => {
    const usage = await ctl(['restart', 'kan', '7']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /kan N must be 0, 1 or 2/);
    const none = await runCtl(['status'], { HOME: scratch.path });
    assert.equal(none.code, 4);
    assert.match(none.stderr, /no profile/);
    const noRole = await runCtl(['--as', 'nobody', 'status', '--json'], { QSEN_HOME: system.home });
    assert.equal(noRole.code, 4);
    assert.equal((parseJson(noRole)['error'] as Record<string, unknown>)['code'], 'IDENTITY_UNREADABLE');
  });

  describe('TLS failures in words (exit code 3)', () => {
    const writeProfile = (name: string, fields: Record<string, string | number>): string => {
      const file = join(scratch.path, `${name}.toml`);
      writeFileSync(file, Object.entries(fields).map(([k, v]) => `${k} = ${typeof v === 'number' ? v : JSON.stringify(v)}`).join('\n') + `\nkan_ports = [${system.ports.kans.join(', ')}]\n`);
      return file;
    };
    const clusterCa = () => ({ certPem: readFileSync(join(system.home, 'pki/ca.crt'), 'utf8'), keyPem: readFileSync(join(system.home, 'pki/ca.key'), 'utf8') });

    it('an expired certificate: the server refused it, and when it expired', async () => {
      const expired = issueClientCertificate(clusterCa(), { commonName: 'old-operator', ou: 'operator', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2026-10-01T00:00:00Z') });
      writeFileSync(join(scratch.path, 'expired.crt'), expired.certPem);
      writeFileSync(join(scratch.path, 'expired.key'), expired.keyPem, { mode: 0o600 });
      const profile = writeProfile('expired', { host: 'localhost', ca: join(system.home, 'pki/ca.crt'), cert: 'expired.crt', key: 'expired.key', qsen_port: system.ports.qsen });
      const out = await runCtl(['--profile', profile, 'ping', 'senebi', '--json'], { HOME: scratch.path });
      assert.equal(out.code, 3, out.stderr);
      assert.match(out.stderr, /the server refused this certificate \(.*expired\.crt\): it expired on 2026-10-01/);
      assert.equal((parseJson(out)['error'] as Record<string, unknown>)['code'], 'CLIENT_CERTIFICATE_REFUSED');
    });

    it('a certificate from another CA: not trusted by the CA at the profile path', async () => {
      const other = createCa({ commonName: 'Somebody else' });
      const foreign = issueClientCertificate(other, { commonName: 'intruder', ou: 'operator' });
      writeFileSync(join(scratch.path, 'foreign.crt'), foreign.certPem);
      writeFileSync(join(scratch.path, 'foreign.key'), foreign.keyPem, { mode: 0o600 });
      const caPath = join(system.home, 'pki/ca.crt');
      const profile = writeProfile('foreign', { host: 'localhost', ca: caPath, cert: 'foreign.crt', key: 'foreign.key', qsen_port: system.ports.qsen });
      const out = await runCtl(['--profile', profile, 'status'], { HOME: scratch.path });
      assert.equal(out.code, 3, out.stdout + out.stderr);
      assert.ok(out.stderr.includes(`this certificate is not trusted by the CA at ${caPath}`), out.stderr);
      // Every node is up and refused this certificate: the table says so, not "down".
      for (const node of ['qsen', 'kan 0', 'kan 1', 'kan 2']) assert.match(out.stdout, new RegExp(`^${node} +\\d+ +refused my certificate `, 'm'));

      writeFileSync(join(scratch.path, 'other-ca.crt'), other.certPem);
      const wrongCa = writeProfile('wrong-ca', { host: 'localhost', ca: 'other-ca.crt', cert: 'foreign.crt', key: 'foreign.key', qsen_port: system.ports.qsen });
      const server = await runCtl(['--profile', wrongCa, 'config'], { HOME: scratch.path });
      assert.equal(server.code, 3);
      assert.match(server.stderr, /the server certificate of qsen at localhost:\d+ is not trusted/);
    });

    it('nothing listening: connection refused', async () => {
      const port = await findFreePort();
      const profile = writeProfile('closed', { host: 'localhost', ca: join(system.home, 'pki/ca.crt'), cert: join(system.home, 'pki/clients/operator.crt'), key: join(system.home, 'pki/clients/operator.key'), qsen_port: port });
      const out = await runCtl(['--profile', profile, 'config'], { HOME: scratch.path });
      assert.equal(out.code, 3);
      assert.match(out.stderr, new RegExp(`connection refused by qsen at localhost:${port}`));
      // The kans say the window is open (local mode): a plain refusal, not QSEN_OUTSIDE_WINDOW.
      assert.doesNotMatch(out.stderr, /outside the trading window/);
    });
  });
});
