// The kan's Node.js flags are declared once (KAN_NODE_FLAGS, passed by the launcher's kan spec);
// systemd's kan@.service must set the same ones, and Node must accept them without a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KAN_NODE_FLAGS } from '../src/node-flags.js';

test('kan@.service sets exactly KAN_NODE_FLAGS in NODE_OPTIONS', () => {
  const unit = readFileSync(new URL('../../../../systemd/kan@.service', import.meta.url), 'utf8');
  const lines = unit.split('\n').filter((l) => l.startsWith('Environment=NODE_OPTIONS='));
  assert.equal(lines.length, 1, 'one NODE_OPTIONS line');
  const value = (lines[0] ?? '').slice('Environment=NODE_OPTIONS='.length).replace(/^"(.*)"$/, '$1');
  assert.deepEqual(value.split(/\s+/), [...KAN_NODE_FLAGS]);
});

test('Node starts with KAN_NODE_FLAGS, silently, with lite mode in force', () => {
  const run = spawnSync(process.execPath, [...KAN_NODE_FLAGS, '-e', 'process.stdout.write(String(typeof WebAssembly))'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '', 'no warning on stderr');
  assert.equal(run.stdout, 'undefined', 'lite mode (jitless) is in force: WebAssembly is off');
});
