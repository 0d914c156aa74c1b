/** Every shell script of the deployment passes shellcheck (bash dialect, all optional checks off, every severity). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { requireTool } from '@qsen/testkit';
import { REPO_ROOT, repoPath, runCommand } from './staging.js';

/** Shell scripts under a folder: *.sh files and files whose first line names bash or sh. */
function findShellScripts(dir: string): string[] {
  const scripts: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      scripts.push(...findShellScripts(full));
      continue;
    }
    const firstLine = readFileSync(full, 'utf8').split('\n', 1)[0] ?? '';
    if (name.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(firstLine)) scripts.push(full);
  }
  return scripts.sort();
}

test('shellcheck finds nothing in any deployment script', async (t) => {
  const tool = requireTool('shellcheck');
  if (typeof tool !== 'string') return t.skip(tool.skip);
  const scripts = [...findShellScripts(repoPath('deploy')), ...findShellScripts(repoPath('systemd')), ...findShellScripts(repoPath('test/production'))];
  const names = scripts.map((s) => relative(REPO_ROOT, s));
  assert.ok(names.includes('deploy/install.sh') && names.includes('deploy/uninstall.sh'), `scripts found: ${names.join(', ')}`);
  const result = await runCommand(tool, ['--shell=bash', '--severity=style', '--external-sources', ...scripts]);
  assert.equal(result.code, 0, `shellcheck on ${names.join(', ')}:\n${result.stdout}${result.stderr}`);
  console.log(`# shellcheck clean: ${names.join(', ')}`);
});

test('the deployment scripts are executable and start in strict mode', () => {
  for (const script of ['deploy/install.sh', 'deploy/uninstall.sh', 'deploy/build-release.sh', 'deploy/release-files.sh', 'deploy/qsen-admin']) {
    const text = readFileSync(repoPath(script), 'utf8');
    assert.match(text, /^#!\/usr\/bin\/env bash\n/, `${script} is a bash script`);
    assert.match(text, /^set -euo pipefail$/m, `${script} sets -euo pipefail`);
    assert.ok((statSync(repoPath(script)).mode & 0o111) !== 0, `${script} is executable`);
  }
});
