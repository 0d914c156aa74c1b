/**
 * The mutual-TLS HTTPS server (docs/api.md §2). OpenSSL requests a client certificate but
 * does not abort the handshake; each connection is then judged by decideConnection before any
 * HTTP is read, and refused connections are closed, logged and counted. The TLS material comes
 * from a TrustStore: at each change the new context is installed, idle connections are closed,
 * and open connections whose certificate the new material no longer trusts (revoked, or not
 * issued by the new CA) are cut; each request is checked against the material in force as well.
 */
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type winston from 'winston';
import type { TlsMetrics } from '../metrics/tls.js';
import { decideConnection } from './decision.js';
import { applyConnectionLimits, CONNECTION_LIMITS, reportRefusals, type ConnectionLimits } from './limits.js';
import { readConnectionFacts, readPeerCertificate, readPeerIdentity } from './peer.js';
import {
  HTTP_HEADERS_TIMEOUT_MS,
  HTTP_KEEP_ALIVE_TIMEOUT_MS,
  HTTP_REQUEST_TIMEOUT_MS,
  TLS_HANDSHAKE_TIMEOUT_MS,
} from './tls-policy.js';
import { judgeOpenCertificate, type ReloadResult, type TrustMaterial, type TrustStore } from './trust-store.js';

/** A running (or ready to run) mutual-TLS server. */
export interface MtlsServer {
  server: Server;
  /** The TLS material it serves with. */
  trust: TrustStore;
  /** Listens and resolves with the bound port (pass 0 for any free port). */
  listen(port: number, host: string): Promise<number>;
  /** Re-reads the TLS files; on any problem keeps the current context and reports the error. */
  reload(): ReloadResult;
  /** Stops listening, closes every connection and stops watching files. */
  close(): Promise<void>;
}

/** What createMtlsServer needs. */
export interface MtlsServerOptions {
  trust: TrustStore;
  /** The application every admitted request goes to (an express app, or any request listener). */
  app: (req: IncomingMessage, res: ServerResponse) => void;
  logger: winston.Logger;
  metrics?: TlsMetrics;
  /** Reload when the TLS files change (TrustStore.watch). */
  watchFiles?: boolean;
  /** Poll period of the file watch (default TLS_WATCH_INTERVAL_MS). */
  watchIntervalMs?: number;
  /** Per-source connection and handshake limits (default CONNECTION_LIMITS; see limits.ts). */
  connectionLimits?: ConnectionLimits;
}

/** An accepted connection that presented a certificate, and the material generation it was last checked against. */
interface OpenPeer {
  serial: string;
  subject: string;
  x509: X509Certificate;
  checked: number;
}

/** Creates the HTTPS server for `app` with the mutual-TLS policy; call listen() to start it. */
export function createMtlsServer(opts: MtlsServerOptions): MtlsServer {
  const { logger, metrics, trust } = opts;
  const refuse = (remoteAddress: string | undefined, reason: string, subject: string | undefined, open = false): void => {
    logger.warn('tls connection refused', { remoteAddress: remoteAddress ?? null, reason, subject: subject ?? null, ...(open ? { open: true } : {}) });
    metrics?.rejectedConnections.inc({ reason });
  };

  // Connections with a certificate, re-judged whenever the material changes.
  const peersWithCertificate = new Map<TLSSocket, OpenPeer>();
  /** Cuts `socket` when the material in force no longer trusts its certificate; true when it did. */
  const cutIfUntrusted = (socket: TLSSocket, material: TrustMaterial): boolean => {
    const peer = peersWithCertificate.get(socket);
    if (peer === undefined || peer.checked === material.generation) return false;
    const reason = judgeOpenCertificate(material, peer);
    if (reason === undefined) {
      peer.checked = material.generation;
      return false;
    }
    peersWithCertificate.delete(socket);
    refuse(socket.remoteAddress, reason, peer.subject, true);
    socket.destroy();
    return true;
  };

  // Every request is checked against the material in force before the application sees it.
  const gate = (req: IncomingMessage, res: ServerResponse): void => {
    if (cutIfUntrusted(req.socket as TLSSocket, trust.current())) return;
    opts.app(req, res);
  };
  const server = createServer({
    ...trust.current().options,
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    headersTimeout: HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS,
  }, gate);

  // Floods: a source over its connection or handshake limit is closed at accept (limits.ts).
  applyConnectionLimits(server, opts.connectionLimits ?? CONNECTION_LIMITS, reportRefusals(logger, metrics ? (reason) => metrics.rejectedConnections.inc({ reason }) : undefined));

  // Remember each raw connection's peer address: a socket that failed its handshake may no longer know it.
  const peers = new WeakMap<Socket, string | undefined>();
  server.prependListener('connection', (socket: Socket) => {
    peers.set(socket, socket.remoteAddress);
  });

  // Runs before the HTTP layer's own listener, so a refused socket is gone before any request is read.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const facts = readConnectionFacts(socket);
    const decision = decideConnection(facts);
    const identity = readPeerIdentity(socket);
    if (!decision.accept) {
      refuse(facts.remoteAddress, decision.reason, identity?.subject);
      socket.destroy();
      return;
    }
    const x509 = readPeerCertificate(socket);
    if (identity === undefined || x509 === undefined) return;
    // OpenSSL has just verified it against the material in force.
    peersWithCertificate.set(socket, { serial: identity.serial, subject: identity.subject, x509, checked: trust.current().generation });
    socket.once('close', () => peersWithCertificate.delete(socket));
  });

  // Handshake failures: wrong protocol version, no shared cipher, plain HTTP, handshake timeout.
  server.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const remoteAddress = socket.remoteAddress ?? (raw ? peers.get(raw) : undefined);
    refuse(remoteAddress, err.code ?? 'TLS_HANDSHAKE_FAILED', undefined);
    socket.destroy();
  });

  const unsubscribe = trust.onChange((material) => {
    server.setSecureContext(material.options);
    // Idle keep-alive connections were verified against the old material: make their clients reconnect.
    server.closeIdleConnections();
    for (const socket of [...peersWithCertificate.keys()]) cutIfUntrusted(socket, material);
  });
  if (opts.watchFiles) trust.watch(opts.watchIntervalMs === undefined ? {} : { intervalMs: opts.watchIntervalMs });

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
    unsubscribe();
    trust.close();
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

  return { server, trust, listen, reload: () => trust.reload(), close };
}
