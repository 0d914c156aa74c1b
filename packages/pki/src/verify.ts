/**
 * @qsen/pki/verify: what a node's TLS gate reads at start, at each reload and per request (CRL
 * contents, a client certificate's subject and signature hash, serials). It loads no node-forge and
 * no issuance code: core, qsen and kan import this entry, never the package root (lint-enforced).
 */
export { PkiError, pkiErrorCodes, type PkiErrorCode } from './errors.js';
export { describeCrl, CRL_TAKES_EFFECT_WITHIN_S, type CrlInfo } from './crl-info.js';
export { readCertificateStructure, organizationalUnitsOf, OU_OID, type CertificateStructure, type NameAttribute } from './structure.js';
export { normalizeSerial } from './serials.js';
export { ROLES, type Role } from './roles.js';
