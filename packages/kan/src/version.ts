/**
 * What /kan/v1/version answers. The commit comes, in this order, from a REVISION file written by
 * the release (deploy) in the installation folder, else from the git checkout the code runs from
 * (read with fs: HEAD, then the ref file or packed-refs), else "unknown".
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
  const direct = readText(join(gitDir, ref));
  if (direct !== undefined && /^[0-9a-f]{40}$/.test(direct)) return direct;
  const packed = readText(join(gitDir, 'packed-refs'));
  const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
  return line?.slice(0, 40);
}

/** Finds the commit: REVISION in one of `dirs`, else the nearest .git above `startDir`. */
export function findCommit(startDir: string, dirs: readonly string[]): string {
  for (const dir of dirs) {
    const rev = readText(join(dir, 'REVISION'));
    if (rev !== undefined && /^[0-9a-f]{7,40}$/.test(rev)) return rev;
  }
  let dir = resolve(startDir);
  for (;;) {
    if (existsSync(join(dir, '.git'))) return readGitCommit(join(dir, '.git')) ?? 'unknown';
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** Reads this package's version and the commit once. */
export function readVersionInfo(installDir: string): VersionInfo {
  const pkgDir = new URL('../../', import.meta.url).pathname;
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version?: string };
  return { version: pkg.version ?? '0.0.0', commit: findCommit(pkgDir, [installDir, pkgDir]), node: process.version };
}
