/**
 * Hostile client identities for the TLS matrix: each one is refused at the TLS layer for its own
 * reason, except `unknownOu` (verified, but no role: 403 everywhere).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueClientCertificate, revokeCertificate, type Identity } from '@qsen/pki';
import type { ClientIdentity } from '@qsen/testkit';

const DAY_MS = 86_400_000;

/** The hostile identities, by case name. */
export interface HostileIdentities {
  selfSigned: ClientIdentity;
  otherCa: ClientIdentity;
  expired: ClientIdentity;
  notYetValid: ClientIdentity;
  serverAuthOnly: ClientIdentity;
  revoked: ClientIdentity;
  unknownOu: ClientIdentity;
}

function asClient(identity: Identity): ClientIdentity {
  return { cert: identity.certPem, key: identity.keyPem };
}

/** Reads the cluster CA (certificate and key) of a state folder. */
export function readCa(home: string): Identity {
  return { certPem: readFileSync(join(home, 'pki/ca.crt'), 'utf8'), keyPem: readFileSync(join(home, 'pki/ca.key'), 'utf8') };
}

/**
 * Issues every hostile identity against the state folder's CA and revokes `revoked` in its CRL.
 * Call it before the nodes start (they read the CRL at start).
 */
export function makeHostileIdentities(home: string): HostileIdentities {
  const ca = readCa(home);
  const now = Date.now();
  const donor = issueClientCertificate(ca, { commonName: 'key donor', ou: 'platform' });
  const keyPem = donor.keyPem;
  const issue = (commonName: string, ou: string, extra: Partial<Parameters<typeof issueClientCertificate>[1]> = {}): Identity =>
    issueClientCertificate(ca, { commonName, ou, keyPem, ...extra });
  const revoked = issue('hostile revoked', 'operator');
  revokeCertificate(home, revoked.certPem);
  const otherCa = createCa({ commonName: 'Hostile Other CA' });
  return {
    selfSigned: asClient(createCa({ commonName: 'hostile self signed', keyPem })),
    otherCa: asClient(issueClientCertificate(otherCa, { commonName: 'hostile foreign', ou: 'platform', keyPem })),
    expired: asClient(issue('hostile expired', 'platform', { notBefore: new Date(now - 30 * DAY_MS), notAfter: new Date(now - DAY_MS) })),
    notYetValid: asClient(issue('hostile future', 'platform', { notBefore: new Date(now + DAY_MS), notAfter: new Date(now + 30 * DAY_MS) })),
    serverAuthOnly: asClient(issue('hostile server usage', 'platform', { extKeyUsage: ['serverAuth'] })),
    revoked: asClient(revoked),
    unknownOu: asClient(issue('hostile trader', 'trader')),
  };
}

/** The certificate's serial number as upper-case hex. */
export function serialOf(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toUpperCase();
}
