/**
 * Reads what a TLS socket's handshake established: the facts for the connection decision
 * and the client's identity (subject, OU, serial).
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ConnectionFacts } from './decision.js';
import { CLIENT_AUTH_EKU_OID } from './tls-policy.js';

/** The identity in a client certificate. */
export interface PeerIdentity {
  /** The subject as "CN=..., OU=..., O=...". */
  subject: string;
  /** The subject's organisational units. */
  ous: readonly string[];
  /** Serial number, upper-case hex. */
  serial: string;
}

/** The handshake facts of `socket` (a plain socket counts as "no certificate"). */
export function readConnectionFacts(socket: Socket): ConnectionFacts {
  if (!(socket instanceof TLSSocket)) {
    return { authorized: false, authorizationError: undefined, hasCertificate: false, clientAuthEku: false, remoteAddress: socket.remoteAddress };
  }
  const x509 = socket.getPeerX509Certificate();
  const error = socket.authorizationError as Error | string | null | undefined;
  return {
    authorized: socket.authorized,
    authorizationError: error === null || error === undefined ? undefined : typeof error === 'string' ? error : readErrorCode(error),
    hasCertificate: x509 !== undefined,
    clientAuthEku: x509?.keyUsage?.includes(CLIENT_AUTH_EKU_OID) ?? false,
    remoteAddress: socket.remoteAddress,
  };
}

/** The presented client certificate's identity, or undefined when none was presented. */
export function readPeerIdentity(socket: Socket): PeerIdentity | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const x509 = socket.getPeerX509Certificate();
  if (x509 === undefined) return undefined;
  const parts = x509.subject.split('\n').filter((part) => part !== '');
  const ous = parts.filter((part) => part.startsWith('OU=')).map((part) => part.slice(3));
  return { subject: parts.join(', '), ous, serial: x509.serialNumber.toUpperCase() };
}

function readErrorCode(error: Error): string {
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}
