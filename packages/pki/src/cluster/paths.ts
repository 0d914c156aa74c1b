import { join } from 'node:path';
import type { Role } from '../roles.js';

/** Paths of the cluster layout, relative to the state folder (docs/api.md §9). */
export const CLUSTER_PKI_FILES = {
  caCert: 'pki/ca.crt',
  caKey: 'pki/ca.key',
  crl: 'pki/crl.pem',
  revocations: 'pki/revoked.json',
  serverCert: 'pki/server.crt',
  serverKey: 'pki/server.key',
  clientsDir: 'pki/clients',
  archiveDir: 'pki/archive',
  senebiCaCert: 'senebi/ca.crt',
  senebiCaKey: 'senebi/ca.key',
  senebiServerCert: 'senebi/server.crt',
  senebiServerKey: 'senebi/server.key',
  senebiAgentCert: 'senebi/agent.crt',
  senebiAgentKey: 'senebi/agent.key.enc',
  senebiPassphrase: 'senebi/passphrase',
} as const;

/** Relative paths of a client identity's certificate and key under `pki/clients/`. */
export function clientFiles(name: string): { cert: string; key: string; p12: string; p12Password: string } {
  const base = `${CLUSTER_PKI_FILES.clientsDir}/${name}`;
  return { cert: `${base}.crt`, key: `${base}.key`, p12: `${base}.p12`, p12Password: `${base}.p12.pass` };
}

/** Relative paths of the standard client identity of a role (`pki/clients/<role>.crt|.key`). */
export function roleFiles(role: Role): { cert: string; key: string } {
  return clientFiles(role);
}

/** Absolute path of a layout file. */
export function resolveIn(home: string, relative: string): string {
  return join(home, relative);
}
