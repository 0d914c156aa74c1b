import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  createCa, issueClientCertificate, issueServerCertificate, isSignedBy, type Identity,
} from '../certificates.js';
import { ROLES } from '../roles.js';
import { PkiError } from '../errors.js';
import { encryptPrivateKey } from '../forge-keys.js';
import { decryptPrivateKey, keyMatchesCertificate } from '../keys.js';
import { ensureDir, MODES, readOptional, writeNewFile } from './files.js';
import { CLUSTER_PKI_FILES, roleFiles, resolveIn } from './paths.js';
import { crlNeedsRewrite, mergeRevocations, readCrlOf, readRevocationRecord, sameRecord, writeRevocationRecord, writeRevocationState } from './revocation.js';

/** Options of `initClusterPki`. */
export interface ClusterPkiOptions {
  hosts?: string[];
  organization?: string;
  now?: Date;
  senebiPassphrase?: string;
  /** Also make the SENEBI side (simulator CA, server certificate, agent identity); default true. False in production, where BYMA provides it. */
  includeSenebi?: boolean;
}

/** What `initClusterPki` did, as paths relative to the state folder. */
export interface ClusterPkiReport { created: string[]; kept: string[] }

/** Hosts every server certificate of the layout covers. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Subject CN of the SENEBI agent's test identity. */
export const SENEBI_AGENT_COMMON_NAME = 'agent-test-identity';
/** Subject OU of the SENEBI agent's test identity. */
export const SENEBI_AGENT_OU = 'senebi-agent';

interface Tracker { home: string; report: ClusterPkiReport }

interface IdentitySpec {
  certRel: string;
  keyRel: string;
  /** Issues the certificate, for a new key (undefined) or for the existing one. */
  issue: (keyPem: string | undefined) => Identity;
  /** The CA that must have signed an existing certificate (undefined: self-signed CA). */
  signerCertPem: string | undefined;
  readKey?: (stored: string) => string;
  writeKey?: (keyPem: string) => string;
}

/** Makes sure a certificate and its key exist: keeps what is there, fills in only what is missing, never replaces. */
function ensureIdentity(t: Tracker, spec: IdentitySpec): Identity {
  const certPath = resolveIn(t.home, spec.certRel);
  const keyPath = resolveIn(t.home, spec.keyRel);
  const storedCert = readOptional(certPath);
  const storedKey = readOptional(keyPath);
  const readKey = spec.readKey ?? ((s: string) => s);
  const writeKey = spec.writeKey ?? ((k: string) => k);
  if (storedCert !== undefined && storedKey === undefined) {
    throw new PkiError('INCOMPLETE_IDENTITY', `${spec.certRel} exists without ${spec.keyRel}; move the certificate aside to have both made anew`);
  }
  if (storedCert !== undefined && storedKey !== undefined) {
    const keyPem = readKey(storedKey);
    if (!keyMatchesCertificate(keyPem, storedCert)) throw new PkiError('CA_MISMATCH', `${spec.keyRel} does not belong to ${spec.certRel}`);
    if (spec.signerCertPem !== undefined && !isSignedBy(storedCert, spec.signerCertPem)) {
      throw new PkiError('CA_MISMATCH', `${spec.certRel} was not issued by the CA next to it`);
    }
    t.report.kept.push(spec.certRel, spec.keyRel);
    return { certPem: storedCert, keyPem };
  }
  if (storedKey !== undefined) {
    const identity = spec.issue(readKey(storedKey));
    t.report.kept.push(spec.keyRel);
    writeNewFile(certPath, identity.certPem, MODES.publicFile);
    t.report.created.push(spec.certRel);
    return identity;
  }
  const identity = spec.issue(undefined);
  // Key first: a crash between the two writes leaves a key whose certificate the next run fills in.
  writeNewFile(keyPath, writeKey(identity.keyPem), MODES.privateFile);
  writeNewFile(certPath, identity.certPem, MODES.publicFile);
  t.report.created.push(spec.keyRel, spec.certRel);
  return identity;
}

function ensureCa(t: Tracker, certRel: string, keyRel: string, commonName: string, organization: string | undefined, now: Date): Identity {
  return ensureIdentity(t, {
    certRel, keyRel, signerCertPem: undefined,
    issue: (keyPem) => createCa({ commonName, organization, now, keyPem }),
  });
}

function ensureRevocationState(t: Tracker, ca: Identity, now: Date): void {
  const existing = readRevocationRecord(t.home);
  // The record and the CRL on disk are merged: a revocation found in either (a CRL made by
  // `openssl ca -gencrl`, a record edited by hand) is never lost, and the CRL number never goes down.
  const record = mergeRevocations(existing ?? { crlNumber: 1, revoked: [] }, readCrlOf(t.home, ca));
  if (crlNeedsRewrite(t.home, record, now)) {
    writeRevocationState(t.home, ca, record, now);
    t.report.created.push(CLUSTER_PKI_FILES.revocations, CLUSTER_PKI_FILES.crl);
    return;
  }
  if (existing !== undefined && sameRecord(existing, record)) {
    t.report.kept.push(CLUSTER_PKI_FILES.revocations, CLUSTER_PKI_FILES.crl);
    return;
  }
  writeRevocationRecord(t.home, record);
  t.report.created.push(CLUSTER_PKI_FILES.revocations);
  t.report.kept.push(CLUSTER_PKI_FILES.crl);
}

function ensurePassphrase(t: Tracker, agentKeyExists: boolean, chosen: string | undefined): string {
  const rel = CLUSTER_PKI_FILES.senebiPassphrase;
  const stored = readOptional(resolveIn(t.home, rel));
  if (stored !== undefined) {
    t.report.kept.push(rel);
    return stripLineEnd(stored);
  }
  if (agentKeyExists) throw new PkiError('INCOMPLETE_IDENTITY', `${CLUSTER_PKI_FILES.senebiAgentKey} exists without ${rel}; restore the passphrase file`);
  const passphrase = chosen ?? randomBytes(24).toString('base64url');
  writeNewFile(resolveIn(t.home, rel), passphrase, MODES.privateFile);
  t.report.created.push(rel);
  return passphrase;
}

/** Checks a chosen SENEBI passphrase: readers of the passphrase file drop surrounding white space and line ends. */
function validatePassphrase(passphrase: string): void {
  if (passphrase.length === 0 || passphrase !== passphrase.trim() || /[\r\n]/.test(passphrase)) {
    throw new PkiError('INVALID_ARGUMENT', 'the SENEBI passphrase must be non-empty, on one line, without leading or trailing spaces');
  }
}

/** Removes one trailing line end (a passphrase file edited by hand usually has one). */
export function stripLineEnd(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * Creates the PKI of a state folder (docs/api.md §9), idempotently: cluster CA, CRL and revocation record,
 * the nodes' server certificate, one client certificate per role, and the SENEBI side (CA, simulator server
 * certificate, the agent's certificate with its encrypted key and passphrase). Existing keys and certificates
 * are never replaced; only missing files are made. Key files get mode 0600, folders 0700.
 */
export function initClusterPki(home: string, opts: ClusterPkiOptions = {}): ClusterPkiReport {
  const now = opts.now ?? new Date();
  if (opts.senebiPassphrase !== undefined) validatePassphrase(opts.senebiPassphrase);
  const t: Tracker = { home, report: { created: [], kept: [] } };
  const organization = opts.organization;
  ensureDir(home, MODES.homeDir);
  ensureDir(resolveIn(home, 'pki'), MODES.privateDir);
  ensureDir(resolveIn(home, CLUSTER_PKI_FILES.clientsDir), MODES.privateDir);
  const includeSenebi = opts.includeSenebi ?? true;
  if (includeSenebi) ensureDir(resolveIn(home, 'senebi'), MODES.privateDir);

  const ca = ensureCa(t, CLUSTER_PKI_FILES.caCert, CLUSTER_PKI_FILES.caKey, 'QSen Cluster CA', organization, now);
  ensureRevocationState(t, ca, now);
  const hosts = [...LOOPBACK_HOSTS, ...(opts.hosts ?? [])];
  ensureIdentity(t, {
    certRel: CLUSTER_PKI_FILES.serverCert, keyRel: CLUSTER_PKI_FILES.serverKey, signerCertPem: ca.certPem,
    issue: (keyPem) => issueServerCertificate(ca, { commonName: 'qsen-node', hosts, organization, now, keyPem }),
  });
  for (const role of ROLES) {
    const files = roleFiles(role);
    ensureIdentity(t, {
      certRel: files.cert, keyRel: files.key, signerCertPem: ca.certPem,
      issue: (keyPem) => issueClientCertificate(ca, { commonName: `qsen-${role}`, ou: role, organization, now, keyPem }),
    });
  }

  if (!includeSenebi) return t.report;
  const senebiCa = ensureCa(t, CLUSTER_PKI_FILES.senebiCaCert, CLUSTER_PKI_FILES.senebiCaKey, 'SENEBI Simulator CA', 'BYMA stand-in', now);
  ensureIdentity(t, {
    certRel: CLUSTER_PKI_FILES.senebiServerCert, keyRel: CLUSTER_PKI_FILES.senebiServerKey, signerCertPem: senebiCa.certPem,
    issue: (keyPem) => issueServerCertificate(senebiCa, { commonName: 'senebi-simulator', hosts: [...LOOPBACK_HOSTS], organization: 'BYMA stand-in', now, keyPem }),
  });
  const agentKeyExists = existsSync(resolveIn(home, CLUSTER_PKI_FILES.senebiAgentKey));
  const passphrase = ensurePassphrase(t, agentKeyExists, opts.senebiPassphrase);
  ensureIdentity(t, {
    certRel: CLUSTER_PKI_FILES.senebiAgentCert, keyRel: CLUSTER_PKI_FILES.senebiAgentKey, signerCertPem: senebiCa.certPem,
    issue: (keyPem) => issueClientCertificate(senebiCa, { commonName: SENEBI_AGENT_COMMON_NAME, ou: SENEBI_AGENT_OU, organization: 'BYMA stand-in', now, keyPem }),
    readKey: (stored) => decryptPrivateKey(stored, passphrase),
    writeKey: (keyPem) => encryptPrivateKey(keyPem, passphrase),
  });
  return t.report;
}

