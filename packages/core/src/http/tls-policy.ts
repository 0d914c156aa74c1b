/**
 * The TLS policy of every QSen endpoint (docs/api.md §2): TLS 1.2 minimum, ECDHE key
 * exchange with AEAD ciphers only, server cipher order, client certificate requested.
 */
import { constants } from 'node:crypto';

/** The lowest protocol version accepted. */
export const TLS_MIN_VERSION = 'TLSv1.2';

/** TLS 1.2 suites: ECDHE (forward secrecy) + AEAD (GCM or ChaCha20-Poly1305) only, strongest preferred. */
export const TLS12_CIPHERS: readonly string[] = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
];

/**
 * TLS 1.3 suites (all AEAD). They must be listed explicitly: Node disables TLS 1.3 when the
 * `ciphers` string names no TLS 1.3 suite.
 */
export const TLS13_CIPHERSUITES: readonly string[] = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
];

/** The `ciphers` option string given to Node (TLS 1.3 suites first, then TLS 1.2). */
export const TLS_CIPHERS = [...TLS13_CIPHERSUITES, ...TLS12_CIPHERS].join(':');

/** OpenSSL options: no renegotiation (TLS 1.2), no compression. */
export const TLS_SECURE_OPTIONS = constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION;

/** Handshake deadline: a client that has not finished the handshake by then is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** HTTP: time allowed to receive a request's headers. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** HTTP: time allowed to receive a whole request (headers and body). */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** HTTP: idle keep-alive connections are closed after this. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The HSTS header value sent on every response (one year). */
export const HSTS_VALUE = 'max-age=31536000';

/** OID of the clientAuth extended key usage. */
export const CLIENT_AUTH_EKU_OID = '1.3.6.1.5.5.7.3.2';
