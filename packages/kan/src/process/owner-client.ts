/**
 * The one client of the owner protocol (owner-protocol.ts): used by the kans (createLocalControl), the
 * launcher's tools and the tests. Error answers become ApiErrors with the answer's code; a socket
 * that cannot be reached (or answers something that is not the protocol) becomes the caller's
 * own error, made by `unreachable` (the kan's PROCESS_CONTROL_FAILED, the launcher's CONTROL_UNREACHABLE).
 */
import { request } from 'node:http';
import { ApiError } from '@qsen/core/errors';
import { PROCESSES_PATH, processPath, verbPath, type ControlErrorBody, type ControlVerb, type ProcessListAnswer, type ProcessStatus } from './owner-protocol.js';

/** The owner seen from a client. */
export interface OwnerClient {
  status(name: string): Promise<ProcessStatus>;
  list(): Promise<ProcessStatus[]>;
  /** Each verb with `ifInvocation` acts only while that invocation is the current one (else it answers `coalesced: true`). */
  start(name: string, ifInvocation?: number): Promise<ProcessStatus>;
  stop(name: string, ifInvocation?: number): Promise<ProcessStatus>;
  restart(name: string, ifInvocation?: number): Promise<ProcessStatus>;
}

/** Makes the error of an unreachable or unintelligible owner. */
export type UnreachableError = (message: string, details: Record<string, unknown>, cause?: unknown) => Error;

/** Options of an owner client. */
export interface OwnerClientOptions {
  /** How long a verb may take (default 60 s); status and list take at most 10 s. */
  readonly timeoutMs?: number;
  readonly unreachable: UnreachableError;
}

function isErrorBody(value: unknown): value is ControlErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/** Creates a client of the owner's control socket at `socketPath`. */
export function createOwnerClient(socketPath: string, options: OwnerClientOptions): OwnerClient {
  const verbTimeoutMs = options.timeoutMs ?? 60_000;
  const statusTimeoutMs = Math.min(10_000, verbTimeoutMs);
  const { unreachable } = options;

  function call<T>(method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const where = { socket: socketPath, method, path };
      const req = request({ socketPath, path, method, headers: { accept: 'application/json', 'content-length': 0 } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(unreachable('the control socket answer broke off', where, err)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (err) {
            reject(unreachable(`the control socket answered something that is not JSON (HTTP ${status})`, { ...where, body: text.slice(0, 200) }, err));
            return;
          }
          if (status >= 400) {
            if (isErrorBody(body)) {
              const { code, message, details } = body.error;
              reject(new ApiError(code, status, message, details ? { ...details } : undefined));
            } else {
              reject(unreachable(`the control socket answered HTTP ${status}`, { ...where, status }));
            }
            return;
          }
          resolve(body as T);
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(unreachable(`no answer within ${timeoutMs} ms`, where)));
      req.on('error', (err) => reject(err instanceof ApiError ? err : unreachable(`cannot reach ${socketPath}`, where, err)));
      req.end();
    });
  }

  const verb = (name: string, action: ControlVerb, ifInvocation?: number) => call<ProcessStatus>('POST', verbPath(name, action, ifInvocation), verbTimeoutMs);
  return {
    status: (name) => call<ProcessStatus>('GET', processPath(name), statusTimeoutMs),
    list: async () => (await call<ProcessListAnswer>('GET', PROCESSES_PATH, statusTimeoutMs)).processes,
    start: (name, ifInvocation) => verb(name, 'start', ifInvocation),
    stop: (name, ifInvocation) => verb(name, 'stop', ifInvocation),
    restart: (name, ifInvocation) => verb(name, 'restart', ifInvocation),
  };
}
