/**
 * Reads a node's internal route over loopback HTTPS (no client certificate; the server
 * certificate checked against the cluster CA), the way the watchdog's probe reads the ping: qsen's
 * console view (GET /qsen/v1/console) and every node's ping (pid, uptime). An unreachable or
 * failing node is an answer too (`reachable: false`): the console shows it instead of failing.
 */
import { readFile } from 'node:fs/promises';
import { createLoopbackClient, LoopbackError } from '../cluster/loopback-client.js';

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

/** Reads `path` of the node on `port` once (no client certificate); the answer must be 200 with a JSON object. */
export async function readLoopbackJson(source: LoopbackSource, port: number, path: string): Promise<LoopbackAnswer> {
  let ca: string;
  try {
    ca = await readFile(source.caFile, 'utf8');
  } catch (err) {
    return { reachable: false, error: `the cluster CA could not be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const get = createLoopbackClient({ ca: () => ca, timeoutMs: source.timeoutMs ?? LOOPBACK_READ_TIMEOUT_MS, maxBytes: MAX_BODY_BYTES, accept: 'application/json' });
  try {
    const answer = await get(port, path);
    if (answer.status !== 200) return { reachable: false, error: `the node answered ${answer.status}` };
    const view = JSON.parse(answer.body.toString('utf8')) as unknown;
    if (view !== null && typeof view === 'object' && !Array.isArray(view)) return { reachable: true, body: view as Record<string, unknown> };
  } catch (err) {
    if (err instanceof LoopbackError) return { reachable: false, error: err.reason };
  }
  return { reachable: false, error: 'the node answered something that is not a JSON object' };
}
