import type { CertificateInfo } from '../describe.js';
import type { CrlInfo } from '../crl.js';
import type { RevocationRecord } from '../cluster/revocation.js';

/** Lays out label/value rows as an aligned two-column table. */
export function formatRows(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** The operator's table view of a certificate. */
export function formatCertificateInfo(info: CertificateInfo): string {
  return formatRows([
    ['subject', info.subject],
    ['issuer', info.issuer],
    ['serial', info.serial],
    ['not before', info.notBefore],
    ['not after', `${info.notAfter} (${info.daysLeft} days left)`],
    ['sha-256', info.fingerprintSha256],
    ['role (OU)', info.organizationalUnit ?? '-'],
    ['key usage', info.extKeyUsage.join(', ') || '-'],
    ['alt names', info.subjectAltNames.join(', ') || '-'],
  ]);
}

/** The operator's table view of a CRL file. */
export function formatCrlInfo(info: CrlInfo): string {
  const rows: Array<[string, string]> = [
    ['crl number', info.crlNumber === undefined ? '-' : String(info.crlNumber)],
    ['this update', info.thisUpdate.toISOString()],
    ['next update', info.nextUpdate?.toISOString() ?? '-'],
    ['revoked', String(info.revoked.length)],
  ];
  for (const entry of info.revoked) rows.push(['  serial', `${entry.serial} (revoked ${entry.revokedAt.toISOString()})`]);
  return formatRows(rows);
}

/** The operator's table view of the revocation record. */
export function formatRevocationRecord(record: RevocationRecord, crl: CrlInfo | undefined): string {
  const head = formatRows([
    ['crl number', String(record.crlNumber)],
    ['next update', crl?.nextUpdate?.toISOString() ?? '-'],
    ['revoked', String(record.revoked.length)],
  ]);
  if (record.revoked.length === 0) return head;
  const lines = record.revoked.map((e) => `${e.serial.padEnd(34)}  ${e.revokedAt.padEnd(24)}  ${e.subject ?? '-'}`);
  return `${head}\n${'SERIAL'.padEnd(34)}  ${'REVOKED AT'.padEnd(24)}  SUBJECT\n${lines.join('\n')}\n`;
}
