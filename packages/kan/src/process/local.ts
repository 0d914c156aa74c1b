/**
 * ProcessControl over the local launcher's control socket: the owner protocol
 * (owner-protocol.ts) through its one client (owner-client.ts).
 */
import { kanErrors } from '../errors.js';
import type { ProcessControl, ProcessName, ProcessState } from './control.js';
import { createOwnerClient, type OwnerClient } from './owner-client.js';
import type { ProcessExit, ProcessStatus } from './owner-protocol.js';
import { errorMessage } from '@qsen/core/errors';

/** The part of the owner protocol's ProcessStatus a ProcessState is made of. */
export type LauncherProcessStatus = Pick<ProcessStatus, 'state' | 'pid' | 'invocation' | 'startedAt' | 'starts'> & { readonly name?: string; readonly lastExit?: unknown; readonly coalesced?: boolean };

/** The launcher's lastExit when well formed (pure), else null. */
function readExit(value: unknown): ProcessExit | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v['at'] !== 'string') return null;
  return {
    code: typeof v['code'] === 'number' ? v['code'] : null,
    signal: typeof v['signal'] === 'string' ? v['signal'] : null,
    at: v['at'],
    line: typeof v['line'] === 'string' ? v['line'] : null,
  };
}

/** Converts the launcher's ProcessStatus into a ProcessState (pure). */
export function fromLauncherStatus(name: ProcessName, s: LauncherProcessStatus): ProcessState {
  const startedAt = s.startedAt === null ? null : Date.parse(s.startedAt);
  return {
    name,
    state: s.state,
    pid: typeof s.pid === 'number' && s.pid > 0 ? s.pid : null,
    invocation: String(s.invocation),
    startedAt: startedAt !== null && Number.isFinite(startedAt) ? startedAt : null,
    starts: typeof s.starts === 'number' ? s.starts : null,
    lastExit: readExit(s.lastExit),
    ...(s.coalesced === true ? { coalesced: true } : {}),
  };
}

/** The launcher's invocation counter of a ProcessState's invocation text (pure); undefined when not one. */
function launcherInvocation(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** Process control through the launcher's Unix control socket. */
export function createLocalControl(socketPath: string, opts: { timeoutMs?: number } = {}): ProcessControl {
  const client: OwnerClient = createOwnerClient(socketPath, {
    timeoutMs: opts.timeoutMs ?? 60_000,
    unreachable: (message, details, cause) => kanErrors.create('PROCESS_CONTROL_FAILED', message, details, cause),
  });
  /** Every failure of the owner is PROCESS_CONTROL_FAILED for the kan (the owner's own code kept in details). */
  const guard = async (call: Promise<ProcessStatus>): Promise<ProcessStatus> => {
    try {
      return await call;
    } catch (err) {
      if (err instanceof Error && (err as { code?: unknown }).code === 'PROCESS_CONTROL_FAILED') throw err;
      const code = (err as { code?: unknown }).code;
      throw kanErrors.create('PROCESS_CONTROL_FAILED', `the launcher refused: ${errorMessage(err)}`, { ownerCode: typeof code === 'string' ? code : null }, err);
    }
  };
  return {
    mode: 'local',
    status: async (name) => fromLauncherStatus(name, await guard(client.status(name))),
    start: async (name, ifInvocation) => fromLauncherStatus(name, await guard(client.start(name, launcherInvocation(ifInvocation)))),
    stop: async (name, ifInvocation) => fromLauncherStatus(name, await guard(client.stop(name, launcherInvocation(ifInvocation)))),
    restart: async (name, ifInvocation) => fromLauncherStatus(name, await guard(client.restart(name, launcherInvocation(ifInvocation)))),
  };
}
