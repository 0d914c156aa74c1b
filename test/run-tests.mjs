#!/usr/bin/env node
// Runs every compiled test file of the repository with Node's test runner.
// Usage: node test/run-tests.mjs [--suite main|slow|production|all] [filter...]
//   main (default): unit and integration tests of every package plus test/ (not test/chaos,
//     not test/production).
//   slow: the long-running hardening suites under test/dist/chaos.
//   production: the production tier under test/dist/production (root; a Debian 12 container
//     with systemd, see docs/deployment.md), run with QSEN_TEST_CONCURRENCY=1.
//   filter: only files whose path contains one of the given substrings.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
let suite = 'main';
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--suite') suite = args[++i] ?? 'main';
  else filters.push(args[i]);
}

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (entry.endsWith('.test.js')) out.push(full);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'dist', 'test'), files);
collect(join(root, 'test', 'dist'), files);

const tierOf = (f) => {
  const path = relative(root, f);
  if (path.startsWith(join('test', 'dist', 'chaos'))) return 'slow';
  if (path.startsWith(join('test', 'dist', 'production'))) return 'production';
  return 'main';
};
const selected = files
  .filter((f) => suite === 'all' || tierOf(f) === suite)
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (selected.length === 0) {
  console.error(`run-tests: no test files found for suite '${suite}' (did the build run?)`);
  process.exit(1);
}

const concurrency = Number(process.env.QSEN_TEST_CONCURRENCY ?? Math.max(2, availableParallelism()));
const child = spawn(process.execPath, [
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-reporter=spec',
  ...selected.map((f) => relative(root, f)),
], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
