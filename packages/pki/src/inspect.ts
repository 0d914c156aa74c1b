/**
 * @qsen/pki/inspect: what a node reads about its own identity (a certificate's summary, whether a
 * key matches it, an encrypted key opened with its passphrase). It loads node-forge, so a node
 * imports it where it is needed (qsen at start; kan on the first status call), never at idle.
 */
export { PkiError, pkiErrorCodes, type PkiErrorCode } from './errors.js';
export { describeCertificate, type CertificateInfo } from './describe.js';
export { decryptPrivateKey, keyMatchesCertificate } from './keys.js';
