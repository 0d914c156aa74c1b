/**
 * Reads qsen's console view (GET /qsen/v1/console, internal) over loopback HTTPS, with the
 * server certificate checked against the cluster CA, the way the watchdog's probe reads the
 * ping. An unreachable or failing qsen is an answer too (`reachable: false`): the console shows
 * it instead of failing.
 */
import { request } from 'node:https';
import { readFile } from 'node:fs/promises';

/** What the console shows of qsen. */
export type QsenView =
  | { readonly reachable: true; readonly view: Record<string, unknown> }
  | { readonly reachable: false; readonly error: string };

/** Where qsen listens and how to trust it. */
export interface QsenViewSource {
  readonly port: number;
  /** The cluster CA file (read at each call: a renewed CA is picked up). */
  readonly caFile: string;
  readonly timeoutMs?: number;
}

/** The console-view path on qsen. */
export const QSEN_CONSOLE_PATH = '/qsen/v1/console';
/** How long a read of qsen's view may take (ms). */
export const QSEN_VIEW_TIMEOUT_MS = 3000;
const MAX_VIEW_BYTES = 1 << 20;

/** Reads qsen's view once. */
export async function readQsenView(source: QsenViewSource): Promise<QsenView> {
  let ca: string;
  try {
    ca = await readFile(source.caFile, 'utf8');
  } catch (err) {
    return { reachable: false, error: `the cluster CA could not be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const timeoutMs = source.timeoutMs ?? QSEN_VIEW_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: QsenView): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const req = request({ host: '127.0.0.1', port: source.port, path: QSEN_CONSOLE_PATH, method: 'GET', ca, servername: 'localhost', agent: false, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_VIEW_BYTES) { req.destroy(); finish({ reachable: false, error: 'qsen answered more than 1 MiB' }); return; }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish({ reachable: false, error: err.message }));
      res.on('end', () => {
        if (res.statusCode !== 200) { finish({ reachable: false, error: `qsen answered ${res.statusCode ?? 0}` }); return; }
        try {
          const view = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (view === null || typeof view !== 'object' || Array.isArray(view)) throw new TypeError('not an object');
          finish({ reachable: true, view: view as Record<string, unknown> });
        } catch {
          finish({ reachable: false, error: 'qsen answered something that is not a JSON object' });
        }
      });
    });
    const timer = setTimeout(() => {
      finish({ reachable: false, error: `qsen did not answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ reachable: false, error: err.code ?? err.message }));
    req.end();
  });
}
