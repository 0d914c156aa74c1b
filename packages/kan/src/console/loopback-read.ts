/**
 * Reads a node's internal route over loopback HTTPS (no client certificate; the server
 * certificate checked against the cluster CA), the way the watchdog's probe reads the ping: qsen's
 * console view (GET /qsen/v1/console) and every node's ping (pid, uptime). An unreachable or
 * failing node is an answer too (`reachable: false`): the console shows it instead of failing.
 */
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';

/** What a loopback read gave. */
export type LoopbackAnswer =
  | { readonly reachable: true; readonly body: Record<string, unknown> }
  | { readonly reachable: false; readonly error: string };

/** How to reach the nodes and trust them. */
export interface LoopbackSource {
  /** The cluster CA file (read at each call: a renewed CA is picked up). */
  readonly caFile: string;
  readonly timeoutMs?: number;
}

/** The console-view path on qsen. */
export const QSEN_CONSOLE_PATH = '/qsen/v1/console';
/** How long one loopback read may take (ms). */
export const LOOPBACK_READ_TIMEOUT_MS = 3000;
const MAX_BODY_BYTES = 1 << 20;

/** Reads `path` of the node on `port` once; the answer must be 200 with a JSON object. */
export async function readLoopbackJson(source: LoopbackSource, port: number, path: string): Promise<LoopbackAnswer> {
  let ca: string;
  try {
    ca = await readFile(source.caFile, 'utf8');
  } catch (err) {
    return { reachable: false, error: `the cluster CA could not be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const timeoutMs = source.timeoutMs ?? LOOPBACK_READ_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: LoopbackAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', ca, servername: 'localhost', agent: false, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) { req.destroy(); finish({ reachable: false, error: 'the node answered more than 1 MiB' }); return; }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish({ reachable: false, error: err.message }));
      res.on('end', () => {
        if (res.statusCode !== 200) { finish({ reachable: false, error: `the node answered ${res.statusCode ?? 0}` }); return; }
        try {
          const view = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (view === null || typeof view !== 'object' || Array.isArray(view)) throw new TypeError('not an object');
          finish({ reachable: true, body: view as Record<string, unknown> });
        } catch {
          finish({ reachable: false, error: 'the node answered something that is not a JSON object' });
        }
      });
    });
    const timer = setTimeout(() => {
      finish({ reachable: false, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ reachable: false, error: err.code ?? err.message }));
    req.end();
  });
}
