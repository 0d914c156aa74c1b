/**
 * A failed SENEBI call re-stated about what qsen sent (docs/qsen.md, "Unknown deliveries" and
 * "Cancel"): whatever the call was, the platform's answer says the delivery of its order or cancel
 * (`details.delivery`), as the desk knows it. One function for the order desk and the cancel desk.
 */
import { ApiError } from '@qsen/core/errors';
import { qsenErrors } from '../errors.js';

/** SENEBI_TIMEOUT / SENEBI_ERROR keep their code, message and details; anything else is SENEBI_ERROR. `delivery` overrides what the call said. */
export function restateFailure(err: unknown, delivery: 'not_sent' | 'unknown', extra: Record<string, unknown> = {}): ApiError {
  if (err instanceof ApiError && (err.code === 'SENEBI_TIMEOUT' || err.code === 'SENEBI_ERROR')) {
    return qsenErrors.create(err.code, err.message, { ...err.details, ...extra, delivery }, err);
  }
  return qsenErrors.create('SENEBI_ERROR', undefined, { ...extra, delivery }, err);
}
