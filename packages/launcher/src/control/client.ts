/**
 * The control channel's client for the launcher's tools and the tests: the owner protocol's one
 * client (@qsen/kan's createOwnerClient), with the launcher's CONTROL_UNREACHABLE for a socket
 * that does not answer.
 */
import { createOwnerClient, type OwnerClient } from '@qsen/kan';
import { launcherErrors } from '../errors.js';

/** The control channel seen from a client. Errors are ApiErrors with the answer's code. */
export type ControlClient = OwnerClient;

/** Creates a client for the control socket at `socketPath` (verbs wait up to `timeoutMs`, default 60 s). */
export function createControlClient(socketPath: string, options: { timeoutMs?: number } = {}): ControlClient {
  return createOwnerClient(socketPath, {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    unreachable: (message, details, cause) => launcherErrors.create('CONTROL_UNREACHABLE', message, details, cause),
  });
}
