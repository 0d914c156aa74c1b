/**
 * ProcessControl over the local launcher's control socket (docs/architecture.md): HTTP/JSON on a
 * Unix socket. Implemented here against the documented protocol, because @qsen/launcher depends
 * on @qsen/kan and not the other way round.
 */
import { request } from 'node:http';
import { kanErrors } from '../errors.js';
import type { ProcessControl, ProcessName, ProcessState } from './control.js';

/** The launcher's ProcessStatus as documented in docs/architecture.md. */
export interface LauncherProcessStatus {
  name: string;
  state: 'running' | 'stopped' | 'starting' | 'stopping';
  pid: number | null;
  invocation: number;
  startedAt: string | null;
  starts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

/** Converts the launcher's ProcessStatus into a ProcessState (pure). */
export function fromLauncherStatus(name: ProcessName, s: LauncherProcessStatus): ProcessState {
  const startedAt = s.startedAt === null ? null : Date.parse(s.startedAt);
  return {
    name,
    state: s.state,
    pid: typeof s.pid === 'number' && s.pid > 0 ? s.pid : null,
    invocation: String(s.invocation),
    startedAt: startedAt !== null && Number.isFinite(startedAt) ? startedAt : null,
    starts: typeof s.starts === 'number' ? s.starts : null,
  };
}

/** Process control through the launcher's Unix control socket. */
export class LocalControl implements ProcessControl {
  readonly mode = 'local' as const;
  readonly #socketPath: string;
  readonly #timeoutMs: number;

  constructor(socketPath: string, opts: { timeoutMs?: number } = {}) {
    this.#socketPath = socketPath;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  async status(name: ProcessName): Promise<ProcessState> {
    return fromLauncherStatus(name, await this.#call('GET', `/v1/processes/${name}`, 10_000));
  }

  async start(name: ProcessName): Promise<ProcessState> {
    return fromLauncherStatus(name, await this.#call('POST', `/v1/processes/${name}/start`, this.#timeoutMs));
  }

  async stop(name: ProcessName): Promise<ProcessState> {
    return fromLauncherStatus(name, await this.#call('POST', `/v1/processes/${name}/stop`, this.#timeoutMs));
  }

  async restart(name: ProcessName): Promise<ProcessState> {
    return fromLauncherStatus(name, await this.#call('POST', `/v1/processes/${name}/restart`, this.#timeoutMs));
  }

  #call(method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<LauncherProcessStatus> {
    return new Promise((resolve, reject) => {
      const fail = (message: string, details: Record<string, unknown>, cause?: unknown): void =>
        reject(kanErrors.create('PROCESS_CONTROL_FAILED', message, { socket: this.#socketPath, method, path, ...details }, cause));
      const req = request({ socketPath: this.#socketPath, method, path, headers: { accept: 'application/json', 'content-length': 0 } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => fail('the control socket answer broke off', {}, err));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            fail(`the launcher answered ${res.statusCode ?? 0}`, { status: res.statusCode ?? 0, body: text.slice(0, 500) });
            return;
          }
          try {
            resolve(JSON.parse(text) as LauncherProcessStatus);
          } catch (err) {
            fail('the launcher answered something that is not JSON', { body: text.slice(0, 200) }, err);
          }
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => fail('the launcher control socket is unreachable', {}, err));
      req.end();
    });
  }
}
