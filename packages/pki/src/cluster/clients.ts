import { existsSync, renameSync } from 'node:fs';
import { issueClientCertificate, issueServerCertificate, type Identity } from '../certificates.js';
import { ROLES, type Role } from '../roles.js';
import { describeCertificate } from '../describe.js';
import { PkiError } from '../errors.js';
import { keyMatchesCertificate, readX509 } from '../keys.js';
import { exportPkcs12 } from '../pkcs12.js';
import { readCertificateStructure } from '../structure.js';
import { ensureDir, MODES, readRequired, writeNewFile } from './files.js';
import { CLUSTER_PKI_FILES, clientFiles, resolveIn } from './paths.js';
import { readClusterCa, revokeCertificate } from './revocation.js';

/** Options of `issueClientIdentity`. */
export interface IssueClientIdentityOptions { validDays?: number; now?: Date; organization?: string; p12Password?: string }

/** What `issueClientIdentity` wrote (paths relative to the state folder). */
export interface IssuedClientIdentity { name: string; role: Role; serial: string; notAfter: string; certPath: string; keyPath: string; p12Path?: string }

/** Options of `renewIdentity`. */
export interface RenewOptions { validDays?: number; now?: Date; revokeOld?: boolean; hosts?: string[] }

/** What `renewIdentity` did (paths relative to the state folder). */
export interface RenewResult { target: string; oldSerial: string; newSerial: string; notAfter: string; archived: string[]; oldRevoked: boolean }

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a client identity name (it becomes a file name and the certificate's CN). */
export function validateClientName(name: string): string {
  if (!NAME_PATTERN.test(name) || name.endsWith('.p12') || name === 'archive') {
    throw new PkiError('INVALID_ARGUMENT', `client name ${JSON.stringify(name)} must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
  return name;
}

/** Checks that a text is one of the roles. */
export function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new PkiError('INVALID_ARGUMENT', `role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  return role as Role;
}

/**
 * Issues a new client identity of the cluster CA: `pki/clients/<name>.crt` and `.key` (CN = name, OU = role),
 * plus `<name>.p12` (mode 0600) when a PKCS#12 password is given. Never replaces an existing identity.
 */
export function issueClientIdentity(home: string, role: Role, name: string, opts: IssueClientIdentityOptions = {}): IssuedClientIdentity {
  parseRole(role);
  validateClientName(name);
  const files = clientFiles(name);
  for (const rel of [files.cert, files.key, ...(opts.p12Password !== undefined ? [files.p12] : [])]) {
    if (existsSync(resolveIn(home, rel))) throw new PkiError('ALREADY_EXISTS', `${rel} already exists; choose another name or renew it`);
  }
  const ca = readClusterCa(home);
  ensureDir(resolveIn(home, CLUSTER_PKI_FILES.clientsDir), MODES.privateDir);
  const identity = issueClientCertificate(ca, { commonName: name, ou: role, validDays: opts.validDays, now: opts.now, organization: opts.organization });
  writeNewFile(resolveIn(home, files.key), identity.keyPem, MODES.privateFile);
  writeNewFile(resolveIn(home, files.cert), identity.certPem, MODES.publicFile);
  const info = describeCertificate(identity.certPem, opts.now);
  const result: IssuedClientIdentity = { name, role, serial: info.serial, notAfter: info.notAfter, certPath: files.cert, keyPath: files.key };
  if (opts.p12Password !== undefined) {
    const p12 = exportPkcs12(identity, { password: opts.p12Password, caPem: ca.certPem, friendlyName: name });
    writeNewFile(resolveIn(home, files.p12), p12, MODES.privateFile);
    result.p12Path = files.p12;
  }
  return result;
}

/** One subject attribute (the first "CN", "OU", "O", ...) of a certificate PEM as text; undefined when absent. */
function readSubjectField(certPem: string, type: string): string | undefined {
  return readCertificateStructure(readX509(certPem).raw).subject.flat().find((attribute) => attribute.type === type)?.value;
}

/**
 * Renews the nodes' server certificate (`target` = "server") or a client identity (`target` = its name):
 * a new key and certificate with the same subject, role and SANs (plus `hosts`) and a fresh validity.
 * The old pair moves to `pki/archive/<target>-<serial>.crt|.key`; with `revokeOld` its serial is also revoked.
 */
export function renewIdentity(home: string, target: string, opts: RenewOptions = {}): RenewResult {
  const now = opts.now ?? new Date();
  const isServer = target === 'server';
  if (!isServer) validateClientName(target);
  const certRel = isServer ? CLUSTER_PKI_FILES.serverCert : clientFiles(target).cert;
  const keyRel = isServer ? CLUSTER_PKI_FILES.serverKey : clientFiles(target).key;
  const oldCert = readRequired(resolveIn(home, certRel), `the certificate ${certRel}`);
  const oldKey = readRequired(resolveIn(home, keyRel), `the key ${keyRel}`);
  if (!keyMatchesCertificate(oldKey, oldCert)) throw new PkiError('CA_MISMATCH', `${keyRel} does not belong to ${certRel}`);
  const old = describeCertificate(oldCert, now);
  const ca = readClusterCa(home);
  const commonName = readSubjectField(oldCert, 'CN') ?? target;
  const organization = readSubjectField(oldCert, 'O');
  let fresh: Identity;
  if (isServer) {
    const hosts = [...old.subjectAltNames.map((san) => san.replace(/^(DNS|IP):/, '')), ...(opts.hosts ?? [])];
    fresh = issueServerCertificate(ca, { commonName, hosts, validDays: opts.validDays, now, organization });
  } else {
    if (old.organizationalUnit === undefined) throw new PkiError('INVALID_CERTIFICATE', `${certRel} has no OU (role)`);
    const extKeyUsage = old.extKeyUsage.filter((u): u is 'clientAuth' | 'serverAuth' => u === 'clientAuth' || u === 'serverAuth');
    fresh = issueClientCertificate(ca, { commonName, ou: old.organizationalUnit, extKeyUsage: extKeyUsage.length > 0 ? extKeyUsage : ['clientAuth'], validDays: opts.validDays, now, organization });
  }
  const archiveDir = resolveIn(home, CLUSTER_PKI_FILES.archiveDir);
  ensureDir(archiveDir, MODES.privateDir);
  const archivedCert = `${CLUSTER_PKI_FILES.archiveDir}/${target}-${old.serial}.crt`;
  const archivedKey = `${CLUSTER_PKI_FILES.archiveDir}/${target}-${old.serial}.key`;
  if (existsSync(resolveIn(home, archivedCert)) || existsSync(resolveIn(home, archivedKey))) {
    throw new PkiError('ALREADY_EXISTS', `${archivedCert} already exists`);
  }
  renameSync(resolveIn(home, keyRel), resolveIn(home, archivedKey));
  renameSync(resolveIn(home, certRel), resolveIn(home, archivedCert));
  const archived = [archivedCert, archivedKey];
  if (!isServer) {
    // A PKCS#12 file of the old pair is stale: it moves along with it.
    const files = clientFiles(target);
    for (const [rel, suffix] of [[files.p12, 'p12'], [files.p12Password, 'p12.pass']] as const) {
      if (!existsSync(resolveIn(home, rel))) continue;
      const dest = `${CLUSTER_PKI_FILES.archiveDir}/${target}-${old.serial}.${suffix}`;
      renameSync(resolveIn(home, rel), resolveIn(home, dest));
      archived.push(dest);
    }
  }
  writeNewFile(resolveIn(home, keyRel), fresh.keyPem, MODES.privateFile);
  writeNewFile(resolveIn(home, certRel), fresh.certPem, MODES.publicFile);
  let oldRevoked = false;
  if (opts.revokeOld) oldRevoked = !revokeCertificate(home, oldCert, { now }).alreadyRevoked;
  const info = describeCertificate(fresh.certPem, now);
  return { target, oldSerial: old.serial, newSerial: info.serial, notAfter: info.notAfter, archived, oldRevoked };
}
