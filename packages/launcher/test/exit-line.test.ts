import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendToTail, EXIT_LINE_MAX_CHARS, pickExitLine, STDERR_LINES_KEPT } from '../src/supervise/exit-line.js';

describe('the line that explains an exit', () => {
  it('is the last failure line, not a stack frame nor a trailing note', () => {
    assert.equal(pickExitLine([
      'kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444',
      '    at Server.setupListenHandle (node:net:1817:16)',
      'bye',
    ]), 'kan: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:8444');
    // A header that announces its problems takes the first one along.
    assert.equal(pickExitLine(['qsen: invalid configuration /h/conf.toml (2 problems):', '  schedule.stop: must be after schedule.start', '  senebi.colour: unknown key']),
      'qsen: invalid configuration /h/conf.toml (2 problems): schedule.stop: must be after schedule.start');
  });

  it('is the last line when none reads as a failure, null without stderr, and bounded', () => {
    assert.equal(pickExitLine(['starting', 'leaving now']), 'leaving now');
    assert.equal(pickExitLine([]), null);
    assert.equal(pickExitLine(['   ']), null);
    const long = pickExitLine([`error: ${'x'.repeat(1000)}`]);
    assert.equal(long?.length, EXIT_LINE_MAX_CHARS);
  });

  it('keeps a bounded tail', () => {
    let tail: string[] = [];
    for (let i = 0; i < STDERR_LINES_KEPT + 5; i++) tail = appendToTail(tail, `line ${i}`);
    assert.equal(tail.length, STDERR_LINES_KEPT);
    assert.equal(tail[0], 'line 5');
  });
});
