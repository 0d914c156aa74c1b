import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/** Makes a fresh temporary folder; `remove()` deletes it with everything inside. */
export function makeTempDir(prefix = 'qsen-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Where test processes claim the ports they hand out: one empty file per port, created
 * exclusively, so that two test files running at once never get the same port (the kernel gave
 * two concurrent processes 573 common ports in 2000 probes each). Claims older than CLAIM_TTL_MS
 * are taken back.
 */
const CLAIMS_DIR = join(tmpdir(), 'qsen-test-ports');
const CLAIM_TTL_MS = 3_600_000;

/** Ports this process has already handed out: the kernel may give a just-closed port again. */
const handedOut = new Set<number>();

/**
 * The ports findFreePort picks from: below (or else above) the kernel's ephemeral range, so that
 * no `listen(0)` and no outgoing connection of any process can take a port between its hand-out
 * and the child's bind. Null when the range leaves fewer than 2000 ports outside it.
 */
function portPool(): { min: number; max: number } | null {
  let lo = 32768;
  let hi = 60999;
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(a) && Number.isInteger(b)) { lo = a ?? lo; hi = b ?? hi; }
  } catch { /* not Linux: the defaults */ }
  if (lo - 1 - 12000 >= 2000) return { min: 12000, max: lo - 1 };
  if (65535 - (hi + 1) >= 2000) return { min: hi + 1, max: 65535 };
  return null;
}
const pool = portPool();

/**
 * Claims `port` for this process among every test process on the machine; false when another
 * holds it. Where the claims folder cannot be written (another user's), only this process's
 * own hand-outs are kept apart.
 */
function claim(port: number): boolean {
  const file = join(CLAIMS_DIR, String(port));
  try {
    mkdirSync(CLAIMS_DIR, { recursive: true });
    closeSync(openSync(file, 'wx'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true;
    try {
      if (Date.now() - statSync(file).mtimeMs < CLAIM_TTL_MS) return false;
      utimesSync(file, new Date(), new Date()); // a stale claim: taken back
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Finds a free TCP port on 127.0.0.1 (for child processes that cannot report port 0 back).
 * Never the same port twice on this machine while its claim stands: callers that take several
 * ports in a row (a conf.toml with qsen's and three kan ports) get distinct ones, and so do test
 * files running at the same time. The port is outside the ephemeral range where the kernel
 * allows it, and bindable when handed out.
 */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = pool !== null && attempt < 500 ? pool.min + randomInt(pool.max - pool.min + 1) : await probeFreePort(0);
    if (handedOut.has(port) || !(await isBindable(port)) || !claim(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function isBindable(port: number): Promise<boolean> {
  return probeFreePort(port).then(() => true, () => false);
}

function probeFreePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
