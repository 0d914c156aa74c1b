import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one openssl run produced. */
export interface OpensslRun { status: number | null; stdout: string; stderr: string }

/** Runs the openssl binary at `tool` with `args` (and optional stdin), synchronously. */
export function runOpenssl(tool: string, args: string[], input?: string | Buffer): OpensslRun {
  const result = spawnSync(tool, args, { input, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes `content` to `dir/name` and returns the path (tests hand PEM files to openssl). */
export function writeTestFile(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
