// loadConfigOffThread (src/config/off-thread.ts) against loadConfig on the configuration
// fixtures: the same frozen configuration for a good file, the same ConfigError (file and every
// problem, in order) for a bad one, and the caller's thread never loads the validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fixture, fixtureDir } from './support/config-fixtures.js';
import { ConfigError, loadConfigOffThread, settleConfigResult, type QsenConfig } from '../src/config/index.js';
import { loadConfig } from '../src/config/load-entry.js';

type Outcome = { config: QsenConfig } | { file: string; problems: unknown } | { message: string };

function outcomeOf(read: () => QsenConfig): Outcome {
  try {
    return { config: read() };
  } catch (err) {
    return err instanceof ConfigError ? { file: err.file, problems: err.problems } : { message: String(err) };
  }
}

async function offThreadOutcome(file: string): Promise<Outcome> {
  try {
    const config = await loadConfigOffThread(file);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.schedule) && Object.isFrozen(config.server.kan_ports), 'frozen all the way down');
    return { config };
  } catch (err) {
    return err instanceof ConfigError ? { file: err.file, problems: err.problems } : { message: String(err) };
  }
}

// Every accepted fixture and a spread of refused ones (one worker each, so not all 40-odd).
const all = readdirSync(fixtureDir).filter((name) => name.endsWith('.toml')).sort();
const fixtures = all.filter((name, i) => name.startsWith('good') || name === 'minimal.toml' || name.endsWith('-good.toml') || name === 'several-problems.toml' || name === 'not-toml.toml' || i % 6 === 0);

test('fixtures: off the thread gives what loadConfig gives (config or every problem)', { timeout: 120_000 }, async () => {
  assert.ok(all.length >= 20, `fixtures found: ${all.length}`);
  let good = 0;
  for (const name of fixtures) {
    const expected = outcomeOf(() => loadConfig(fixture(name)));
    if ('config' in expected) good++;
    assert.deepEqual(await offThreadOutcome(fixture(name)), expected, name);
  }
  assert.ok(good >= 2 && good < fixtures.length, `both good and bad fixtures were compared (${good} good)`);
});

test('a missing file is the same ConfigError as with loadConfig', async () => {
  const missing = fixture('no-such-file.toml');
  await assert.rejects(loadConfigOffThread(missing), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems, [{ path: '', message: `file not found: ${missing}` }]);
    return true;
  });
});

test('checkFiles: false reaches the worker', async () => {
  const expected = outcomeOf(() => loadConfig(fixture('missing-senebi-ca.toml'), { checkFiles: false }));
  assert.ok('config' in expected, 'the fixture is accepted when files are not checked');
  const config = await loadConfigOffThread(fixture('missing-senebi-ca.toml'), { checkFiles: false });
  assert.deepEqual(config, expected.config);
});

test('settleConfigResult: a plain error from the worker is rethrown with its message', () => {
  assert.throws(() => settleConfigResult({ ok: false, message: 'EACCES somewhere' }), { message: 'EACCES somewhere' });
});

test('the entry @qsen/core/config reaches neither zod nor @iarna/toml in its module graph', () => {
  // The compiled modules src/config/index.js imports, followed statically: a node that reads its
  // configuration through this entry leaves the validator to the worker.
  const seen = new Set<string>();
  const visit = (url: URL): void => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    for (const match of readFileSync(url, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const spec = match[1] ?? '';
      assert.ok(spec !== 'zod' && spec !== '@iarna/toml' && !spec.startsWith('zod/'), `${url.pathname} imports ${spec}`);
      if (spec.startsWith('.')) visit(new URL(spec, url));
    }
  };
  visit(new URL('../src/config/index.js', import.meta.url));
  assert.ok(seen.size >= 5, `the walk saw the entry's modules (${seen.size})`);
  assert.ok([...seen].some((href) => href.endsWith('/off-thread.js')), 'the walk reached off-thread.js');
});
