/** Every error code @qsen/pki raises, with what it means (documented in docs/pki.md). */
export const pkiErrorCodes = {
  WRONG_PASSPHRASE: 'the passphrase does not open the encrypted private key',
  INVALID_KEY: 'the text is not a readable private key (or not an encrypted one where one is required)',
  INVALID_CERTIFICATE: 'the text is not a readable X.509 certificate in PEM form',
  INVALID_ARGUMENT: 'an option is missing or out of range (name, role, host, validity, serial)',
  INCOMPLETE_IDENTITY: 'a certificate exists without its private key (or a key without its passphrase); it cannot be filled in without replacing it',
  CA_MISMATCH: 'an existing certificate was not signed by the CA next to it, or a key does not match its certificate',
  ALREADY_EXISTS: 'a file that would be written already exists and is never replaced',
  NOT_FOUND: 'a file the operation needs does not exist',
  INVALID_REVOCATION_RECORD: 'pki/revoked.json cannot be read or does not have the expected shape',
} as const;

/** One of the stable codes of `pkiErrorCodes`. */
export type PkiErrorCode = keyof typeof pkiErrorCodes;

/** The one error class of @qsen/pki; callers branch on `code`, never on the message. */
export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PkiError';
    this.code = code;
  }
}
