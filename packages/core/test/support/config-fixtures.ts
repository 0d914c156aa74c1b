/** The configuration fixtures (one per failure mode) and the assertions the config tests share. */
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/index.js';

/** Absolute path of a fixture under packages/core/test/fixtures/config. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/config/${name}`, import.meta.url));

/** The fixtures' folder (relative paths in them resolve against it). */
export const fixtureDir = dirname(fixture('minimal.toml'));

/** Every problem loadConfig reports for a fixture that must be refused. */
export function problemsOf(file: string): ReadonlyArray<{ path: string; message: string }> {
  try {
    loadConfig(fixture(file));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`${file} was accepted`);
}

/** Asserts that a fixture is refused with exactly one problem, at `path`, matching `message`. */
export function assertOneProblem(file: string, path: string, message: RegExp): void {
  const problems = problemsOf(file);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0]?.path, path);
  assert.match(problems[0]?.message ?? '', message);
}
