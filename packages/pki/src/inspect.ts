/**
 * @qsen/pki/inspect: what a node reads about its own identity (a certificate's summary, whether a
 * key matches it, an encrypted key opened with its passphrase). No node-forge (the DER reader and
 * node:crypto); qsen imports it at start, kan on its first status call.
 */
export { PkiError, pkiErrorCodes, type PkiErrorCode } from './errors.js';
export { describeCertificate, type CertificateInfo } from './describe.js';
export { decryptPrivateKey, keyMatchesCertificate } from './keys.js';
