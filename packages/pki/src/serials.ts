import { PkiError } from './errors.js';

/**
 * Normalizes a certificate serial number given as hex (any case, optional "0x" prefix, optional colons)
 * to the canonical form used in revocation records: uppercase hex without leading zeros.
 */
export function normalizeSerial(serial: string): string {
  const compact = serial.trim().replace(/^0x/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(compact) || compact.length > 40) {
    throw new PkiError('INVALID_ARGUMENT', `serial ${JSON.stringify(serial)} is not a hexadecimal serial number (at most 20 bytes)`);
  }
  const stripped = compact.replace(/^0+/, '');
  return stripped.length === 0 ? '0' : stripped;
}
