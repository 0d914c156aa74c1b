/**
 * What GET /config shows. conf.toml holds no secret values, only the paths of the files that
 * hold them (the SENEBI key and its passphrase, the cluster's server key): those paths are
 * shown, so an operator can tell which files are in force; file contents never are.
 * Defensively, any string that carries a PEM private key block is replaced by "[redacted]".
 */
import type { QsenConfig } from './types.js';

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

function copyRedacted(value: unknown): unknown {
  if (typeof value === 'string') return PEM_PRIVATE_KEY.test(value) ? '[redacted]' : value;
  if (Array.isArray(value)) return value.map(copyRedacted);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = copyRedacted(inner);
    return out;
  }
  return value;
}

/** A plain JSON-ready copy of the configuration for GET /config: paths shown, never file contents. */
export function redactConfig(config: QsenConfig): unknown {
  return copyRedacted(config);
}
