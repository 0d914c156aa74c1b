/**
 * Role checks for route specs: which callers may pass, and the contract's answer for the
 * others (401 CERTIFICATE_REQUIRED without a certificate, 403 FORBIDDEN for other roles).
 */
import { httpErrors } from '../errors/api-error.js';
import type { Caller, Role } from './caller.js';

/** Throws the contract's error unless `caller` holds one of `roles` (401 without certificate, 403 otherwise). */
export function assertRole(caller: Caller, roles: readonly Role[]): void {
  if (caller.certificate !== 'valid') throw httpErrors.create('CERTIFICATE_REQUIRED');
  if (caller.role === undefined) {
    throw httpErrors.create('FORBIDDEN', "the client certificate's OU is not a QSen role", { ou: caller.ou ?? null });
  }
  if (!roles.includes(caller.role)) throw httpErrors.create('FORBIDDEN', undefined, { role: caller.role });
}

/** True when `caller` holds one of `roles`. */
export function hasRole(caller: Caller, roles: readonly Role[]): boolean {
  return caller.certificate === 'valid' && caller.role !== undefined && roles.includes(caller.role);
}
