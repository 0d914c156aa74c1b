// qsen-admin as a real process: --help exits 0 with examples, a usage error exits 2, QSEN_HOME
// picks its conf.toml (the issue's `/etc/qsen/conf.toml: file not found`), --config wins over it,
// tables by default and --json on request.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chooseConfigFile, DEFAULT_CONFIG, renderKillSwitch } from '../src/cli/admin-run.js';
import { runAdmin } from './support/child.js';
import { makeTestState } from './support/state.js';

describe('qsen-admin command line', () => {
  const state = makeTestState({ senebiPort: 0 });
  after(() => state.remove());

  test('--help and help exit 0 with the commands and examples; nonsense exits 2', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const out = await runAdmin(args);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^usage: qsen-admin COMMAND \[--config FILE\] \[--json\]$/m);
      assert.match(out.stdout, /^examples:$/m);
    }
    const bad = await runAdmin(['frobnicate']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown command: frobnicate/);
  });

  test('QSEN_HOME picks $QSEN_HOME/conf.toml; --config wins; the default is production', async () => {
    assert.equal(chooseConfigFile(undefined, '/h'), '/h/conf.toml');
    assert.equal(chooseConfigFile('/x.toml', '/h'), '/x.toml');
    assert.equal(chooseConfigFile(undefined, undefined), DEFAULT_CONFIG);
    const viaHome = await runAdmin(['status', '--json'], { QSEN_HOME: state.home });
    assert.equal(viaHome.code, 0, viaHome.stderr);
    assert.deepEqual(JSON.parse(viaHome.stdout), { halted: false });
    const missing = await runAdmin(['status'], { QSEN_HOME: join(state.home, 'nowhere') });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nowhere\/conf\.toml.*\(from QSEN_HOME; pass --config FILE or set QSEN_HOME\)/);
  });

  test('halt and resume print a table, or JSON with --json', async () => {
    const halted = await runAdmin(['halt', '--reason', 'table test', '--config', state.confFile]);
    assert.equal(halted.code, 0, halted.stderr);
    assert.match(halted.stdout, /^kill switch +HALTED\nsince +\d{4}-\d\d-\d\dT.*\nby +local:\S+\nreason +table test\n$/);
    const resumed = await runAdmin(['resume', '--config', state.confFile, '--json']);
    assert.deepEqual(JSON.parse(resumed.stdout), { halted: false });
    assert.equal(renderKillSwitch({ halted: true, persisted: false, persistError: 'ENOSPC' }), 'kill switch  HALTED\npersisted    no: ENOSPC\n');
  });
});
