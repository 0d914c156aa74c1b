/**
 * The gateway's HTTPS client to the other nodes over loopback, with mutual TLS: the server
 * certificate is checked against the cluster CA in force (servername "localhost", as the
 * watchdog's probes do), and the gateway presents its own client identity (role auditor: it
 * may read, never change anything). The identity files are read at each call, so a renewal
 * (`qsen-pki renew kan-gateway`, install.sh) takes effect without a restart. Without identity
 * files it presents none: the console reads the nodes' internal routes that way
 * (console/loopback-read.ts).
 */
import { readFile } from 'node:fs/promises';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { errorMessage } from '@qsen/core/errors';

/** What a node answered. */
export interface LoopbackAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/** Why a node could not be read (the connection failed, timed out, or answered too much). */
export class LoopbackError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'LoopbackError';
  }
}

/** How the client reaches the nodes. */
export interface LoopbackClientOptions {
  /** The cluster CA in force (follows TLS reloads). */
  readonly ca: () => string | Buffer;
  /** The client identity presented (none: no client certificate). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Deadline of one call, connection to last byte. */
  readonly timeoutMs: number;
  /** A larger answer is cut and reported (a node's metrics are tens of KiB). */
  readonly maxBytes: number;
  readonly host?: string;
  /** The Accept header (default any type). */
  readonly accept?: string;
}

/** A GET of `path` on the node listening on `port` (loopback). */
export type LoopbackGet = (port: number, path: string) => Promise<LoopbackAnswer>;

/** Makes the loopback client. */
export function createLoopbackClient(opts: LoopbackClientOptions): LoopbackGet {
  return async (port, path) => {
    const { certFile, keyFile } = opts;
    const [cert, key] = certFile === undefined || keyFile === undefined ? [] : await Promise.all([readFile(certFile), readFile(keyFile)]).catch((err: unknown) => {
      throw new LoopbackError(`the gateway's client identity cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    });
    return new Promise<LoopbackAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(new LoopbackError(reason));
      };
      let req: ClientRequest;
      try {
        req = request({
          host: opts.host ?? '127.0.0.1', port, path, method: 'GET', agent: false, servername: 'localhost',
          ca: opts.ca(), ...(cert !== undefined && key !== undefined ? { cert, key } : {}), headers: { accept: opts.accept ?? '*/*' },
        }, onAnswer);
      } catch (err) {
        // A certificate or key that does not parse is refused by the TLS layer before any connection.
        reject(new LoopbackError(`the gateway's client identity is not valid: ${errorMessage(err)}`));
        return;
      }
      const timer = setTimeout(() => fail(`no answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
      req.end();

      function onAnswer(res: IncomingMessage): void {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > opts.maxBytes) fail(`the answer exceeds ${opts.maxBytes} bytes`);
          else chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
        res.on('aborted', () => fail('the connection was cut mid-answer'));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? 'application/octet-stream'), body: Buffer.concat(chunks) });
        });
      }
    });
  };
}
