/**
 * A kan restarting itself cannot write the `done` of its own restart: the owner stops it
 * while it waits. So it leaves a marker in the run folder when it accepts the request, and the
 * new process, once it listens, writes the `done` line and removes the marker. A restart that
 * returns to the same process (the owner did not stop it) writes its own outcome and removes
 * the marker itself. Should the old process be stopped between writing its `done` and removing
 * the marker, the new one writes a second `done` with the same requestId (docs/auditor.md).
 */
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditSink } from '@qsen/core/logging';

/** What the marker holds. */
export interface PendingSelfRestart {
  readonly subject: string;
  readonly requestId: string;
  /** The process that accepted the request. */
  readonly pid: number;
  /** ISO time of acceptance. */
  readonly at: string;
}

/** The marker of one kan. */
export interface SelfRestartMarker {
  /** Records that this kan accepted a restart of itself. */
  begin(pending: PendingSelfRestart): void;
  /** The restart came back to this same process: its outcome is written here, the marker goes. */
  end(): void;
}

/** The marker file of kan `index` (pure). */
export function selfRestartMarkerPath(runDir: string, index: number): string {
  return join(runDir, `kan${index}.self-restart.json`);
}

/** The marker of kan `index` in `runDir`. */
export function createSelfRestartMarker(runDir: string, index: number, onError?: (err: unknown) => void): SelfRestartMarker {
  const path = selfRestartMarkerPath(runDir, index);
  return {
    begin(pending) {
      try {
        mkdirSync(runDir, { recursive: true });
        const tmp = `${path}.tmp`;
        writeFileSync(tmp, `${JSON.stringify(pending)}\n`, { mode: 0o600 });
        renameSync(tmp, path);
      } catch (err) {
        // The restart still goes ahead; only its `done` line will be missing.
        onError?.(err);
      }
    },
    end() {
      try {
        unlinkSync(path);
      } catch {
        // not there: nothing to end
      }
    },
  };
}

/** Reads a marker; undefined when absent or unreadable. */
function readMarker(path: string): PendingSelfRestart | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value['subject'] === 'string' && typeof value['requestId'] === 'string' && typeof value['pid'] === 'number' && typeof value['at'] === 'string') {
      return { subject: value['subject'], requestId: value['requestId'], pid: value['pid'], at: value['at'] };
    }
  } catch {
    // torn marker: the restart is still reported, without the request's facts
  }
  return { subject: 'unknown', requestId: 'unknown', pid: 0, at: '' };
}

/** Called by a kan once it listens: writes the `done` of a self-restart left pending by its previous process. */
export function completePendingSelfRestart(opts: { runDir: string; index: number; pid: number; audit: AuditSink }): PendingSelfRestart | undefined {
  const path = selfRestartMarkerPath(opts.runDir, opts.index);
  const pending = readMarker(path);
  if (pending === undefined || pending.pid === opts.pid) return undefined;
  opts.audit.record({
    action: 'restart_kan',
    subject: pending.subject,
    outcome: 'done',
    requestId: pending.requestId,
    details: { target: `kan${opts.index}`, acceptedAt: pending.at, previousPid: pending.pid, pid: opts.pid, writtenBy: 'the new process' },
  });
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
  return pending;
}
