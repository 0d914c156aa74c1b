/**
 * What the deployment tests share: the repository's paths, running deploy/install.sh and
 * deploy/uninstall.sh into a staging folder, and snapshots of a folder tree.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder (compiled tests live in test/dist/deploy/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute path of a file of the repository. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** What one run of a command produced. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command and resolves with its exit code and output (never rejects on a non-zero exit). */
export function runCommand(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** The environment the installer runs with in tests: no SSH session of the test runner leaks in. */
function installerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['SSH_CONNECTION'];
  return env;
}

/**
 * Copies what the installer reads from the checkout (manifests, deploy/, systemd/, docs/, the
 * compiled sources, node_modules) into DIR, so that a test sees one frozen build even while the
 * checkout is rebuilt. Returns DIR. Needs a built checkout (npm run build).
 */
export async function makeSourceSnapshot(dir: string): Promise<string> {
  const parts = ['package.json', 'package-lock.json', 'deploy', 'systemd', 'node_modules'];
  for (const optional of ['docs', 'README.md']) if (existsSync(repoPath(optional))) parts.push(optional);
  for (const pkg of readdirSync(repoPath('packages'))) {
    parts.push(`packages/${pkg}/package.json`);
    if (existsSync(repoPath('packages', pkg, 'dist/src'))) parts.push(`packages/${pkg}/dist/src`);
  }
  const result = await runCommand('bash', ['-c', 'cd "$1" && shift && tar -cf - "$@" | tar -xf - -C "$0"', dir, REPO_ROOT, ...parts]);
  if (result.code !== 0) throw new Error(`snapshot of the checkout failed: ${result.stderr}`);
  return dir;
}

/** Runs SOURCE/deploy/install.sh --root ROOT --no-build with extra options; fails with its output when it fails. */
export async function runStagedInstall(source: string, root: string, extra: readonly string[] = []): Promise<CommandResult> {
  const result = await runCommand('bash', [join(source, 'deploy/install.sh'), '--root', root, '--no-build', '--host', 'gw.test', ...extra], { env: installerEnv() });
  if (result.code !== 0) throw new Error(`install.sh failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Runs SOURCE/deploy/uninstall.sh --root ROOT with extra options; fails with its output when it fails. */
export async function runStagedUninstall(source: string, root: string, extra: readonly string[] = []): Promise<CommandResult> {
  const result = await runCommand('bash', [join(source, 'deploy/uninstall.sh'), '--root', root, ...extra], { env: installerEnv() });
  if (result.code !== 0) throw new Error(`uninstall.sh failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** One entry of a tree snapshot: type, mode, owner, and content checksum or link target. */
export interface TreeEntry {
  type: 'file' | 'dir' | 'link';
  mode: number;
  uid: number;
  gid: number;
  /** sha256 of a file's content, a link's target, '' for a folder. */
  content: string;
  mtimeMs: number;
}

/** Walks a folder and records every entry below it by relative path. */
export function snapshotTree(root: string): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const stat = lstatSync(full);
      const base = { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtimeMs: stat.mtimeMs };
      const rel = relative(root, full);
      if (stat.isSymbolicLink()) {
        entries.set(rel, { type: 'link', ...base, content: readlinkSync(full) });
      } else if (stat.isDirectory()) {
        entries.set(rel, { type: 'dir', ...base, content: '' });
        walk(full);
      } else {
        entries.set(rel, { type: 'file', ...base, content: createHash('sha256').update(readFileSync(full)).digest('hex') });
      }
    }
  };
  walk(root);
  return entries;
}

/** Lists the differences between two snapshots (added, removed, changed paths). */
export function diffSnapshots(before: Map<string, TreeEntry>, after: Map<string, TreeEntry>): string[] {
  const differences: string[] = [];
  for (const [path, entry] of after) {
    const old = before.get(path);
    if (!old) differences.push(`added ${path}`);
    else if (JSON.stringify(old) !== JSON.stringify(entry)) differences.push(`changed ${path}: ${JSON.stringify(old)} -> ${JSON.stringify(entry)}`);
  }
  for (const path of before.keys()) if (!after.has(path)) differences.push(`removed ${path}`);
  return differences;
}

/** Reads a numeric id of a user or group from a staged /etc/passwd or /etc/group. */
export function readStagedId(file: string, name: string): number | undefined {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] !== undefined) return Number.parseInt(fields[2], 10);
  }
  return undefined;
}
