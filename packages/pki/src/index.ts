// @qsen/pki: the cluster's certificates, keys, CRL and PKCS#12 files (node-forge, SHA-256, RSA 2048).
export { PkiError, pkiErrorCodes, type PkiErrorCode } from './errors.js';
export { ROLES, type Role } from './roles.js';
export {
  createCa, issueServerCertificate, issueClientCertificate, isSignedBy, generateSerialNumber,
  DEFAULT_VALID_DAYS, DEFAULT_ORGANIZATION,
  type Identity, type ExtendedKeyUsage, type IssueCommonOptions, type CreateCaOptions,
  type ServerCertificateOptions, type ClientCertificateOptions,
} from './certificates.js';
export { encryptPrivateKey, RSA_KEY_BITS } from './forge-keys.js';
export { decryptPrivateKey, keyMatchesCertificate } from './keys.js';
export { createCrl, describeCrl, DEFAULT_CRL_NEXT_UPDATE_DAYS, type CrlOptions, type CrlInfo, type RevokedEntry } from './crl.js';
export { exportPkcs12, type Pkcs12Options } from './pkcs12.js';
export { describeCertificate, type CertificateInfo } from './describe.js';
export { normalizeSerial } from './serials.js';
export { CLUSTER_PKI_FILES, clientFiles, roleFiles } from './cluster/paths.js';
export { initClusterPki, stripLineEnd, LOOPBACK_HOSTS, SENEBI_AGENT_COMMON_NAME, SENEBI_AGENT_OU, type ClusterPkiOptions, type ClusterPkiReport } from './cluster/init.js';
export {
  revokeCertificate, renewCrl, listRevoked, readClusterCa, mergeRevocations, CRL_RENEW_BEFORE_DAYS, CRL_TAKES_EFFECT_WITHIN_S,
  type RevocationRecord, type RevocationRecordEntry, type RevokeResult,
} from './cluster/revocation.js';
export {
  issueClientIdentity, renewIdentity, parseRole, validateClientName,
  type IssueClientIdentityOptions, type IssuedClientIdentity, type RenewOptions, type RenewResult,
} from './cluster/clients.js';
export { readCertificateStructure, organizationalUnitsOf, OU_OID, type CertificateStructure, type NameAttribute } from './structure.js';
