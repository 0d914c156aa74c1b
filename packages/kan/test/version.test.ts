// The commit /kan/v1/version reports, read from a real git checkout without running git: a plain
// clone, a linked worktree (its `.git` is a file) and refs packed by `git pack-refs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@qsen/testkit';
import { findCommit } from '../src/version.js';

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

test('the commit of a checkout, of a linked worktree and after pack-refs is the one git names', () => {
  const tmp = makeTempDir('kan-version-');
  try {
    const repo = join(tmp.path, 'repo');
    mkdirSync(join(repo, 'packages', 'kan'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'packages', 'kan', 'a.txt'), 'a');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    assert.equal(findCommit(join(repo, 'packages', 'kan'), []), git(repo, 'rev-parse', 'HEAD'));

    const tree = join(tmp.path, 'tree');
    git(repo, 'worktree', 'add', '-q', '-b', 'side', tree);
    writeFileSync(join(tree, 'packages', 'kan', 'b.txt'), 'b');
    git(tree, 'add', '.');
    git(tree, 'commit', '-qm', 'two');
    const side = git(tree, 'rev-parse', 'HEAD');
    assert.notEqual(side, git(repo, 'rev-parse', 'HEAD'));
    assert.equal(findCommit(join(tree, 'packages', 'kan'), []), side);

    git(repo, 'pack-refs', '--all');
    assert.equal(findCommit(join(tree, 'packages', 'kan'), []), side);
    assert.equal(findCommit(join(repo, 'packages', 'kan'), []), git(repo, 'rev-parse', 'HEAD'));
  } finally {
    tmp.remove();
  }
});

test('a REVISION file comes first; no checkout at all is "unknown"', () => {
  const tmp = makeTempDir('kan-version-');
  try {
    writeFileSync(join(tmp.path, 'REVISION'), '0123456789abcdef0123456789abcdef01234567\n');
    assert.equal(findCommit(tmp.path, [tmp.path]), '0123456789abcdef0123456789abcdef01234567');
    assert.equal(findCommit('/proc/self', []), 'unknown');
  } finally {
    tmp.remove();
  }
});
