// The kan's Node.js flags are declared once (KAN_NODE_FLAGS, passed by the launcher's kan spec);
// systemd's kan@.service must pass the same ones in its ExecStart (NODE_OPTIONS refuses
// --lite-mode), and Node must accept them without a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KAN_NODE_FLAGS } from '../src/node-flags.js';

test('kan@.service passes exactly KAN_NODE_FLAGS to node in its ExecStart, and none in NODE_OPTIONS', () => {
  const unit = readFileSync(new URL('../../../../systemd/kan@.service', import.meta.url), 'utf8');
  const lines = unit.split('\n').filter((l) => l.startsWith('ExecStart='));
  assert.equal(lines.length, 1, 'one ExecStart line');
  const words = (lines[0] ?? '').slice('ExecStart='.length).split(/\s+/);
  const script = words.findIndex((w) => w.endsWith('/packages/kan/dist/src/main.js'));
  assert.ok(words[0]?.endsWith('/node') && script > 0, lines[0]);
  assert.deepEqual(words.slice(1, script), [...KAN_NODE_FLAGS]);
  assert.doesNotMatch(unit, /^Environment=NODE_OPTIONS=/m, 'the flags are given once');
});

test('NODE_OPTIONS refuses --lite-mode (why the unit gives the flags in ExecStart)', () => {
  const run = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '--lite-mode' } });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /--lite-mode is not allowed in NODE_OPTIONS/);
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
