/**
 * The simulator's HTTPS server with mutual TLS: the client must present a certificate that
 * chains to the SENEBI CA (the TLS layer refuses anything else), and that certificate must be
 * the agent's (same SHA-256 fingerprint as senebi/agent.crt, or same subject CN, e.g. a
 * renewed agent certificate). Any other peer is disconnected before HTTP is read.
 */
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Express } from 'express';
import { TLS_CIPHERS, TLS_MIN_VERSION, type LogSink } from '@qsen/core';

/** The agent certificate the simulator trusts. */
export interface TrustedAgent {
  readonly fingerprint256: string;
  readonly commonName: string | undefined;
}

/** PEM material of the server. */
export interface SimulatorTls {
  /** The SENEBI CA (signs the agent's certificate). */
  readonly ca: string | Buffer;
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly agent: TrustedAgent;
}

/** Reads the fingerprint and CN of the agent's certificate (PEM). */
export function describeTrustedAgent(agentCertPem: string | Buffer): TrustedAgent {
  const cert = new X509Certificate(agentCertPem);
  const cn = cert.subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3);
  return { fingerprint256: cert.fingerprint256, commonName: cn };
}

/** Tells whether a verified peer certificate is the agent's. */
export function isTrustedAgent(peer: { readonly fingerprint256?: string; readonly subject?: { readonly CN?: unknown } } | undefined, agent: TrustedAgent): boolean {
  if (!peer || !peer.fingerprint256) return false;
  if (peer.fingerprint256 === agent.fingerprint256) return true;
  const cn: unknown = peer.subject?.CN;
  return agent.commonName !== undefined && typeof cn === 'string' && cn === agent.commonName;
}

/** Creates the mutual-TLS server for an app (not listening yet). */
export function createSimulatorServer(app: Express, tls: SimulatorTls, logger: LogSink): Server {
  const server = createServer({
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
  }, app);
  server.on('secureConnection', (socket: TLSSocket) => {
    const peer: PeerCertificate | undefined = socket.getPeerCertificate();
    if (socket.authorized && isTrustedAgent(peer, tls.agent)) return;
    logger.warn('client refused: not the agent certificate', { remoteAddress: socket.remoteAddress, subject: peer?.subject?.CN });
    socket.destroy();
  });
  server.on('tlsClientError', (err: Error, socket: Socket) => {
    logger.warn('TLS handshake refused', { remoteAddress: socket.remoteAddress, error: err.message });
  });
  return server;
}
