/**
 * The configuration validator's packages (zod, @iarna/toml) load through CommonJS on the first
 * validation and can be let go (src/config/validator.ts; a kan does it after its start,
 * docs/kan.md "Memory"): once released nothing refers to them and the garbage collector takes
 * them, and a later validation loads them again with the same answers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ConfigError, loadConfig } from '../src/index.js';
import { CONFIG_VALIDATOR_PACKAGES, releaseConfigValidator } from '../src/config/load-entry.js';
import { fixture } from './support/config-fixtures.js';

const cache = createRequire(import.meta.url).cache;
const validatorFiles = (): string[] => Object.keys(cache).filter((file) => CONFIG_VALIDATOR_PACKAGES.some((name) => file.includes(`/node_modules/${name}/`)));
const problemsOf = (file: string): unknown => {
  try {
    loadConfig(fixture(file));
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return assert.fail(`${file} was accepted`);
};

describe('the configuration validator, released', () => {
  test('a release drops zod and @iarna/toml from the module cache and zod\'s globals; the next validation loads them again and answers the same', () => {
    const first = loadConfig(fixture('good-full.toml'));
    const refusedFirst = problemsOf('several-problems.toml');
    const loaded = validatorFiles();
    for (const name of CONFIG_VALIDATOR_PACKAGES) assert.ok(loaded.some((file) => file.includes(`/node_modules/${name}/`)), `${name} is loaded through require() (${loaded.length} files)`);
    assert.ok('__zod_globalConfig' in globalThis && '__zod_globalRegistry' in globalThis);

    releaseConfigValidator();
    assert.deepEqual(validatorFiles(), []);
    assert.ok(!('__zod_globalConfig' in globalThis) && !('__zod_globalRegistry' in globalThis), "zod's globals are gone");
    releaseConfigValidator(); // twice is harmless

    assert.deepEqual(loadConfig(fixture('good-full.toml')), first);
    assert.deepEqual(problemsOf('several-problems.toml'), refusedFirst, 'the same problems, with the same messages');
    assert.ok(validatorFiles().length > 0, 'loaded again');
  });

  test('once released, the garbage collector takes every module of zod and of the TOML parser (nothing else refers to them)', () => {
    const load = new URL('../src/config/load-entry.js', import.meta.url).href;
    const conf = fixture('good-full.toml');
    // In a process of its own, with --expose-gc: a WeakRef to the exports of every module of the two packages.
    const script = `
      import { createRequire } from 'node:module';
      import { loadConfig, releaseConfigValidator } from '${load}';
      const config = loadConfig(${JSON.stringify(conf)});
      const require = createRequire(import.meta.url);
      const ours = (file) => file.includes('/node_modules/zod/') || file.includes('/node_modules/@iarna/toml/');
      const refs = Object.entries(require.cache).filter(([file]) => ours(file)).map(([file, m]) => [file.slice(file.lastIndexOf('node_modules/') + 13), new WeakRef(m.exports)]);
      const alive = () => refs.filter(([, ref]) => ref.deref() !== undefined).map(([file]) => file);
      const collect = async () => { await new Promise((resolve) => setTimeout(resolve, 10)); globalThis.gc(); globalThis.gc(); };
      await collect();
      const before = alive();
      releaseConfigValidator();
      await collect();
      console.log(JSON.stringify({ port: config.server.qsen_port, modules: refs.length, before: before.length, after: alive() }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' })) as { port: unknown; modules: number; before: number; after: string[] };
    assert.equal(typeof out.port, 'number', 'the configuration was read');
    assert.ok(out.modules > 50, `zod's and the parser's modules were loaded through require() (${out.modules})`);
    assert.equal(out.before, out.modules, 'all of them live until released (the WeakRefs see live modules)');
    assert.deepEqual(out.after, [], 'none left once released');
  });
});
