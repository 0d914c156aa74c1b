/**
 * Reads what a TLS socket's handshake established: the facts for the connection decision
 * (chain verdict, clientAuth usage, the client certificate policy) and the client's identity
 * (subject, OUs of every RDN, serial). The certificate is read from OpenSSL once per socket
 * (getPeerX509Certificate builds a new object each call) and everything is remembered.
 */
import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { normalizeSerial, organizationalUnitsOf, readCertificateStructure, type CertificateStructure } from '@qsen/pki/verify';
import { judgeClientCertificate, type ClientCertificateFacts } from './client-policy.js';
import type { ConnectionFacts } from './decision.js';
import { CLIENT_AUTH_EKU_OID } from './tls-policy.js';

/** The identity in a client certificate. */
export interface PeerIdentity {
  /** The subject as "CN=..., OU=..., O=..." (a multi-valued RDN as "CN=x + OU=y"). */
  subject: string;
  /** The subject's organisational units, across every RDN (multi-valued ones included). */
  ous: readonly string[];
  /** Serial number, upper-case hex without leading zeros (as in the CRL and revoked.json). */
  serial: string;
}

/** What one socket's handshake established, read once. */
interface PeerReading {
  facts: ConnectionFacts;
  identity: PeerIdentity | undefined;
  x509: X509Certificate | undefined;
}

const readings = new WeakMap<Socket, PeerReading>();

/** The policy facts of a certificate; a certificate whose structure cannot be read breaks the signature rule. */
export function readClientCertificateFacts(x509: X509Certificate, structure: CertificateStructure | undefined): ClientCertificateFacts {
  const details = x509.publicKey.asymmetricKeyDetails;
  return {
    isCa: x509.ca,
    organizationalUnits: structure ? organizationalUnitsOf(structure).length : 0,
    keyType: x509.publicKey.asymmetricKeyType,
    keyBits: details?.modulusLength,
    curve: details?.namedCurve,
    signatureHash: structure?.signatureHash ?? 'unknown',
  };
}

function readStructure(x509: X509Certificate): CertificateStructure | undefined {
  try {
    return readCertificateStructure(x509.raw);
  } catch {
    return undefined;
  }
}

function readErrorCode(error: Error): string {
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' ? code : error.message;
}

function readSocket(socket: TLSSocket): PeerReading {
  const known = readings.get(socket);
  if (known) return known;
  const x509 = socket.getPeerX509Certificate();
  const error = socket.authorizationError as Error | string | null | undefined;
  const structure = x509 ? readStructure(x509) : undefined;
  const facts: ConnectionFacts = {
    authorized: socket.authorized,
    authorizationError: error === null || error === undefined ? undefined : typeof error === 'string' ? error : readErrorCode(error),
    hasCertificate: x509 !== undefined,
    clientAuthEku: x509?.keyUsage?.includes(CLIENT_AUTH_EKU_OID) ?? false,
    policyViolation: x509 ? judgeClientCertificate(readClientCertificateFacts(x509, structure)) : undefined,
    remoteAddress: socket.remoteAddress,
  };
  const identity = x509 === undefined ? undefined : {
    subject: x509.subject.split('\n').filter((part) => part !== '').join(', '),
    ous: structure ? organizationalUnitsOf(structure) : [],
    serial: normalizeSerial(x509.serialNumber),
  };
  // Read after the handshake (secureConnection, then each request): what it established does not change.
  const reading = { facts, identity, x509 };
  readings.set(socket, reading);
  return reading;
}

/** The handshake facts of `socket` (a plain socket counts as "no certificate"). */
export function readConnectionFacts(socket: Socket): ConnectionFacts {
  if (!(socket instanceof TLSSocket)) {
    return { authorized: false, authorizationError: undefined, hasCertificate: false, clientAuthEku: false, policyViolation: undefined, remoteAddress: socket.remoteAddress };
  }
  return readSocket(socket).facts;
}

/** The presented client certificate (the one reading of the socket's), or undefined when none was presented. */
export function readPeerCertificate(socket: Socket): X509Certificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  return readSocket(socket).x509;
}

/** The presented client certificate's identity, or undefined when none was presented. */
export function readPeerIdentity(socket: Socket): PeerIdentity | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  return readSocket(socket).identity;
}
