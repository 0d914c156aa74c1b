/**
 * A small typed client of the control channel (HTTP/JSON over the launcher's Unix socket), for
 * tests and tools. The kans speak the same protocol with their own client.
 */
import { request } from 'node:http';
import { ApiError } from '@qsen/core';
import { launcherErrors } from '../errors.js';
import { PROCESSES_PATH, processPath, verbPath, type ControlErrorBody, type ControlVerb, type ProcessListAnswer, type ProcessStatus } from './protocol.js';

/** The control channel seen from a client. Errors are ApiErrors with the answer's code. */
export interface ControlClient {
  status(name: string): Promise<ProcessStatus>;
  list(): Promise<ProcessStatus[]>;
  start(name: string): Promise<ProcessStatus>;
  stop(name: string): Promise<ProcessStatus>;
  restart(name: string): Promise<ProcessStatus>;
}

function isErrorBody(value: unknown): value is ControlErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/** Creates a client for the control socket at `socketPath` (verbs wait up to `timeoutMs`, default 60 s). */
export function createControlClient(socketPath: string, options: { timeoutMs?: number } = {}): ControlClient {
  const timeoutMs = options.timeoutMs ?? 60_000;

  function call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = request({ socketPath, path, method, headers: { accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch (err) {
            reject(launcherErrors.create('CONTROL_UNREACHABLE', `the control socket answered something that is not JSON (HTTP ${res.statusCode})`, undefined, err));
            return;
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            if (isErrorBody(body)) {
              const { code, message, details } = body.error;
              reject(new ApiError(code, status, message, details ? { ...details } : undefined));
            } else {
              reject(launcherErrors.create('CONTROL_UNREACHABLE', `the control socket answered HTTP ${status}`));
            }
            return;
          }
          resolve(body as T);
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(launcherErrors.create('CONTROL_UNREACHABLE', `no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof ApiError ? err : launcherErrors.create('CONTROL_UNREACHABLE', `cannot reach ${socketPath}`, { socket: socketPath }, err)));
      req.end();
    });
  }

  const verb = (name: string, action: ControlVerb) => call<ProcessStatus>('POST', verbPath(name, action));
  return {
    status: (name) => call<ProcessStatus>('GET', processPath(name)),
    list: async () => (await call<ProcessListAnswer>('GET', PROCESSES_PATH)).processes,
    start: (name) => verb(name, 'start'),
    stop: (name) => verb(name, 'stop'),
    restart: (name) => verb(name, 'restart'),
  };
}
