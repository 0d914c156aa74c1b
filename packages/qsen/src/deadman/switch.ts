/**
 * The dead man's switch at run time (docs/qsen.md, "Dead man's switch"): the decisions of
 * decide.ts driven by the injected clock, a check timer, and the arm marker `deadman.json` in the
 * data folder (written when it arms, removed when it disarms or trips), so that a qsen restarted
 * while armed is armed again for the same trading day. Each heartbeat only moves the deadline in
 * memory: arming, disarming and tripping are audited, heartbeats are not (one every few seconds
 * would flood the trail). Tripping calls `onTrip` (the halt, and the mass cancel when configured).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DeadmanConfig } from '@qsen/core/config';
import type { AuditSink, LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { writeFileAtomicSync } from '@qsen/core/storage';
import { qsenErrors } from '../errors.js';
import { applyDisarm, applyHeartbeat, applyTrip, initialState, judgeDeadman, type DeadmanState } from './decide.js';
import { errorMessage } from '@qsen/core/errors';

/** File name of the arm marker inside the data folder. */
export const DEADMAN_FILE = 'deadman.json';

/** What status, metrics and the heartbeat answer show of the switch. */
export interface DeadmanView {
  readonly enabled: boolean;
  /** off | disarmed | armed | tripped */
  readonly state: DeadmanState['phase'];
  readonly intervalSeconds: number;
  readonly cancelOpen: boolean;
  readonly tradingDay?: string;
  readonly armedAt?: string;
  readonly lastHeartbeatAt?: string;
  readonly deadline?: string;
  /** Seconds until the deadline (0 once it passed). */
  readonly secondsLeft?: number;
  readonly trippedAt?: string;
  readonly disarmedAt?: string;
  readonly disarmCause?: string;
}

/** Who called (for the audit). */
export interface DeadmanCaller {
  readonly subject: string;
  readonly requestId?: string;
}

/** What the trip handler is told. */
export interface DeadmanTrip {
  readonly armedAt: string | undefined;
  readonly lastHeartbeatAt: string | undefined;
  readonly deadline: string | undefined;
  readonly intervalSeconds: number;
  readonly cancelOpen: boolean;
}

/** What the switch needs. */
export interface DeadmanDeps {
  readonly settings: DeadmanConfig;
  readonly clock: Clock;
  /** Whether the trading window is open at an instant. */
  readonly isMarketOpen: (nowMs: number) => boolean;
  /** The trading day (local date in the schedule's zone) of an instant. */
  readonly tradingDayOf: (nowMs: number) => string;
  /** Where the arm marker lives (`[paths] data`). */
  readonly dataDir: string;
  readonly audit: AuditSink;
  /** Halts (and cancels when configured); errors are logged, the switch stays tripped. */
  readonly onTrip: (trip: DeadmanTrip) => Promise<void> | void;
  readonly log?: LogSink;
}

/** The running switch. */
export interface DeadmanSwitch {
  /** A heartbeat: arms or moves the deadline; 409 DEADMAN_DISABLED when off, 409 MARKET_CLOSED outside the window. */
  heartbeat(caller: DeadmanCaller): DeadmanView;
  /** The platform disarms it (no-op when not armed). */
  disarm(caller: DeadmanCaller): DeadmanView;
  /** Judges now: trips, or disarms when the window closed; resolves once a trip's handler is done. */
  tick(): Promise<void>;
  view(): DeadmanView;
  /** The deadline while armed (epoch ms), undefined otherwise (the metric). */
  deadlineMs(): number | undefined;
  /** Starts the check timer (every `checkMs`). */
  start(checkMs?: number): void;
  close(): void;
}

function readMarker(file: string): { tradingDay: string; armedAt: number } | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const armedAt = typeof value['armedAt'] === 'string' ? Date.parse(value['armedAt']) : Number.NaN;
    if (typeof value['tradingDay'] !== 'string' || !Number.isFinite(armedAt)) return undefined;
    return { tradingDay: value['tradingDay'], armedAt };
  } catch {
    return undefined;
  }
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Opens the dead man's switch (reading a marker left by a run of qsen that was armed today). */
export function openDeadman(deps: DeadmanDeps): DeadmanSwitch {
  const { settings, clock } = deps;
  const intervalMs = settings.interval_seconds * 1000;
  const file = join(deps.dataDir, DEADMAN_FILE);
  const startMs = clock.now();
  let state = initialState(settings.enabled, startMs, intervalMs, settings.enabled ? readMarker(file) : undefined, deps.tradingDayOf(startMs));
  if (state.phase === 'armed') deps.log?.info('deadman: armed again after a restart; the platform has one interval to send a heartbeat', { deadline: iso(state.deadline) });
  let timer: NodeJS.Timeout | undefined;
  let tripping: Promise<void> | undefined;

  function persistArmed(): void {
    try {
      writeFileAtomicSync(file, `${JSON.stringify({ tradingDay: state.tradingDay, armedAt: iso(state.armedAt) })}\n`);
    } catch (err) {
      // Armed in memory all the same; only a restart before the next arming would forget it.
      deps.log?.warn('deadman: the arm marker could not be written; the switch is armed in memory', { error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }

  function removeMarker(): void {
    try {
      rmSync(file, { force: true });
    } catch (err) {
      deps.log?.warn('deadman: the arm marker could not be removed', { error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }

  function view(): DeadmanView {
    const now = clock.now();
    return {
      enabled: settings.enabled,
      state: state.phase,
      intervalSeconds: settings.interval_seconds,
      cancelOpen: settings.cancel_open,
      ...(state.tradingDay !== undefined ? { tradingDay: state.tradingDay } : {}),
      ...(state.armedAt !== undefined ? { armedAt: iso(state.armedAt) } : {}),
      ...(state.lastHeartbeatAt !== undefined ? { lastHeartbeatAt: iso(state.lastHeartbeatAt) } : {}),
      ...(state.deadline !== undefined ? { deadline: iso(state.deadline), secondsLeft: Math.max(0, Math.round((state.deadline - now) / 100) / 10) } : {}),
      ...(state.trippedAt !== undefined ? { trippedAt: iso(state.trippedAt) } : {}),
      ...(state.disarmedAt !== undefined ? { disarmedAt: iso(state.disarmedAt), disarmCause: state.disarmCause } : {}),
    } as DeadmanView;
  }

  function disarmFor(cause: 'platform' | 'window_closed' | 'new_day', caller: DeadmanCaller): boolean {
    const result = applyDisarm(state, clock.now(), cause);
    if (!result.changed) return false;
    state = result.state;
    removeMarker();
    deps.audit.record({ action: 'heartbeat', subject: caller.subject, outcome: 'done', ...(caller.requestId ? { requestId: caller.requestId } : {}), details: { event: 'disarmed', cause } });
    deps.log?.info('deadman: disarmed', { cause });
    return true;
  }

  async function tick(): Promise<void> {
    if (tripping) return tripping;
    const now = clock.now();
    const verdict = judgeDeadman(state, now, deps.isMarketOpen(now), deps.tradingDayOf(now));
    if (verdict.kind === 'disarm') {
      disarmFor(verdict.cause, { subject: 'deadman' });
      return;
    }
    if (verdict.kind !== 'trip') return;
    const trip: DeadmanTrip = { armedAt: iso(state.armedAt), lastHeartbeatAt: iso(state.lastHeartbeatAt), deadline: iso(state.deadline), intervalSeconds: settings.interval_seconds, cancelOpen: settings.cancel_open };
    state = applyTrip(state, now);
    removeMarker();
    deps.log?.error('deadman: no heartbeat within the interval; halting', { ...trip });
    tripping = (async () => {
      try {
        await deps.onTrip(trip);
      } catch (err) {
        deps.log?.error('deadman: the trip handler failed', { error: errorMessage(err) });
      } finally {
        tripping = undefined;
      }
    })();
    return tripping;
  }

  return {
    heartbeat(caller) {
      if (state.phase === 'off') throw qsenErrors.create('DEADMAN_DISABLED');
      const now = clock.now();
      if (!deps.isMarketOpen(now)) throw qsenErrors.create('MARKET_CLOSED', undefined, { at: new Date(now).toISOString() });
      // A heartbeat after the deadline that the check timer has not judged yet does not rescue it.
      if (judgeDeadman(state, now, true, deps.tradingDayOf(now)).kind === 'trip') void tick();
      const result = applyHeartbeat(state, now, intervalMs, deps.tradingDayOf(now));
      state = result.state;
      if (result.event === 'armed') {
        persistArmed();
        deps.audit.record({ action: 'heartbeat', subject: caller.subject, outcome: 'done', ...(caller.requestId ? { requestId: caller.requestId } : {}), details: { event: 'armed', tradingDay: state.tradingDay, intervalSeconds: settings.interval_seconds, cancelOpen: settings.cancel_open } });
        deps.log?.info('deadman: armed', { tradingDay: state.tradingDay, deadline: iso(state.deadline) });
      }
      return view();
    },
    disarm(caller) {
      if (state.phase === 'off') throw qsenErrors.create('DEADMAN_DISABLED');
      disarmFor('platform', caller);
      return view();
    },
    tick,
    view,
    deadlineMs: () => (state.phase === 'armed' ? state.deadline : undefined),
    start(checkMs = Math.max(50, Math.min(1000, intervalMs / 4))) {
      if (timer || state.phase === 'off') return;
      timer = setInterval(() => void tick(), checkMs);
      timer.unref();
    },
    close() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
