// qsenctl audit: the command line, the table rows, the verify report in words, NDJSON splitting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditRow, CtlError, describeVerifyReport, EXIT_CODES, parseCommandLine, splitLines } from '../src/index.js';

describe('qsenctl audit', () => {
  it('parses audit and audit verify with their options only', () => {
    assert.deepEqual(parseCommandLine(['audit', '--from', '2026-11-24', '--action', 'halt,resume', '--subject', 'CN=ops', '--id', 'r-1', '--limit', '50', '--node', '2']).command, {
      kind: 'audit', filters: { from: '2026-11-24', to: undefined, action: 'halt,resume', subject: 'CN=ops', id: 'r-1', limit: 50 }, via: 2,
    });
    assert.deepEqual(parseCommandLine(['audit', 'verify', '--chain', 'qsen']).command, { kind: 'audit-verify', chain: 'qsen', via: 0 });
    assert.deepEqual(parseCommandLine(['resume', '--reason', 'drill over']).command, { kind: 'resume', reason: 'drill over' });
    for (const argv of [['audit', 'verify', '--from', 'x'], ['audit', '--chain', 'qsen'], ['audit', 'extra'], ['audit', '--limit', '0'], ['audit', '--keep', '1']]) {
      assert.throws(() => parseCommandLine(argv), (err: unknown) => err instanceof CtlError && err.exitCode === EXIT_CODES.usage, argv.join(' '));
    }
  });

  it('renders an entry as one row: time, chain, action, outcome, code, subject, id, details', () => {
    assert.deepEqual(auditRow({ timestamp: '2026-11-24T14:00:00.000Z', chain: 'qsen', action: 'sendOrder', subject: 'CN=quantex,OU=platform', outcome: 'replayed', details: { orderId: '9999000000000000001', originalTime: '2026-11-24T13:00:00.000Z' } }),
      ['2026-11-24T14:00:00.000Z', 'qsen', 'sendOrder', 'replayed', '', 'CN=quantex,OU=platform', '9999000000000000001', 'original=2026-11-24T13:00:00.000Z']);
    assert.deepEqual(auditRow({ timestamp: 't', chain: 'qsen-admin', action: 'halt', subject: 'local:qsen', outcome: 'done', details: { channel: 'local', reason: 'drill' } }).slice(2),
      ['halt', 'done', '', 'local:qsen', '', 'reason=drill channel=local']);
    assert.equal(auditRow({ action: 'sendOrder', outcome: 'refused', code: 'HALTED' })[4], 'HALTED');
  });

  it('says where a chain breaks, in words', () => {
    const text = describeVerifyReport({ ok: false, chains: [
      { chain: 'kan0', ok: true, lines: 3, files: ['a'], head: { file: 'audit-kan0-2026-11-24.log', line: 3, hash: 'ab'.repeat(32) }, torn: [], incomplete: null, anchor: { genesis: true } },
      { chain: 'qsen', ok: false, lines: 2, files: ['b'], firstBreak: { kind: 'prev_mismatch', file: 'audit-qsen-2026-11-24.log', line: 4, expected: 'e'.repeat(64), found: 'f'.repeat(64) }, torn: [{ file: 'audit-qsen-2026-11-24.log', line: 2, bytes: 10 }], incomplete: null, anchor: null },
    ] });
    assert.match(text, /^kan0: ok, 3 lines in 1 files; head (ab){32} \(audit-kan0-2026-11-24\.log:3\)$/m);
    assert.match(text, /^qsen: BROKEN at audit-qsen-2026-11-24\.log:4 \(prev_mismatch\): expected e{64}, found f{64}$/m);
    assert.match(text, /^qsen: torn line \(crash leftover, recorded\) at audit-qsen-2026-11-24\.log:2, 10 bytes$/m);
  });

  it('splits streamed NDJSON into whole lines, keeping the unfinished rest', () => {
    assert.deepEqual(splitLines('{"a":1}\n{"b":2}\n{"c"'), { lines: ['{"a":1}', '{"b":2}'], rest: '{"c"' });
    assert.deepEqual(splitLines(''), { lines: [], rest: '' });
  });
});
