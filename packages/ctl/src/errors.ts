/**
 * qsenctl's failures. Every failure has a stable code and one of the documented exit codes, so
 * scripts branch on the exit code (or on `error.code` in `--json` output), never on the text.
 */

/** The exit codes qsenctl documents (docs/operator.md). */
export const EXIT_CODES = Object.freeze({
  ok: 0,
  /** The server answered with an error body (its code is printed). */
  api: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The connection or the TLS handshake failed (explained in words). */
  connection: 3,
  /** The profile, the state folder or the client identity is missing or unusable. */
  config: 4,
});

/** The kind of a failure, which decides the exit code. */
export type CtlErrorKind = 'api' | 'usage' | 'connection' | 'config';

/** Every code qsenctl itself reports (server codes pass through unchanged). */
export const CTL_ERROR_CODES = Object.freeze({
  USAGE: 'usage',
  PROFILE_NOT_FOUND: 'config',
  PROFILE_INVALID: 'config',
  IDENTITY_UNREADABLE: 'config',
  KEY_DOES_NOT_MATCH_CERTIFICATE: 'config',
  CONNECTION_REFUSED: 'connection',
  QSEN_OUTSIDE_WINDOW: 'connection',
  CONNECTION_FAILED: 'connection',
  TIMEOUT: 'connection',
  HOST_NOT_FOUND: 'connection',
  CLIENT_CERTIFICATE_REFUSED: 'connection',
  SERVER_CERTIFICATE_UNTRUSTED: 'connection',
  UNEXPECTED_ANSWER: 'api',
  OUTPUT_FAILED: 'config',
  AUDIT_CHAIN_BROKEN: 'api',
} as const satisfies Record<string, CtlErrorKind>);

/** A code qsenctl reports by itself. */
export type CtlErrorCode = keyof typeof CTL_ERROR_CODES;

/** A failure of one qsenctl command. */
export class CtlError extends Error {
  readonly code: string;
  readonly kind: CtlErrorKind;
  /** HTTP status when the server answered. */
  readonly status: number | undefined;
  readonly details: unknown;

  constructor(code: string, kind: CtlErrorKind, message: string, extra: { status?: number; details?: unknown; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'CtlError';
    this.code = code;
    this.kind = kind;
    this.status = extra.status;
    this.details = extra.details;
  }

  /** The process exit code of this failure. */
  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}

/** Builds a failure of one of qsenctl's own codes. */
export function createCtlError(code: CtlErrorCode, message: string, extra: { details?: unknown; cause?: unknown } = {}): CtlError {
  return new CtlError(code, CTL_ERROR_CODES[code], message, extra);
}

/** Builds the failure for an error body the server answered with. */
export function createApiFailure(status: number, code: string, message: string, details: unknown): CtlError {
  return new CtlError(code, 'api', message, { status, details });
}
