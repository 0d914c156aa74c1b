/**
 * The certificate/role gate of every request, in one place (docs/api.md §2). The route table
 * (defineRoute) is the single declaration of paths, methods, roles and internal-only flags; the
 * gate reads its answer from there: internal paths from loopback pass; otherwise a valid
 * certificate with a known role is needed (401 CERTIFICATE_REQUIRED, 403 FORBIDDEN), an internal
 * path off loopback is 404 like an unknown path, and a role outside the method's list is 403.
 */
import { httpErrors } from '../errors/api-error.js';
import type { Caller, Role } from './caller.js';

/** Throws the contract's error unless `caller` may reach a path (`internal`: declared internal-only by its route). */
export function admitCaller(caller: Caller, internal: boolean): void {
  if (internal && caller.loopback) return;
  if (caller.certificate !== 'valid') throw httpErrors.create('CERTIFICATE_REQUIRED');
  if (caller.role === undefined) {
    throw httpErrors.create('FORBIDDEN', "the client certificate's OU is not a QSen role", { ou: caller.ou ?? null });
  }
  // An internal path off loopback is indistinguishable from an unknown path, whatever the method.
  if (internal) throw httpErrors.create('NOT_FOUND');
}

/** Throws the contract's error unless `caller` holds one of `roles` (401 without certificate, 403 otherwise). */
export function assertRole(caller: Caller, roles: readonly Role[]): void {
  admitCaller(caller, false);
  if (caller.role === undefined || !roles.includes(caller.role)) throw forbiddenFor(caller.role, roles);
}

/**
 * The FORBIDDEN answer naming the roles that may call (pure; `roles` is the route table's list
 * for the method): "the role 'auditor' may not call this endpoint; it is for: operator".
 */
export function forbiddenFor(role: Role | undefined, roles: readonly Role[]): ReturnType<typeof httpErrors.create> {
  const allowed = [...roles];
  const who = role === undefined ? 'this certificate' : `the role '${role}'`;
  return httpErrors.create('FORBIDDEN', `${who} may not call this endpoint; it is for: ${allowed.join(', ')}`, { role: role ?? null, allowedRoles: allowed });
}
