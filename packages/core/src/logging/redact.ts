/**
 * Secret redaction for log lines (docs/api.md §2: secrets never appear in any log line).
 * Fields whose name looks secret and PEM private key blocks inside strings become "[redacted]".
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** Field names whose values are secrets (case-insensitive). */
const SECRET_FIELD = /^(key|private_?key|passphrase|password|passwd|secret|token|authorization)$|passphrase|password|private_?key|secret/i;

/** A PEM private key block (any key type, encrypted or not), or an unterminated one up to the end of the text. */
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;

/** Tells whether a field of this name holds a secret. */
export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/** Replaces every PEM private key block in a string. */
export function redactPemBlocks(text: string): string {
  return text.includes('PRIVATE KEY-----') ? text.replace(PEM_PRIVATE_KEY, REDACTED) : text;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function copy(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactPemBlocks(value);
  if (value === null || typeof value !== 'object') return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copy(item, seen));
    return out;
  }
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactPemBlocks(value.message) };
    seen.set(value, out);
    if (value.stack !== undefined) out['stack'] = redactPemBlocks(value.stack);
    for (const [key, inner] of Object.entries(value)) out[key] = isSecretFieldName(key) ? REDACTED : copy(inner, seen);
    if (value.cause !== undefined) out['cause'] = copy(value.cause, seen);
    return out;
  }
  if (Buffer.isBuffer(value) || value instanceof Date || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, inner] of Object.entries(value)) out[key] = isSecretFieldName(key) ? REDACTED : copy(inner, seen);
  return out;
}

/**
 * A deep copy with secret-looking fields ("key", "passphrase", "password", "privateKey", ...)
 * replaced by "[redacted]" and PEM private key blocks inside strings replaced too.
 * Errors become plain objects (name, message, stack); other class instances are kept as they are.
 */
export function redactSecrets<T>(value: T): T {
  return copy(value, new WeakMap()) as T;
}
