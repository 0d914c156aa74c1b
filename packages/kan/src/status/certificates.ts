/** Days left on the cluster certificates a kan serves with (status). */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '@qsen/core/errors';

/** What status shows about one certificate (never key material). */
export interface CertificateFigures {
  readonly file: string;
  readonly subject?: string;
  readonly notAfter?: string;
  readonly daysLeft?: number;
  readonly error?: string;
}

/** Describes the certificate files (server certificate and cluster CA). */
export async function readCertificateFigures(files: Record<string, string>, now: Date): Promise<Record<string, CertificateFigures>> {
  // Loaded on the first status call: an idle kan does not carry the certificate parser.
  const { describeCertificate } = await import('@qsen/pki/inspect');
  const out: Record<string, CertificateFigures> = {};
  for (const [label, file] of Object.entries(files)) {
    try {
      const info = describeCertificate(await readFile(file, 'utf8'), now);
      out[label] = { file, subject: info.subject, notAfter: info.notAfter, daysLeft: info.daysLeft };
    } catch (err) {
      out[label] = { file, error: errorMessage(err) };
    }
  }
  return out;
}
