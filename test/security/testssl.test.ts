/**
 * testssl.sh (Debian package `testssl.sh`, binary `testssl`) against each of the four ports of the
 * system started as `npm start` starts it: no finding rated NOT ok (HIGH or CRITICAL), no
 * vulnerability, TLS 1.2 and 1.3 only. The verdict lines are printed into the test output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findTool, requireTool } from '@qsen/testkit';
import { NODE_NAMES, startSystem, type LocalSystem, type NodeName } from '../support/index.js';

const run = promisify(execFile);

interface Finding { id: string; severity: string; finding: string }

let system: LocalSystem | undefined;

before(async () => {
  if (findTool('testssl') === undefined) return;
  system = await startSystem({ prefix: 'qsen-testssl-' });
});

after(async () => {
  await system?.stop();
});

/** Lines of testssl's report that carry a verdict. */
function verdictLines(output: string): string[] {
  return output.split('\n').filter((line) => /\(OK\)|NOT ok|VULNERABLE|not vulnerable|offered|not offered/i.test(line)).map((line) => line.trimEnd());
}

test('testssl on qsen and the three kans: TLS 1.2+ only, no NOT ok finding, no vulnerability', { timeout: 600_000 }, async (t) => {
  const testssl = requireTool('testssl', 'testssl.sh');
  if (typeof testssl !== 'string') return t.skip(testssl.skip);
  assert.ok(system);
  const running = system;
  const help = await run(testssl, ['--help'], { maxBuffer: 8 << 20 }).then((r) => r.stdout, (err: { stdout?: string }) => err.stdout ?? '');
  // Debian's testssl 3.0 has no --mtls; it scans from loopback, where the TLS layer completes a
  // handshake without a client certificate (the loopback exemption), so every TLS property is seen.
  const identityFile = join(running.home, 'testssl-client.pem');
  writeFileSync(identityFile, `${String(running.identity('platform').cert)}${String(running.identity('platform').key)}`, { mode: 0o600 });
  const mtls = help.includes('--mtls') ? ['--mtls', identityFile] : [];
  const scan = async (node: NodeName): Promise<{ node: NodeName; findings: Finding[]; output: string }> => {
    const json = join(running.home, `testssl-${node}.json`);
    const args = ['--quiet', '--color', '0', '--warnings', 'off', '--sneaky', '--ip', '127.0.0.1', '--add-ca', join(running.home, 'pki/ca.crt'),
      ...mtls, '-p', '-s', '-f', '-U', '--jsonfile', json, `localhost:${running.portOf(node)}`];
    const { stdout } = await run(testssl, args, { maxBuffer: 32 << 20, timeout: 540_000 }).catch((err: { stdout?: string; code?: number }) => {
      // testssl exits non-zero when it has findings; the JSON decides.
      return { stdout: err.stdout ?? '' };
    });
    return { node, findings: JSON.parse(readFileSync(json, 'utf8')) as Finding[], output: stdout };
  };
  const results = await Promise.all(NODE_NAMES.map(scan));
  for (const { node, findings, output } of results) {
    console.log(`\n--- testssl verdicts for ${node} (port ${running.portOf(node)}) ${mtls.length ? 'with --mtls' : 'from loopback without a client certificate'} ---`);
    for (const line of verdictLines(output)) console.log(line);
    assert.ok(findings.length > 20, `${node}: testssl produced its findings`);
    const bad = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL' || f.severity === 'MEDIUM' || f.severity === 'FATAL');
    assert.deepEqual(bad, [], `${node}: no NOT ok finding`);
    assert.doesNotMatch(output, /NOT ok/);
    assert.doesNotMatch(output.replace(/not vulnerable/gi, ''), /VULNERABLE/i, `${node}: no vulnerability`);
    const byId = new Map(findings.map((f) => [f.id, f.finding]));
    for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.match(byId.get(id) ?? '', /not offered/i, `${node}: ${id}`);
    assert.match(byId.get('TLS1_2') ?? '', /^offered/i, `${node}: TLS 1.2`);
    assert.match(byId.get('TLS1_3') ?? '', /offered/i, `${node}: TLS 1.3`);
    assert.doesNotMatch(byId.get('TLS1_3') ?? '', /not offered/i, `${node}: TLS 1.3`);
  }
});
