import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Finds an executable on PATH (plus the sbin folders root tools live in); undefined when absent. */
export function findTool(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Decides what a test does when a tool it needs is missing.
 * Returns the tool's path, or a skip reason. Under CI=true a missing tool throws, so the test fails.
 * Use: `const tool = requireTool('openssl'); if (typeof tool !== 'string') return t.skip(tool.skip);`
 */
export function requireTool(name: string, debianPackage = name): string | { skip: string } {
  const found = findTool(name);
  if (found) return found;
  const message = `MISSING TOOL '${name}' (Debian package '${debianPackage}'): install it with apt-get to run this test`;
  if (process.env['CI'] === 'true') throw new Error(`${message}; under CI=true this is a failure`);
  console.error(`\n!!! ${message}: SKIPPING\n`);
  return { skip: message };
}
