import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/** Makes a fresh temporary folder; `remove()` deletes it with everything inside. */
export function makeTempDir(prefix = 'qsen-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Ports this process has already handed out: the kernel may give a just-closed port again. */
const handedOut = new Set<number>();

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 (for child processes that cannot report port 0
 * back). Never the same port twice in one process: callers that take several ports in a row (a
 * conf.toml with qsen's and three kan ports) get distinct ones, which the kernel alone does not
 * promise once the probe socket is closed.
 */
export async function findFreePort(): Promise<number> {
  for (;;) {
    const port = await probeFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function probeFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
