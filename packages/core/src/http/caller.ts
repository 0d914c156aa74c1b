/**
 * Who is calling: the request id, whether the peer is loopback, and the role taken from the
 * client certificate's subject OU (docs/api.md §2).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { isLoopbackAddress } from './loopback.js';
import { decideConnection } from './decision.js';
import { readConnectionFacts, readPeerIdentity, type PeerIdentity } from './peer.js';
import { ROLES, type Role } from '@qsen/pki/verify';

/** The roles a client certificate's OU can carry, declared once where certificates are issued (@qsen/pki). */
export { ROLES, type Role };

/** The roles that may restart a node or truncate logs (restart_qsen, restart_kan, logs/truncate: docs/api.md §2). */
export const MAINTENANCE_ROLES: readonly Role[] = ['platform', 'operator'];

/** The caller of one request, as the auth middleware established it. */
export interface Caller {
  requestId: string;
  loopback: boolean;
  certificate: 'valid' | 'absent';
  subject?: string;
  role?: Role;
  ou?: string;
  serial?: string;
}

const callers = new WeakMap<IncomingMessage, Caller>();

/** Maps a subject's OUs to a role: exactly one OU, naming one of the roles; anything else has no role. */
export function resolveRole(ous: readonly string[]): Role | undefined {
  if (ous.length !== 1) return undefined;
  const ou = ous[0];
  return ROLES.find((role) => role === ou);
}

/** What a connection's handshake says of every request on it (the facts cannot change; revocation is re-checked per request by the server's gate). */
interface ConnectionCaller {
  readonly loopback: boolean;
  readonly identity: PeerIdentity | undefined;
  readonly role: Role | undefined;
}

const connections = new WeakMap<Socket, ConnectionCaller>();

/** Judges a socket's handshake once: loopback, the identity of an accepted certificate, its role. */
function connectionCaller(socket: Socket): ConnectionCaller {
  const known = connections.get(socket);
  if (known) return known;
  const facts = readConnectionFacts(socket);
  const decision = decideConnection(facts);
  const identity = decision.accept && decision.certificate === 'valid' ? readPeerIdentity(socket) : undefined;
  const judged = { loopback: isLoopbackAddress(facts.remoteAddress), identity, role: identity ? resolveRole(identity.ous) : undefined };
  connections.set(socket, judged);
  return judged;
}

/** Establishes (once) and returns the caller of `req`; `getCaller` returns the same object afterwards. */
export function establishCaller(req: IncomingMessage): Caller {
  const known = callers.get(req);
  if (known) return known;
  const { loopback, identity, role } = connectionCaller(req.socket);
  const caller: Caller = { requestId: randomUUID(), loopback, certificate: identity ? 'valid' : 'absent' };
  if (identity) {
    caller.subject = identity.subject;
    caller.serial = identity.serial;
    if (identity.ous.length > 0) caller.ou = identity.ous.join('+');
    if (role) caller.role = role;
  }
  callers.set(req, caller);
  return caller;
}

/** The caller of `req` (set by the auth middleware of createApiApp; established on demand otherwise). */
export function getCaller(req: IncomingMessage): Caller {
  return establishCaller(req);
}
