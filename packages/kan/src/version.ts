/**
 * What /kan/v1/version answers. The version is this package's (a release bundle writes its own
 * version into every manifest, deploy/build-release.sh). The commit comes, in this order, from a
 * REVISION file in the installation folder, else the `commit=` line of a release bundle's RELEASE,
 * else from the git checkout the code runs from (read with fs: HEAD, then the ref file or
 * packed-refs; in a linked worktree `.git` is a file naming the worktree's folder, whose refs live
 * in the common folder it names), else "unknown".
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The version triple. */
export interface VersionInfo {
  readonly version: string;
  readonly commit: string;
  readonly node: string;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Resolves the commit of a git folder without running git (pure fs reads). */
export function readGitCommit(gitDir: string): string | undefined {
  const head = readText(join(gitDir, 'HEAD'));
  if (head === undefined) return undefined;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (ref === undefined) return /^[0-9a-f]{40}$/.test(head) ? head : undefined;
  // A linked worktree keeps its HEAD in its own folder and the refs in the common one.
  const common = readText(join(gitDir, 'commondir'));
  const refDirs = common === undefined ? [gitDir] : [gitDir, resolve(gitDir, common)];
  for (const dir of refDirs) {
    const direct = readText(join(dir, ref));
    if (direct !== undefined && /^[0-9a-f]{40}$/.test(direct)) return direct;
    const packed = readText(join(dir, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    if (line !== undefined) return line.slice(0, 40);
  }
  return undefined;
}

/** The git folder of a `.git` entry: the folder itself, or the one a worktree's `.git` file names. */
function gitFolderOf(dotGit: string): string | undefined {
  const text = readText(dotGit);
  if (text === undefined) return dotGit; // a folder (readFileSync fails with EISDIR)
  const target = /^gitdir: (.+)$/m.exec(text)?.[1];
  return target === undefined ? undefined : resolve(dirname(dotGit), target);
}

/** Finds the commit: REVISION in one of `dirs`, else a release's RELEASE (`commit=`), else the nearest .git above `startDir`. */
export function findCommit(startDir: string, dirs: readonly string[]): string {
  for (const dir of dirs) {
    const rev = readText(join(dir, 'REVISION'));
    if (rev !== undefined && /^[0-9a-f]{7,40}$/.test(rev)) return rev;
    const release = /^commit=([0-9a-f]{7,40})$/m.exec(readText(join(dir, 'RELEASE')) ?? '')?.[1];
    if (release !== undefined) return release;
  }
  let dir = resolve(startDir);
  for (;;) {
    if (existsSync(join(dir, '.git'))) {
      const gitDir = gitFolderOf(join(dir, '.git'));
      return (gitDir === undefined ? undefined : readGitCommit(gitDir)) ?? 'unknown';
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** Reads this package's version and the commit once. */
export function readVersionInfo(installDir: string): VersionInfo {
  const pkgDir = new URL('../../', import.meta.url).pathname;
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version?: string };
  // An installed release (deploy/build-release.sh) has its RELEASE two folders above packages/kan.
  return { version: pkg.version ?? '0.0.0', commit: findCommit(pkgDir, [installDir, pkgDir, resolve(pkgDir, '../..')]), node: process.version };
}
