/**
 * The cluster's TLS material as one node holds it: the client CA, the server certificate and key,
 * and the CRL, read and checked together. reload() installs new files only when all of them build a
 * valid secure context (a broken file keeps the old material and is logged); watch() reloads on
 * any content change within CRL_TAKES_EFFECT_WITHIN_S. The server (server.ts) listens for changes,
 * and the status answers show status() (the CRL number each node enforces).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type winston from 'winston';
import { CRL_TAKES_EFFECT_WITHIN_S, describeCrl, normalizeSerial } from '@qsen/pki/verify';
import { isTransientReadError, watchFileContents, type FileWatch } from './file-watch.js';
import { TLS_CIPHERS, TLS_MIN_VERSION, TLS_SECURE_OPTIONS } from './tls-policy.js';
import { systemClock, type Clock } from '../schedule/clock.js';

/** Paths of the cluster's TLS material (QsenConfig['tls']). */
export interface TlsFiles {
  /** CA that signs the client certificates. */
  ca: string;
  /** The server certificate (PEM, may include the chain). */
  cert: string;
  /** The server's private key (PEM, unencrypted, mode 0600). */
  key: string;
  /** The CA's certificate revocation list (PEM). */
  crl: string;
}

/** What the CRL file says, as far as the node enforces it. */
export interface CrlFacts {
  /** The highest CRL number in the file (undefined: no CRL number extension). */
  readonly number: number | undefined;
  /** The earliest nextUpdate in the file. */
  readonly nextUpdate: Date | undefined;
  /** Every revoked serial (upper-case hex without leading zeros). */
  readonly revoked: ReadonlySet<string>;
}

/** One consistent set of TLS files, checked. */
export interface TrustMaterial {
  /** The secure-context options with QSen's TLS policy. */
  readonly options: SecureContextOptions;
  /** The client CA certificates. */
  readonly authorities: readonly X509Certificate[];
  readonly crl: CrlFacts;
  /** When it was installed. */
  readonly loadedAt: Date;
  /** 1 for the material read at start, then one more per successful reload. */
  readonly generation: number;
}

/** What status answers show about the node's TLS material (docs/openapi: `tls`). */
export interface TrustStatus {
  readonly crlNumber: number | null;
  readonly crlNextUpdate: string | null;
  readonly revokedCount: number;
  readonly loadedAt: string;
  /** The last reload that failed since the last success (the node keeps the previous material). */
  readonly lastReloadError: { readonly at: string; readonly error: string } | null;
}

/** The result of a reload. */
export type ReloadResult = { ok: true } | { ok: false; error: string };

/** The node's TLS material, reloadable. */
export interface TrustStore {
  readonly files: TlsFiles;
  /** The material in force. */
  current(): TrustMaterial;
  /** Re-reads every file; on any problem keeps the current material and reports the error. */
  reload(): ReloadResult;
  /** Calls `listener` after each successful reload; returns the unsubscribe function. */
  onChange(listener: (material: TrustMaterial) => void): () => void;
  status(): TrustStatus;
  /** Starts reloading on file changes (idempotent); close() stops it. */
  watch(opts?: { intervalMs?: number; settleMs?: number }): void;
  close(): void;
}

/** What openTrustStore needs. */
export interface TrustStoreOptions {
  readonly logger: winston.Logger;
  /** The clock of the CRL freshness check and the timestamps (default: the system clock). */
  readonly clock?: Clock;
}

/** Poll period of the TLS file watch. */
export const TLS_WATCH_INTERVAL_MS = 500;
/** Delay between a file-system event and the content comparison. */
export const TLS_WATCH_SETTLE_MS = 100;
/** Worst case between a file change and its reload by the watch: well inside CRL_TAKES_EFFECT_WITHIN_S (checked by a test). */
export const TLS_WATCH_WORST_CASE_MS = TLS_WATCH_INTERVAL_MS + TLS_WATCH_SETTLE_MS;
/** The promise `qsen-pki revoke` prints, in milliseconds. */
export const TLS_CHANGE_IN_FORCE_MS = CRL_TAKES_EFFECT_WITHIN_S * 1000;

/** A CRL this close to its nextUpdate is reported as a warning at every (re)load. */
export const CRL_EXPIRY_WARNING_MS = 7 * 86_400_000;

/** What the CRL's dates mean for the server: fresh, close to expiry, or expired (every certificate refused). */
export type CrlFreshness = { state: 'fresh' | 'expiring' | 'expired'; nextUpdate: Date } | { state: 'no-next-update' | 'unreadable' };

const PEM_BLOCK = (type: string): RegExp => new RegExp(`-----BEGIN ${type}-----[\\s\\S]+?-----END ${type}-----`, 'g');

/** Reads every CRL of a PEM text (a file may hold several); throws when none is readable. */
export function readCrlFacts(crlPem: string): CrlFacts {
  const blocks = crlPem.match(PEM_BLOCK('X509 CRL')) ?? [];
  if (blocks.length === 0) throw new Error('the CRL file holds no X509 CRL block');
  const infos = blocks.map((block) => describeCrl(block));
  const numbers = infos.flatMap((info) => (info.crlNumber === undefined ? [] : [info.crlNumber]));
  const nextUpdates = infos.flatMap((info) => (info.nextUpdate === undefined ? [] : [info.nextUpdate.getTime()]));
  return {
    number: numbers.length === 0 ? undefined : Math.max(...numbers),
    nextUpdate: nextUpdates.length === 0 ? undefined : new Date(Math.min(...nextUpdates)),
    revoked: new Set(infos.flatMap((info) => info.revoked.map((entry) => normalizeSerial(entry.serial)))),
  };
}

/** Judges a CRL's freshness at `now` (pure). */
export function judgeCrlFreshness(crlPem: string, now: Date): CrlFreshness {
  let nextUpdate: Date | undefined;
  try {
    nextUpdate = readCrlFacts(crlPem).nextUpdate;
  } catch {
    return { state: 'unreadable' };
  }
  if (nextUpdate === undefined) return { state: 'no-next-update' };
  const left = nextUpdate.getTime() - now.getTime();
  return { state: left <= 0 ? 'expired' : left <= CRL_EXPIRY_WARNING_MS ? 'expiring' : 'fresh', nextUpdate };
}

/** Reads and checks the four files; throws (paths and OpenSSL reasons only) when they do not make a valid context. */
export function loadTrustMaterial(files: TlsFiles, loadedAt: Date, generation: number): TrustMaterial {
  const caPem = readFileSync(files.ca, 'utf8');
  const crlPem = readFileSync(files.crl, 'utf8');
  const options: SecureContextOptions = {
    ca: caPem,
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    crl: crlPem,
    minVersion: TLS_MIN_VERSION,
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    secureOptions: TLS_SECURE_OPTIONS,
  };
  // Built once to validate (parse errors, key/certificate mismatch) before anything is installed.
  createSecureContext(options);
  const authorities = (caPem.match(PEM_BLOCK('CERTIFICATE')) ?? []).map((pem) => new X509Certificate(pem));
  if (authorities.length === 0) throw new Error(`${files.ca} holds no certificate`);
  return { options, authorities, crl: readCrlFacts(crlPem), loadedAt, generation };
}

/** Why an open connection's certificate is no longer trusted under `material`, or undefined (pure). */
export function judgeOpenCertificate(material: TrustMaterial, certificate: { serial: string; x509: X509Certificate }): string | undefined {
  if (material.crl.revoked.has(certificate.serial)) return 'CERT_REVOKED';
  const issued = material.authorities.some((ca) => certificate.x509.checkIssued(ca) && certificate.x509.verify(ca.publicKey));
  return issued ? undefined : 'CERT_ISSUER_NOT_TRUSTED';
}

/** Describes an error without any file content (paths and OpenSSL reasons only). */
function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Reads the TLS files (throws when they are not usable at start) and returns the store. */
export function openTrustStore(files: TlsFiles, opts: TrustStoreOptions): TrustStore {
  const { logger } = opts;
  const clock = opts.clock ?? systemClock;
  const now = (): Date => new Date(clock.now());
  let material = loadTrustMaterial(files, now(), 1);
  let lastError: { at: string; error: string } | null = null;
  const listeners = new Set<(m: TrustMaterial) => void>();
  let watcher: FileWatch | undefined;

  // OpenSSL refuses every client certificate (CRL_HAS_EXPIRED) once the CRL is past its nextUpdate: say so loudly.
  const reportCrlFreshness = (m: TrustMaterial): void => {
    const freshness = judgeCrlFreshness(String(m.options.crl), now());
    if (freshness.state === 'expired') {
      logger.error('the CRL has expired: every client certificate is refused until a new CRL is installed', { crl: files.crl, nextUpdate: freshness.nextUpdate.toISOString() });
    } else if (freshness.state === 'expiring') {
      logger.warn('the CRL expires soon: issue a new one', { crl: files.crl, nextUpdate: freshness.nextUpdate.toISOString() });
    }
  };
  reportCrlFreshness(material);

  let lastFailureTransient = false;
  const reload = (): ReloadResult => {
    let next: TrustMaterial;
    try {
      next = loadTrustMaterial(files, now(), material.generation + 1);
    } catch (err) {
      lastFailureTransient = isTransientReadError(err);
      const error = describeError(err);
      lastError = { at: now().toISOString(), error };
      logger.error('tls reload failed, keeping the current certificates', { error, files: { ...files } });
      return { ok: false, error };
    }
    material = next;
    lastError = null;
    reportCrlFreshness(material);
    for (const listener of listeners) listener(material);
    logger.info('tls files reloaded', { files: { ...files }, crlNumber: material.crl.number ?? null, revoked: material.crl.revoked.size });
    return { ok: true };
  };

  return {
    files,
    current: () => material,
    reload,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status: () => ({
      crlNumber: material.crl.number ?? null,
      crlNextUpdate: material.crl.nextUpdate?.toISOString() ?? null,
      revokedCount: material.crl.revoked.size,
      loadedAt: material.loadedAt.toISOString(),
      lastReloadError: lastError,
    }),
    watch(watchOpts = {}) {
      // A reload that failed for a transient reason (out of file descriptors) is tried again at the next poll.
      watcher ??= watchFileContents([files.ca, files.cert, files.key, files.crl], () => reload().ok || !lastFailureTransient, {
        intervalMs: watchOpts.intervalMs ?? TLS_WATCH_INTERVAL_MS,
        settleMs: watchOpts.settleMs ?? TLS_WATCH_SETTLE_MS,
        onWatchError: (folder, error) => logger.warn('tls file watch: cannot watch a folder; polling only', { folder, error: error.message }),
      });
    },
    close() {
      watcher?.close();
      watcher = undefined;
      listeners.clear();
    },
  };
}
