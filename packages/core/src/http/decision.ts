/**
 * The accept/refuse decision for one TLS connection (docs/api.md §2), a pure function of
 * what the handshake established, so that every case (including non-loopback peers, which a
 * test on one machine cannot produce) is tested with literal inputs.
 */
import { isLoopbackAddress } from './loopback.js';

/** What the handshake of one connection established. */
export interface ConnectionFacts {
  /** OpenSSL verified the presented chain against the CA and CRL (TLSSocket.authorized). */
  authorized: boolean;
  /** OpenSSL's reason when not authorized, e.g. "CERT_HAS_EXPIRED" (TLSSocket.authorizationError). */
  authorizationError?: string | undefined;
  /** The client presented a certificate at all. */
  hasCertificate: boolean;
  /** The presented certificate's extended key usage includes clientAuth (1.3.6.1.5.5.7.3.2). */
  clientAuthEku: boolean;
  /** The first rule of the client certificate policy (client-policy.ts) the certificate breaks, if any. */
  policyViolation?: string | undefined;
  /** The peer's address as Node reports it. */
  remoteAddress: string | undefined;
}

/** The verdict: accept (with a valid certificate, or none from loopback) or refuse with a reason code. */
export type ConnectionDecision =
  | { accept: true; certificate: 'valid' | 'absent'; loopback: boolean }
  | { accept: false; reason: string };

/** Reason code: a verified certificate without the clientAuth extended key usage. */
export const REASON_NO_CLIENT_AUTH_EKU = 'CERT_NO_CLIENT_AUTH_EKU';
/** Reason code: no client certificate from a non-loopback peer. */
export const REASON_NO_CERTIFICATE = 'NO_CLIENT_CERTIFICATE';
/** Reason code: a certificate OpenSSL did not authorize without saying why. */
export const REASON_NOT_AUTHORIZED = 'CERT_NOT_AUTHORIZED';

/**
 * OpenSSL reasons that do not say what is wrong: OpenSSL 3 reports a certificate its security level
 * refuses (a SHA-1 signature) as UNSPECIFIED. The policy's own reason replaces them.
 */
const VAGUE_REASONS: ReadonlySet<string> = new Set(['UNSPECIFIED', REASON_NOT_AUTHORIZED]);

/** Decides whether a freshly handshaken connection may reach HTTP. */
export function decideConnection(facts: ConnectionFacts): ConnectionDecision {
  const loopback = isLoopbackAddress(facts.remoteAddress);
  if (facts.hasCertificate) {
    // A presented certificate must be fully valid, from any address (loopback included).
    if (!facts.authorized) {
      const openssl = facts.authorizationError || REASON_NOT_AUTHORIZED;
      return { accept: false, reason: VAGUE_REASONS.has(openssl) && facts.policyViolation ? facts.policyViolation : openssl };
    }
    if (!facts.clientAuthEku) return { accept: false, reason: REASON_NO_CLIENT_AUTH_EKU };
    if (facts.policyViolation) return { accept: false, reason: facts.policyViolation };
    return { accept: true, certificate: 'valid', loopback };
  }
  if (loopback) return { accept: true, certificate: 'absent', loopback };
  return { accept: false, reason: REASON_NO_CERTIFICATE };
}
