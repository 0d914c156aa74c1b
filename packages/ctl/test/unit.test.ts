// Pure parts of qsenctl: command line, profile resolution, status report, TLS explanations,
// tail selection, Prometheus parsing, progress rendering.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCa, issueClientCertificate } from '@qsen/pki';
import {
  buildStatusReport, chooseDownloadName, describeLastExit, CtlError, diagnoseClientCertificate, EXIT_CODES, explainTransportError, parseCommandLine,
  parsePrometheusText, renderProgress, renderStatusReport, resolveProfileTarget, resolveTarget, selectNewTail, createCtlError,
} from '../src/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

function usageOf(argv: string[]): CtlError {
  try {
    parseCommandLine(argv);
  } catch (err) {
    assert.ok(err instanceof CtlError);
    return err;
  }
  assert.fail(`expected a usage error for ${argv.join(' ')}`);
}

describe('command line', () => {
  it('parses every command with its options', () => {
    assert.deepEqual(parseCommandLine(['status', '--json']).command, { kind: 'status' });
    assert.equal(parseCommandLine(['status', '--json']).global.json, true);
    assert.deepEqual(parseCommandLine(['restart', 'kan', '2']).command, { kind: 'restart', target: 'kan', node: 2, via: undefined });
    assert.deepEqual(parseCommandLine(['restart', 'qsen', '--node', '1']).command, { kind: 'restart', target: 'qsen', via: 1 });
    assert.deepEqual(parseCommandLine(['logs', 'tail', 'qsen.log', '--lines', '5', '-f']).command,
      { kind: 'logs-tail', file: 'qsen.log', lines: 5, bytes: undefined, follow: true, intervalMs: 1000, via: 0 });
    assert.deepEqual(parseCommandLine(['logs', 'truncate', 'all', '--keep', '1024']).command, { kind: 'logs-truncate', file: 'all', keep: 1024, via: 0 });
    assert.deepEqual(parseCommandLine(['logs', 'get', 'all', '-o', 'x.tgz']).command, { kind: 'logs-get', file: 'all', output: 'x.tgz', via: 0 });
    assert.deepEqual(parseCommandLine(['metrics', 'kan', '2']).command, { kind: 'metrics', target: 'kan', node: 2, via: 2 });
    assert.deepEqual(parseCommandLine(['orders', 'list', '--date', '2026-11-20']).command, { kind: 'orders-list', date: '2026-11-20' });
    const send = parseCommandLine(['order', 'send', '--id', '9999000000000000001', '--instrument', 'AL30', '--side', 'buy', '--quantity', '1000',
      '--price', '1234.50', '--currency', 'ARS', '--settlement', 'T1', '--counterparty', '210']).command;
    assert.equal(send.kind, 'order-send');
    if (send.kind === 'order-send') assert.equal(send.order.id, '9999000000000000001');
    assert.deepEqual(parseCommandLine(['order', 'cancel', '9999000000000000001']).command, { kind: 'order-cancel', id: '9999000000000000001' });
  });

  it('refuses wrong command lines with exit code 2', () => {
    for (const argv of [[], ['frobnicate'], ['restart', 'kan', '3'], ['logs', 'truncate', 'all'], ['status', '--keep', '1'], ['orders', 'list', '--date', 'today'],
      ['logs', 'tail', 'a', '--lines', '1', '--bytes', '2'], ['order', 'send', '--id', '1'], ['--bogus'],
      ['order', 'cancel'], ['order', 'cancel', '1', '2'], ['order', 'cancel', '1', '--id', '1'], ['order', 'void', '1']]) {
      const err = usageOf(argv);
      assert.equal(err.kind, 'usage', argv.join(' '));
      assert.equal(err.exitCode, EXIT_CODES.usage);
    }
  });
});

describe('profile resolution', () => {
  it('reads a profile with paths relative to its folder and --as identities', () => {
    const file = fixture('profiles/remote.toml');
    const dir = file.slice(0, file.lastIndexOf('/'));
    const t = resolveProfileTarget(file, {});
    assert.equal(t.host, 'qsen.example.net');
    assert.equal(t.qsenPort, 9443);
    assert.deepEqual(t.kanPorts, [9444, 9445, 9446]);
    assert.equal(t.caFile, `${dir}/pki/ca.crt`);
    assert.equal(t.certFile, `${dir}/pki/operator.crt`);
    const auditor = resolveProfileTarget(file, { as: 'auditor', host: 'other' });
    assert.equal(auditor.certFile, '/abs/auditor.crt');
    assert.equal(auditor.keyFile, `${dir}/pki/auditor.key`);
    assert.equal(auditor.host, 'other');
  });

  it('reports profile problems with exit code 4', () => {
    for (const [name, pattern] of [['profiles/unknown-key.toml', /unknown key 'colour'/], ['profiles/bad-port.toml', /kan_ports must list three ports/], ['profiles/missing.toml', /cannot read/]] as const) {
      assert.throws(() => resolveProfileTarget(fixture(name), {}), (err: unknown) => err instanceof CtlError && err.exitCode === EXIT_CODES.config && pattern.test(err.message));
    }
    assert.throws(() => resolveProfileTarget(fixture('profiles/remote.toml'), { as: 'platform' }), /no \[identities\.platform\]/);
    assert.throws(() => resolveTarget({ cwd: '/', home: '/nonexistent-home' }), (err: unknown) => err instanceof CtlError && err.code === 'PROFILE_NOT_FOUND');
  });
});

describe('status report', () => {
  const refused = { ok: false as const, error: createCtlError('CONNECTION_REFUSED', 'connection refused by qsen') };
  const kan = (index: number, pid: number) => ({
    ok: true as const,
    value: {
      node: { index, pid, uptimeSeconds: 3700 },
      targets: [{ name: 'qsen', verdict: 'dead', pid: null, backoff: { crashLoop: index === 0 } }],
      restartHistory: { qsen: { events: [{ action: 'restart' }, { action: 'start' }, { action: 'restart' }] } },
      schedule: { window: { open: false, reason: 'weekend', nextChangeAt: Date.UTC(2026, 10, 23, 13, 30) } },
      certificates: { server: { daysLeft: 12 } },
      tls: { crlNumber: index === 1 ? 6 : 7 },
    },
  });

  it('shows qsen stopped outside the window, with restarts and crash loop from the kans', () => {
    const report = buildStatusReport({ qsenPort: 8443, kanPorts: [8444, 8445, 8446], qsen: refused, qsenCerts: refused, kans: [kan(0, 10), kan(1, 11), refused] });
    const [q, k0, , k2] = report.nodes;
    assert.equal(q?.health, 'stopped (outside the trading window)');
    assert.equal(q?.restarts, 2);
    assert.equal(q?.crashLoop, true);
    assert.equal(q?.window, 'closed (weekend)');
    assert.equal(report.window.nextChangeAt, '2026-11-23T13:30:00.000Z');
    assert.equal(k0?.pid, 10);
    assert.equal(k0?.certDaysLeft, 12);
    assert.equal(k2?.health, 'down (CONNECTION_REFUSED)');
    const text = renderStatusReport({ ...report, client: null });
    assert.match(text, /^NODE +PORT +HEALTH +PID +UPTIME +RESTARTS +WINDOW +HALTED +CERT DAYS +CRL$/m);
    assert.match(text, /^qsen +8443 +stopped \(outside the trading window\) +- +- +2 \(crash loop\) +closed \(weekend\)/m);
    assert.match(text, /^kan 0 +8444 +up +10 +1h 1m/m);
    // Each node's CRL number; a node behind the others is marked.
    assert.deepEqual(report.nodes.map((n) => n.crlNumber), [null, 7, 6, null]);
    assert.match(text, /^kan 0 +8444 .* 12 +7$/m);
    assert.match(text, /^kan 1 +8445 .* 12 +6 \(behind\)$/m);
    // A kan without the zone fields (an older node): the UTC instant alone.
    assert.match(text, /^trading window: opens at 2026-11-23T13:30:00.000Z$/m);
    assert.match(text, /^qsen is stopped outside the trading window by design .*; it opens at 2026-11-23T13:30:00.000Z$/m);
  });

  it("tells the window's next change on the zone's clock, and a window open all day as such", () => {
    const zoned = (schedule: Record<string, unknown>) => ({ ok: true as const, value: { node: { index: 0, pid: 1, uptimeSeconds: 1 }, targets: [], restartHistory: {}, schedule } });
    const closed = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen: refused, qsenCerts: refused, kans: [zoned({
      window: { open: false, reason: 'after_stop', nextChangeAt: Date.UTC(2026, 11, 2, 13, 0) },
      timezone: 'America/Argentina/Buenos_Aires', continuous: false, nextChangeLocal: '2026-12-02 10:00 -03:00 (13:00Z)',
    }), refused, refused] });
    assert.equal(closed.window.timezone, 'America/Argentina/Buenos_Aires');
    assert.match(renderStatusReport({ ...closed, client: null }), /^trading window: opens at 2026-12-02 10:00 -03:00 \(13:00Z\)$/m);
    const allDay = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen: refused, qsenCerts: refused, kans: [zoned({
      window: { open: true, reason: 'open', nextChangeAt: Date.UTC(2028, 0, 5) },
      timezone: 'America/Argentina/Buenos_Aires', continuous: true, nextChangeLocal: null,
    }), refused, refused] });
    assert.equal(allDay.window.nextChangeAt, null);
    const text = renderStatusReport({ ...allDay, client: null });
    assert.match(text, /^trading window: open all day, every day \(America\/Argentina\/Buenos_Aires\)$/m);
    assert.doesNotMatch(text, /2028/);
  });

  it("shows the last exit of a crash-looping node: code, time on the zone's clock, the explaining line", () => {
    const view = {
      ok: true as const,
      value: {
        node: { index: 1, pid: 11, uptimeSeconds: 60 },
        targets: [{ name: 'kan0', verdict: 'exited', pid: null, backoff: { crashLoop: true },
          lastExit: { code: 2, signal: null, at: '2026-12-01T13:00:05.000Z', line: 'kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444' } }],
        restartHistory: { kan0: { events: [{ action: 'restart' }, { action: 'restart' }, { action: 'restart' }] } },
        schedule: { window: { open: true, reason: 'open', nextChangeAt: 0 }, timezone: 'America/Argentina/Buenos_Aires', continuous: true },
      },
    };
    const report = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen: refused, qsenCerts: refused, kans: [refused, view, refused] });
    assert.deepEqual(report.nodes[1]?.lastExit, { code: 2, signal: null, at: '2026-12-01T13:00:05.000Z', line: 'kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444' });
    assert.match(renderStatusReport({ ...report, client: null }),
      /^kan 0 last exit: code 2 at 2026-12-01 10:00 -03:00 \(13:00Z\): kan: cannot listen: listen EADDRINUSE: address already in use 127\.0\.0\.1:8444$/m);
    assert.equal(describeLastExit({ code: null, signal: 'SIGKILL', at: '2026-12-01T13:00:05.000Z', line: null }, null), 'signal SIGKILL at 2026-12-01T13:00:05.000Z');
  });

  it("shows the dead man's switch and the mass cancel from qsen's status, and neither when they are off or absent", () => {
    const qsenAnswer = (extra: Record<string, unknown>) => ({ ok: true as const, value: { pid: 7, uptimeSeconds: 5, halted: true, window: { open: true, reason: 'open' }, ...extra } });
    const on = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen: qsenAnswer({
      deadman: { enabled: true, state: 'armed', intervalSeconds: 30, cancelOpen: true, secondsLeft: 12 },
      massCancel: { run: 'mc-1', state: 'running', total: 4, pending: 1, cancelled: ['9223372036854775001'], alreadyMatched: ['9223372036854775002'], notOpen: [], failed: [{ id: '9223372036854775003', code: 'UPSTREAM_TIMEOUT' }] },
    }), qsenCerts: refused, kans: [refused, refused, refused] });
    const text = renderStatusReport({ ...on, client: null });
    assert.match(text, /^dead man's switch: armed, 12 s left \(a trip also cancels resting orders\)$/m);
    assert.match(text, /^mass cancel mc-1 running: cancelled 1, already matched 1, not open 0, failed 1, pending 1$/m);
    assert.equal(on.massCancel?.['run'], 'mc-1', 'the JSON form keeps the whole record');
    const off = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen: qsenAnswer({ deadman: { enabled: false, state: 'off' }, massCancel: null }), qsenCerts: refused, kans: [refused, refused, refused] });
    assert.equal(off.deadman, null);
    assert.equal(off.massCancel, null);
    assert.doesNotMatch(renderStatusReport({ ...off, client: null }), /dead man|mass cancel/);
  });

  it('tells a node that refused this certificate apart from one that is down', () => {
    const certRefused = { ok: false as const, error: createCtlError('CLIENT_CERTIFICATE_REFUSED', 'qsen at localhost:1: the server refused this certificate') };
    const report = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen: certRefused, qsenCerts: certRefused, kans: [kan(0, 10), certRefused, refused] });
    // The kans say the window is closed, yet qsen ran the handshake: it is up and refused us.
    assert.equal(report.nodes[0]?.health, 'refused my certificate');
    assert.equal(report.nodes[2]?.health, 'refused my certificate');
    assert.equal(report.nodes[3]?.health, 'down (CONNECTION_REFUSED)');
  });

  it('shows qsen up and halted from its own status', () => {
    const qsen = { ok: true as const, value: { pid: 42, uptimeSeconds: 5, halted: true, reconciling: false, window: { open: true, reason: 'open', nextChangeAt: '2026-11-23T20:30:00.000Z' }, tls: { crlNumber: 7 } } };
    const certs = { ok: true as const, value: { server: { daysLeft: 800 } } };
    const report = buildStatusReport({ qsenPort: 1, kanPorts: [2, 3, 4], qsen, qsenCerts: certs, kans: [kan(0, 10), kan(1, 11), kan(2, 12)] });
    assert.equal(report.halted, true);
    assert.equal(report.nodes[0]?.health, 'up');
    assert.equal(report.nodes[0]?.pid, 42);
    assert.equal(report.nodes[0]?.certDaysLeft, 800);
    assert.match(renderStatusReport({ ...report, client: null }), /^qsen +1 +up +42 +5s +2 \(crash loop\) +open +HALTED +800 +7$/m);
  });
});

describe('TLS explanations', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const ca = createCa({ commonName: 'Test CA', now: new Date('2026-01-01T00:00:00Z') });
  const otherCa = createCa({ commonName: 'Other CA', now: new Date('2026-01-01T00:00:00Z') });
  const good = issueClientCertificate(ca, { commonName: 'op', ou: 'operator', now: new Date('2026-01-01T00:00:00Z') });
  const expired = issueClientCertificate(ca, { commonName: 'op', ou: 'operator', notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2026-10-01T00:00:00Z') });
  const foreign = issueClientCertificate(otherCa, { commonName: 'op', ou: 'operator', now: new Date('2026-01-01T00:00:00Z') });
  const ctx = (certPem: string, extra: { handshakeDone?: boolean } = {}) => ({
    host: 'localhost', port: 8443, node: 'qsen', caFile: '/x/ca.crt', certFile: '/x/op.crt', caPem: Buffer.from(ca.certPem), certPem: Buffer.from(certPem), handshakeDone: extra.handshakeDone ?? true, now,
  });
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

  it('reads why the local certificate is refused', () => {
    assert.equal(diagnoseClientCertificate(Buffer.from(good.certPem), Buffer.from(ca.certPem), '/x/ca.crt', now), undefined);
    assert.equal(diagnoseClientCertificate(Buffer.from(expired.certPem), Buffer.from(ca.certPem), '/x/ca.crt', now), 'it expired on 2026-10-01');
    assert.equal(diagnoseClientCertificate(Buffer.from(foreign.certPem), Buffer.from(ca.certPem), '/x/ca.crt', now), 'this certificate is not trusted by the CA at /x/ca.crt');
  });

  it('words every transport failure and maps it to exit code 3', () => {
    const cases: Array<[unknown, ReturnType<typeof ctx>, string, RegExp]> = [
      [reset, ctx(expired.certPem), 'CLIENT_CERTIFICATE_REFUSED', /the server refused this certificate \(\/x\/op\.crt\): it expired on 2026-10-01/],
      [reset, ctx(foreign.certPem), 'CLIENT_CERTIFICATE_REFUSED', /this certificate is not trusted by the CA at \/x\/ca\.crt/],
      [reset, ctx(good.certPem), 'CLIENT_CERTIFICATE_REFUSED', /may be revoked/],
      [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), ctx(good.certPem, { handshakeDone: false }), 'CONNECTION_REFUSED', /connection refused by qsen at localhost:8443/],
      [Object.assign(new Error('x'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), ctx(good.certPem, { handshakeDone: false }), 'SERVER_CERTIFICATE_UNTRUSTED', /not trusted by the CA at \/x\/ca\.crt/],
      [Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), ctx(good.certPem, { handshakeDone: false }), 'SERVER_CERTIFICATE_UNTRUSTED', /not issued for the host name 'localhost'/],
    ];
    const eproto = (message: string) => Object.assign(new Error(message), { code: 'EPROTO' });
    cases.push(
      [eproto('write EPROTO 4097:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 48'),
        ctx(good.certPem, { handshakeDone: false }), 'CLIENT_CERTIFICATE_REFUSED', /may be revoked/],
      [eproto('write EPROTO 4097:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'),
        ctx(good.certPem, { handshakeDone: false }), 'CONNECTION_FAILED', /does not speak TLS .*another program holding port 8443/],
    );
    for (const [err, context, code, pattern] of cases) {
      const explained = explainTransportError(err, context);
      assert.equal(explained.code, code);
      assert.equal(explained.exitCode, EXIT_CODES.connection);
      assert.match(explained.message, pattern);
    }
  });
});

describe('small pieces', () => {
  it('selects only the new part of a followed tail', () => {
    const body = Buffer.from('b\nc\n');
    assert.equal(selectNewTail(body, 10, 14, undefined).text.toString(), 'b\nc\n');
    assert.equal(selectNewTail(body, 10, 14, 12).text.toString(), 'c\n');
    assert.equal(selectNewTail(body, 10, 14, 14).text.length, 0);
    assert.equal(selectNewTail(body, 10, 14, 8).text.toString(), 'b\nc\n');
    assert.deepEqual(selectNewTail(body, 0, 4, 100).reset, true);
  });

  it('names downloads after -o, the server, or the log', () => {
    assert.equal(chooseDownloadName('all', 'attachment; filename="qsen-logs-x.tar.gz"', undefined), 'qsen-logs-x.tar.gz');
    assert.equal(chooseDownloadName('qsen.log', undefined, undefined), 'qsen.log');
    assert.equal(chooseDownloadName('qsen.log', 'attachment; filename="qsen.log"', 'out.txt'), 'out.txt');
  });

  it('parses Prometheus text into families with exact values', () => {
    const families = parsePrometheusText([
      '# HELP kan_target_up 1 when up', '# TYPE kan_target_up gauge', 'kan_target_up{target="qsen"} 1',
      '# TYPE d histogram', 'd_bucket{le="0.1"} 3', 'd_bucket{le="+Inf"} 4', 'd_sum 0.25', 'd_count 4', '',
    ].join('\n'));
    assert.deepEqual(families.map((f) => [f.name, f.type, f.samples.length]), [['kan_target_up', 'gauge', 1], ['d', 'histogram', 4]]);
    assert.deepEqual(families[0]?.samples[0], { name: 'kan_target_up', labels: { target: 'qsen' }, value: '1' });
    assert.equal(families[1]?.samples[1]?.labels['le'], '+Inf');
  });

  it('renders a progress bar with percent and sizes', () => {
    assert.equal(renderProgress('x', 512, 1024, 10), 'x [#####.....]  50% 512 B / 1.0 KiB');
    assert.equal(renderProgress('x', 2048, undefined), 'x 2.0 KiB');
  });
});

describe('help per command and completion', () => {
  it('every command of the usage text has help with examples, and completion offers it', async () => {
    const { COMMAND_TOPICS, commandHelp } = await import('../src/cli/help.js');
    const { renderCompletion } = await import('../src/cli/completion.js');
    const { USAGE } = await import('../src/cli/parse.js');
    const listed = new Set([...USAGE.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1] ?? '').filter((w) => w !== 'help'));
    for (const name of listed) assert.ok(name in COMMAND_TOPICS, `${name} has help`);
    for (const name of Object.keys(COMMAND_TOPICS)) assert.match(USAGE, new RegExp(`^ {2}(.*\\| )?${name}\\b`, 'm'), `${name} is in the usage text`);
    const bash = renderCompletion('bash');
    for (const name of Object.keys(COMMAND_TOPICS)) {
      assert.match(commandHelp(name), /^Examples:\n {2}\S/m, name);
      assert.ok(bash.includes(`    ${name}) subs=`), name);
    }
    assert.throws(() => commandHelp('nope'), (err: unknown) => err instanceof CtlError && err.code === 'USAGE');
    assert.deepEqual(parseCommandLine(['logs', '--help']).command, { kind: 'help', topic: 'logs' });
    assert.deepEqual(parseCommandLine(['help', 'risk']).command, { kind: 'help', topic: 'risk' });
    assert.deepEqual(parseCommandLine(['completion', 'zsh']).command, { kind: 'completion', shell: 'zsh' });
    assert.throws(() => parseCommandLine(['completion', 'fish']), (err: unknown) => err instanceof CtlError && err.exitCode === EXIT_CODES.usage);
  });
});
