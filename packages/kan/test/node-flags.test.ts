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

test('Node starts with KAN_NODE_FLAGS silently, with the young generation they set', () => {
  // Short-lived garbage makes V8 grow the young generation as far as it may.
  const script = "let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 2e5) keep = []; }"
    + " process.stdout.write(String(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size))";
  const run = spawnSync(process.execPath, [...KAN_NODE_FLAGS, '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '', 'no warning on stderr');
  // --max-semi-space-size=1: two 1 MiB semi-spaces at most (without it they grow to 16 MiB each).
  assert.ok(Number(run.stdout) <= 2 * 1024 * 1024, `new space ${run.stdout} bytes`);
});
