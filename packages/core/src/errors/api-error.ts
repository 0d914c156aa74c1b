/**
 * The base of every package's error registry (CONVENTIONS #5). Each error has a stable
 * upper-snake-case `code` from the contract, an HTTP status and an optional cause; the HTTP
 * layer's error middleware turns it into the contract's body
 * `{"error": {"code", "message", "details"?}}`. Never match errors by message text.
 */

/**
 * The message of anything thrown: an Error's `message`, anything else as `String(value)`. For
 * log lines and problem texts; never match on it (CONVENTIONS #5: match the code).
 */
export function errorMessage(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}

/** Stable machine-readable error code, e.g. "ID_OUT_OF_RANGE". */
export type ErrorCode = string;

/** One entry of an error registry: the code's HTTP status and a default human message. */
export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** An error that the HTTP layer answers with the contract's error body. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, status: number, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** The contract's error body. */
  toBody(): { error: { code: string; message: string; details?: Readonly<Record<string, unknown>> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** A registry: code -> spec, plus a factory that builds ApiErrors of exactly those codes. */
export interface ErrorRegistry<C extends string> {
  readonly specs: Readonly<Record<C, ErrorSpec>>;
  /** Builds the error for `code`, with an optional specific message, details and cause. */
  create(code: C, message?: string, details?: Record<string, unknown>, cause?: unknown): ApiError;
}

/** Defines a package's error registry from a literal table. */
export function defineErrors<C extends string>(specs: Record<C, ErrorSpec>): ErrorRegistry<C> {
  const frozen = Object.freeze({ ...specs });
  return {
    specs: frozen,
    create(code, message, details, cause) {
      const spec = frozen[code];
      return new ApiError(code, spec.status, message ?? spec.message, details, cause === undefined ? undefined : { cause });
    },
  };
}

/** Errors of the shared HTTP layer (docs/api.md §2 and §3). */
export const httpErrors = defineErrors({
  NOT_FOUND: { status: 404, message: 'no such endpoint' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'method not allowed on this endpoint' },
  INVALID_JSON: { status: 400, message: 'the body is not valid JSON' },
  INVALID_REQUEST: { status: 400, message: 'the request is not valid' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'the body exceeds 64 KiB' },
  CERTIFICATE_REQUIRED: { status: 401, message: 'a valid client certificate is required' },
  FORBIDDEN: { status: 403, message: "the client certificate's role may not call this endpoint" },
  CROSS_SITE_REQUEST: { status: 403, message: 'a state-changing request from a page of another site is refused' },
  INTERNAL_ERROR: { status: 500, message: 'internal error' },
});
