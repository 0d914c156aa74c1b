/**
 * The SENEBI identity: the agent's certificate and its encrypted key, opened with the passphrase
 * file. Used at start (a wrong passphrase stops qsen) and by the decrypt endpoint, which reports
 * what it found and never the key.
 */
import { readFileSync } from 'node:fs';
import { decryptPrivateKey, describeCertificate, keyMatchesCertificate, PkiError, type CertificateInfo } from '@qsen/pki/inspect';

/** Paths of the identity files ([senebi] in conf.toml). */
export interface IdentityFiles {
  readonly cert: string;
  readonly key: string;
  readonly passphrase_file: string;
}

/** What opening the identity found (no key material). */
export interface IdentityCheck {
  /** True when the key opened with the passphrase and matches the certificate. */
  readonly ok: boolean;
  readonly keyOpens: boolean;
  readonly keyMatchesCertificate: boolean;
  /** Stable code of the problem when not ok (WRONG_PASSPHRASE, INVALID_KEY, KEY_CERTIFICATE_MISMATCH, NOT_FOUND, ...). */
  readonly problem?: string;
  readonly certificate?: CertificateInfo;
}

/** The opened identity, for the SENEBI adapter. */
export interface OpenedIdentity {
  readonly certPem: string;
  /** Decrypted key PEM: kept in memory only, never logged or answered. */
  readonly keyPem: string;
  readonly check: IdentityCheck;
}

/** Reads the passphrase file (trailing newline ignored). */
function readPassphrase(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** Opens the identity files: the key decrypted and checked against the certificate. */
export function openIdentity(files: IdentityFiles, now: Date = new Date()): { identity?: OpenedIdentity; check: IdentityCheck } {
  let certPem: string;
  let encrypted: string;
  let passphrase: string;
  try {
    certPem = readFileSync(files.cert, 'utf8');
    encrypted = readFileSync(files.key, 'utf8');
    passphrase = readPassphrase(files.passphrase_file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'UNREADABLE';
    return { check: { ok: false, keyOpens: false, keyMatchesCertificate: false, problem: code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE' } };
  }
  let certificate: CertificateInfo | undefined;
  try {
    certificate = describeCertificate(certPem, now);
  } catch {
    return { check: { ok: false, keyOpens: false, keyMatchesCertificate: false, problem: 'INVALID_CERTIFICATE' } };
  }
  let keyPem: string;
  try {
    keyPem = decryptPrivateKey(encrypted, passphrase);
  } catch (err) {
    return { check: { ok: false, keyOpens: false, keyMatchesCertificate: false, problem: err instanceof PkiError ? err.code : 'INVALID_KEY', certificate } };
  }
  let matches = false;
  try {
    matches = keyMatchesCertificate(keyPem, certPem);
  } catch {
    matches = false;
  }
  const check: IdentityCheck = matches
    ? { ok: true, keyOpens: true, keyMatchesCertificate: true, certificate }
    : { ok: false, keyOpens: true, keyMatchesCertificate: false, problem: 'KEY_CERTIFICATE_MISMATCH', certificate };
  return { identity: { certPem, keyPem, check }, check };
}

/** Describes one certificate file for cert/info; a problem code instead when it cannot be read. */
export function describeCertificateFile(file: string, now: Date): (CertificateInfo & { file: string }) | { file: string; problem: string } {
  try {
    return { file, ...describeCertificate(readFileSync(file, 'utf8'), now) };
  } catch (err) {
    const code = err instanceof PkiError ? err.code : (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'UNREADABLE';
    return { file, problem: code };
  }
}
