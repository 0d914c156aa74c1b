/**
 * The mutual-TLS HTTPS server (docs/api.md §2). OpenSSL requests a client certificate but
 * does not abort the handshake; each connection is then judged by decideConnection before any
 * HTTP is read, and refused connections are closed, logged and counted. The server identity,
 * client CA and CRL are re-read by reload() (and on file change with watchFiles) without a restart.
 */
import { readFileSync, watchFile, unwatchFile, type Stats } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContextOptions, type TLSSocket } from 'node:tls';
import type express from 'express';
import type winston from 'winston';
import { describeCrl } from '@qsen/pki';
import type { TlsMetrics } from '../metrics/tls.js';
import { decideConnection } from './decision.js';
import { readConnectionFacts, readPeerIdentity } from './peer.js';
import {
  HTTP_HEADERS_TIMEOUT_MS,
  HTTP_KEEP_ALIVE_TIMEOUT_MS,
  HTTP_REQUEST_TIMEOUT_MS,
  TLS_CIPHERS,
  TLS_HANDSHAKE_TIMEOUT_MS,
  TLS_MIN_VERSION,
  TLS_SECURE_OPTIONS,
} from './tls-policy.js';

/** Paths of the cluster's TLS material (QsenConfig['tls']). */
export interface TlsFiles {
  /** CA that signs the client certificates. */
  ca: string;
  /** The server certificate (PEM, may include the chain). */
  cert: string;
  /** The server's private key (PEM, unencrypted, mode 0600). */
  key: string;
  /** The CA's certificate revocation list (PEM). */
  crl: string;
}

/** A running (or ready to run) mutual-TLS server. */
export interface MtlsServer {
  server: Server;
  /** Listens and resolves with the bound port (pass 0 for any free port). */
  listen(port: number, host: string): Promise<number>;
  /** Re-reads the TLS files; on any problem keeps the current context and reports the error. */
  reload(): { ok: boolean; error?: string };
  /** Stops listening, closes every connection and stops watching files. */
  close(): Promise<void>;
}

/** What createMtlsServer needs. */
export interface MtlsServerOptions {
  tls: TlsFiles;
  app: express.Express;
  logger: winston.Logger;
  metrics?: TlsMetrics;
  /** Watch the four files and reload when they change. */
  watchFiles?: boolean;
  /** Polling interval of the file watch (default 1000 ms). */
  watchIntervalMs?: number;
  /** The clock for the CRL freshness check (default: the system clock). */
  now?: () => Date;
}

/** A CRL this close to its nextUpdate is reported as a warning at every (re)load. */
export const CRL_EXPIRY_WARNING_MS = 7 * 86_400_000;

/** What the CRL's dates mean for the server: fresh, close to expiry, or expired (every certificate refused). */
export type CrlFreshness = { state: 'fresh' | 'expiring' | 'expired'; nextUpdate: Date } | { state: 'no-next-update' | 'unreadable' };

/** Judges a CRL's freshness at `now` (pure). */
export function judgeCrlFreshness(crlPem: string, now: Date): CrlFreshness {
  let nextUpdate: Date | undefined;
  try {
    nextUpdate = describeCrl(crlPem).nextUpdate;
  } catch {
    return { state: 'unreadable' };
  }
  if (nextUpdate === undefined) return { state: 'no-next-update' };
  const left = nextUpdate.getTime() - now.getTime();
  return { state: left <= 0 ? 'expired' : left <= CRL_EXPIRY_WARNING_MS ? 'expiring' : 'fresh', nextUpdate };
}

/** Reads the TLS files into secure-context options with the QSen policy. Throws when a file cannot be read. */
function readSecureOptions(files: TlsFiles): SecureContextOptions {
  return {
    ca: readFileSync(files.ca),
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    crl: readFileSync(files.crl, 'utf8'),
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    secureOptions: TLS_SECURE_OPTIONS,
  };
}

/** Describes an error without any file content (paths and OpenSSL reasons only). */
function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Creates the HTTPS server for `app` with the mutual-TLS policy; call listen() to start it. */
export function createMtlsServer(opts: MtlsServerOptions): MtlsServer {
  const { logger, metrics } = opts;
  const now = opts.now ?? (() => new Date());
  const initial = readSecureOptions(opts.tls);

  // OpenSSL refuses every client certificate (CRL_HAS_EXPIRED) once the CRL is past its nextUpdate: say so loudly.
  const reportCrlFreshness = (options: SecureContextOptions): void => {
    const freshness = judgeCrlFreshness(String(options.crl), now());
    if (freshness.state === 'expired') {
      logger.error('the CRL has expired: every client certificate is refused until a new CRL is installed', { crl: opts.tls.crl, nextUpdate: freshness.nextUpdate.toISOString() });
    } else if (freshness.state === 'expiring') {
      logger.warn('the CRL expires soon: issue a new one', { crl: opts.tls.crl, nextUpdate: freshness.nextUpdate.toISOString() });
    }
  };
  reportCrlFreshness(initial);
  const server = createServer({
    ...initial,
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS,
  }, opts.app);

  const refuse = (remoteAddress: string | undefined, reason: string, subject: string | undefined): void => {
    logger.warn('tls connection refused', { remoteAddress: remoteAddress ?? null, reason, subject: subject ?? null });
    metrics?.rejectedConnections.inc({ reason });
  };

  // Remember each raw connection's peer address: a socket that failed its handshake may no longer know it.
  const peers = new WeakMap<Socket, string | undefined>();
  server.prependListener('connection', (socket: Socket) => {
    peers.set(socket, socket.remoteAddress);
  });

  // Runs before the HTTP layer's own listener, so a refused socket is gone before any request is read.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const facts = readConnectionFacts(socket);
    const decision = decideConnection(facts);
    if (decision.accept) return;
    refuse(facts.remoteAddress, decision.reason, readPeerIdentity(socket)?.subject);
    socket.destroy();
  });

  // Handshake failures: wrong protocol version, no shared cipher, plain HTTP, handshake timeout.
  server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const remoteAddress = socket.remoteAddress ?? (raw ? peers.get(raw) : undefined);
    refuse(remoteAddress, err.code ?? 'TLS_HANDSHAKE_FAILED', undefined);
    socket.destroy();
  });

  const reload = (): { ok: boolean; error?: string } => {
    let options: SecureContextOptions;
    try {
      options = readSecureOptions(opts.tls);
      // Build it once to validate (parse errors, key/certificate mismatch) before touching the server.
      createSecureContext(options);
    } catch (err) {
      const error = describeError(err);
      logger.error('tls reload failed, keeping the current certificates', { error, files: { ...opts.tls } });
      return { ok: false, error };
    }
    server.setSecureContext(options);
    reportCrlFreshness(options);
    // Idle keep-alive connections were verified against the old CA/CRL: make their clients reconnect.
    server.closeIdleConnections();
    logger.info('tls files reloaded', { files: { ...opts.tls } });
    return { ok: true };
  };

  const watched: string[] = [];
  let debounce: NodeJS.Timeout | undefined;
  if (opts.watchFiles) {
    const interval = opts.watchIntervalMs ?? 1000;
    const onChange = (current: Stats, previous: Stats): void => {
      if (current.mtimeMs === previous.mtimeMs && current.size === previous.size && current.ino === previous.ino) return;
      if (debounce) clearTimeout(debounce);
      debounce = setTimeout(() => {
        debounce = undefined;
        reload();
      }, Math.min(interval, 250));
    };
    for (const file of new Set([opts.tls.ca, opts.tls.cert, opts.tls.key, opts.tls.crl])) {
      watchFile(file, { interval, persistent: false }, onChange);
      watched.push(file);
    }
  }

  const listen = (port: number, host: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });

  const close = (): Promise<void> => {
    for (const file of watched.splice(0)) unwatchFile(file);
    if (debounce) clearTimeout(debounce);
    return new Promise((resolve) => {
      if (!server.listening) {
        server.closeAllConnections();
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  return { server, listen, reload, close };
}
