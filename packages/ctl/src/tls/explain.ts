/**
 * Turns a failed connection into words an operator can act on. When the server closes the
 * connection during or right after the handshake, the reason is read from the local client
 * certificate (expired, not yet valid, not signed by the CA in use, no clientAuth usage); when
 * this side refuses the server's certificate, the reason is the verification code.
 */
import { X509Certificate } from 'node:crypto';
import { createCtlError, type CtlError } from '../errors.js';
import { errorMessage } from '@qsen/core/errors';

/** What the explanation needs to know about the attempt. */
export interface ConnectionContext {
  readonly host: string;
  readonly port: number;
  /** Node name for messages: qsen, kan 0, ... */
  readonly node: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly caPem: Buffer;
  readonly certPem: Buffer;
  /** Whether this side had completed the TLS handshake when the error came. */
  readonly handshakeDone: boolean;
  readonly now: Date;
}

/** Verification codes with which this side refuses the server's certificate. */
const SERVER_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED', 'CERT_REVOKED', 'INVALID_CA', 'CERT_REJECTED',
]);

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** The calendar day (UTC) of a certificate date. */
function formatDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Why the local client certificate would be refused, or undefined when it looks acceptable. */
export function diagnoseClientCertificate(certPem: Buffer, caPem: Buffer, caFile: string, now: Date): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'the certificate file cannot be read as X.509';
  }
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  if (notAfter.getTime() < now.getTime()) return `it expired on ${formatDay(notAfter)}`;
  if (notBefore.getTime() > now.getTime()) return `it is not valid before ${formatDay(notBefore)}`;
  let trusted = false;
  try {
    const ca = new X509Certificate(caPem);
    trusted = cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    trusted = false;
  }
  if (!trusted) return `this certificate is not trusted by the CA at ${caFile}`;
  const usages = cert.keyUsage;
  if (Array.isArray(usages) && usages.length > 0 && !usages.includes(CLIENT_AUTH_OID)) return 'it lacks the clientAuth extended key usage';
  return undefined;
}

/** Builds the failure for a transport error (connection, timeout, TLS) with its explanation. */
export function explainTransportError(err: unknown, ctx: ConnectionContext): CtlError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const where = `${ctx.node} at ${ctx.host}:${ctx.port}`;
  const details = { node: ctx.node, host: ctx.host, port: ctx.port, cause: code || String(err) };
  if (code === 'ECONNREFUSED') return createCtlError('CONNECTION_REFUSED', `connection refused by ${where}: nothing listens there (is ${ctx.node} running?)`, { details, cause: err });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return createCtlError('HOST_NOT_FOUND', `host ${ctx.host} not found (${code})`, { details, cause: err });
  if (code === 'ETIMEDOUT' || code === 'QSENCTL_TIMEOUT') return createCtlError('TIMEOUT', `${where} did not answer in time`, { details, cause: err });
  if (SERVER_VERIFY_CODES.has(code)) {
    const reason = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? `it is not issued for the host name '${ctx.host}'`
      : code === 'CERT_HAS_EXPIRED' ? 'it has expired'
        : code === 'CERT_NOT_YET_VALID' ? 'it is not valid yet'
          : `it is not trusted by the CA at ${ctx.caFile}`;
    return createCtlError('SERVER_CERTIFICATE_UNTRUSTED', `the server certificate of ${where} is not trusted: ${reason} (${code})`, { details, cause: err });
  }
  // A TLS alert the server sent (bad certificate, unknown CA, certificate required) may come as
  // EPROTO with the alert in the message (OpenSSL 3 on TLS 1.2): that is a refusal too, whereas
  // EPROTO without an alert (e.g. "wrong version number": something else holds the port) is not.
  const message = errorMessage(err);
  const alert = /ALERT/.test(code) || (code === 'EPROTO' && /alert/i.test(message));
  const refusal = ctx.handshakeDone || code === 'ECONNRESET' || code === 'EPIPE' || alert || /SSL|TLS/.test(code);
  if (refusal) {
    const why = diagnoseClientCertificate(ctx.certPem, ctx.caPem, ctx.caFile, ctx.now);
    if (why !== undefined) {
      return createCtlError('CLIENT_CERTIFICATE_REFUSED', `${where}: the server refused this certificate (${ctx.certFile}): ${why}`, { details: { ...details, reason: why }, cause: err });
    }
    if (ctx.handshakeDone || alert) {
      return createCtlError('CLIENT_CERTIFICATE_REFUSED',
        `${where}: the server refused this certificate (${ctx.certFile}): it may be revoked (on the CRL) or issued by a CA the server does not trust`,
        { details, cause: err });
    }
  }
  if (code === 'EPROTO') {
    return createCtlError('CONNECTION_FAILED', `connection to ${where} failed: what answers there does not speak TLS as ${ctx.node} does (${message}); is another program holding port ${ctx.port}?`, { details, cause: err });
  }
  return createCtlError('CONNECTION_FAILED', `connection to ${where} failed: ${code || (err as Error | undefined)?.message || String(err)}`, { details, cause: err });
}
