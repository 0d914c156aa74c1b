/**
 * The watchdog loop of one kan: every interval it probes qsen and the two peer kans on loopback
 * and runs the pure per-target step (step.ts) on what it saw. This module only does the I/O
 * around that step: timers, probes, idle connections, one observation of a failing target per
 * decision (the owner's word, /proc, the heartbeat, the ledger), and the action through the
 * Coordinator. It also carries qsen's schedule and this kan's daily self-restart (through the
 * kan quorum).
 */
import type { WatchdogConfig } from '@qsen/core/config';
import type { LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import { heartbeatAgeMs, heartbeatFile, readHeartbeat } from '@qsen/core/liveness';
import type { ProcessControl, ProcessName, ProcessState } from '../process/control.js';
import { readProcFacts } from '../process/proc.js';
import type { KanMetrics } from '../metrics/kan-metrics.js';
import type { Coordinator } from './coordinator.js';
import type { RestartLedger } from './ledger.js';
import type { PeerTls } from './peer-tls.js';
import { watchConnection, type ConnectionWatch, type ProbeFn } from './probe.js';
import { actorRank, decideDailyRestart } from './policy.js';
import type { KanQuorum } from './quorum.js';
import {
  afterAction, decideTarget, initialTargetState, needsObservation, probeTimeoutOf, recordProbe, retryDelayOf, TRUST_SETTLE_MS,
  type Observation, type TargetState,
} from './step.js';
import { errorMessage } from '@qsen/core/errors';

/** Options of a watchdog. */
export interface WatchdogOptions {
  readonly selfIndex: number;
  readonly qsenPort: number;
  readonly kanPorts: readonly number[];
  readonly settings: WatchdogConfig;
  readonly control: ProcessControl;
  readonly coordinator: Coordinator;
  readonly ledger: RestartLedger;
  /** The kan quorum the daily self-restart goes through (none: the daily restart only checks its peers). */
  readonly quorum?: KanQuorum;
  readonly probe: ProbeFn;
  /** The clock of schedule and back-off decisions (injectable). */
  readonly clock: Clock;
  /** Is qsen's trading window open at this instant? */
  readonly isWindowOpen: (atMs: number) => boolean;
  /** When this kan's next daily restart is due after a given instant; null disables daily restarts. */
  readonly dailyRestartDueAt: ((afterMs: number) => number) | null;
  /** How long the owner gets to bring an exited kan back before a peer starts it. */
  readonly ownerRestartGraceMs?: number;
  /** Where the nodes' heartbeat files are (default: the ledger's run folder). */
  readonly heartbeatDir?: string;
  /** The /proc root (tests). */
  readonly procRoot?: string;
  readonly logger: LogSink;
  readonly metrics?: KanMetrics;
  /**
   * The client TLS of the idle connections (peer-tls.ts): when given, an idle TLS connection to
   * each healthy target reports its death at once. It follows the TLS files: at each change the
   * open idle connections are closed (without a probe) and opened again with the new context.
   */
  readonly peerTls?: PeerTls;
}

/** This kan's view of one target: its decision state (without the bookkeeping of conditions) and the idle connection. */
export type TargetView = Omit<TargetState, 'path' | 'ownerCheckedAt' | 'downSince' | 'conditionSince' | 'untrustedSince'> & {
  /** An idle connection to the target is open (its closing triggers a probe at once). */
  readonly watching: boolean;
};

/** The I/O bookkeeping of one target (the decision state is the immutable TargetState). */
interface TargetSlot {
  state: TargetState;
  probing: boolean;
  acting: boolean;
  watch: ConnectionWatch | null;
}

/** Runs the probes, observations and actions of one kan. */
export interface Watchdog {
  /** Starts ticking (first probe round at once). */
  start(): void;
  /** Stops ticking and waits for the probes and actions under way. */
  stop(): Promise<void>;
  /** This kan's view of its targets. */
  view(): TargetView[];
  /** When this kan's next daily restart is due (null when disabled). */
  readonly dailyRestartDueAt: number | null;
}

/** Makes the watchdog of one kan (not ticking until start()). */
export function createWatchdog(options: WatchdogOptions): Watchdog {
  const o = options;
  const slot = (name: ProcessName, port: number, path: string): TargetSlot => ({ state: initialTargetState(name, port, path), probing: false, acting: false, watch: null });
  const slots: TargetSlot[] = [slot('qsen', o.qsenPort, '/qsen/v1/ping')];
  o.kanPorts.forEach((port, i) => {
    if (i !== o.selfIndex) slots.push(slot(`kan${i}` as ProcessName, port, '/kan/v1/ping'));
  });
  const pending = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let dailyDueAt: number | null = o.dailyRestartDueAt === null ? null : o.dailyRestartDueAt(o.clock.now());
  let selfRestarting = false;

  const schedule = (due: number): void => {
    if (!running) return;
    timer = setTimeout(() => tick(due), Math.max(0, due - Date.now()));
  };

  const tick = (dueAt: number): void => {
    const firedAt = Date.now();
    const interval = o.settings.interval_ms;
    // Next round on the grid; after a stall skip the missed rounds instead of bursting.
    schedule(Math.max(dueAt + interval, firedAt + Math.floor(interval / 2)));
    for (const slot of slots) {
      launchProbe(slot, dueAt, firedAt);
      ensureWatch(slot);
    }
    track(considerDailyRestart());
  };

  /** Keeps an idle connection to a healthy target: its loss triggers a probe at once. */
  const ensureWatch = (slot: TargetSlot): void => {
    const tls = o.peerTls;
    if (tls === undefined || slot.watch !== null || slot.state.lastOutcome !== 'ok' || !running) return;
    const watch = watchConnection({
      port: slot.state.port, secureContext: tls.context(),
      onLost: () => {
        const now = Date.now();
        // Debug only: idle watch connections are closed by the target's keep-alive timeout every 30 s; state changes are logged by the verdicts.
        o.logger.debug('connection to target closed: probing now', { target: slot.state.name, probing: slot.probing });
        launchProbe(slot, now, now);
      },
      // Only this connection's end frees the slot (a replaced one may end after its successor opened).
      onEnd: () => { if (slot.watch === watch) slot.watch = null; },
    });
    slot.watch = watch;
  };

  /** The TLS files changed: the idle connections made with the old context are replaced (a verified peer is not verified again otherwise). */
  const renewWatches = (): void => {
    for (const slot of slots) {
      const old = slot.watch;
      if (old === null) continue;
      slot.watch = null;
      old.close();
      ensureWatch(slot);
    }
  };
  let unsubscribeTls: (() => void) | undefined;

  const launchProbe = (slot: TargetSlot, dueAt: number, firedAt: number): void => {
    if (slot.probing || !running) return;
    slot.probing = true;
    track(probeOne(slot, dueAt, firedAt).finally(() => {
      slot.probing = false;
      // A suspect target is probed again at once instead of at the next round: a hung verdict
      // then takes failure_threshold timeouts, not failure_threshold intervals. A refused probe
      // while the owner still says "running" is retried shortly too.
      const t = slot.state;
      const delay = retryDelayOf(t.verdict.kind, t.lastOutcome, t.owner !== null);
      if (delay !== null && running) {
        const due = Date.now() + delay;
        setTimeout(() => launchProbe(slot, due, Date.now()), delay);
      }
    }));
  };

  const track = (p: Promise<unknown>): void => {
    const guarded = p.catch((err: unknown) => o.logger.error('watchdog step failed', { error: errorMessage(err) }));
    pending.add(guarded);
    void guarded.finally(() => pending.delete(guarded));
  };

  const probeOne = async (slot: TargetSlot, dueAt: number, firedAt: number): Promise<void> => {
    const { settings, metrics, logger, clock } = o;
    const before = slot.state;
    const timeoutMs = probeTimeoutOf(before, settings);
    const result = await o.probe({ port: before.port, path: before.path }, timeoutMs);
    const probe = { ...result, dueAt, firedAt, settledAt: Date.now(), timeoutMs, now: clock.now() };
    metrics?.probeDuration.observe({ target: before.name }, result.durationMs / 1000);
    const recorded = recordProbe(slot.state, probe, settings);
    slot.state = recorded.state;
    if (recorded.evidence === 'stale') {
      metrics?.probes.inc({ target: before.name, result: 'stale' });
      logger.warn('probe discarded: this kan stalled', { target: before.name, lateMs: firedAt - dueAt, tookMs: probe.settledAt - firedAt });
      return;
    }
    if (recorded.evidence === 'settling') {
      metrics?.probes.inc({ target: before.name, result: 'untrusted' });
      metrics?.targetUp.set({ target: before.name }, 0);
      if (before.untrustedSince === null) logger.warn('target certificate refused by the CA in force: not counted while the TLS files settle', { target: before.name, detail: result.detail, settleMs: TRUST_SETTLE_MS });
      return;
    }
    if (recorded.evidence === 'ok') {
      if (before.failures > 0 || before.downSince !== null) logger.info('target answers again', { target: before.name, after: before.failures });
      metrics?.targetUp.set({ target: before.name }, 1);
      ensureWatch(slot);
    }
    await decide(slot, recorded.evidence, result.detail);
  };

  /** One observation of a target: the owner once, then the kernel and the heartbeat of the pid the owner named, and the ledger. */
  const observeTarget = async (name: ProcessName): Promise<Observation> => {
    let owner: ProcessState | null = null;
    try {
      owner = await o.control.status(name);
    } catch (err) {
      o.logger.warn('owner status unavailable', { target: name, error: errorMessage(err) });
    }
    const pid = owner?.pid ?? null;
    const [facts, heartbeat, history] = await Promise.all([
      pid === null ? null : readProcFacts(pid, o.procRoot),
      readHeartbeat(heartbeatFile(o.heartbeatDir ?? o.ledger.runDir, name)),
      o.ledger.read(name),
    ]);
    return { owner, kernel: facts?.state ?? null, heartbeatAgeMs: heartbeatAgeMs(heartbeat, pid, Date.now()), history };
  };

  const decide = async (slot: TargetSlot, evidence: 'ok' | 'failed', detail: string | undefined): Promise<void> => {
    const { settings, clock, logger, metrics, ledger } = o;
    const name = slot.state.name;
    const windowOpen = o.isWindowOpen(clock.now());
    const observe = needsObservation(slot.state, evidence, { windowOpen, now: clock.now(), settings });
    const observation = observe ? await observeTarget(name) : null;
    const now = clock.now();
    const previous = slot.state.verdict.kind;
    const decision = decideTarget(slot.state, evidence, observation, {
      settings, policy: ledger.policy, windowOpen, now, rank: actorRank(name, o.selfIndex, kanHealth()) ?? 0,
      ownerRestartGraceMs: o.ownerRestartGraceMs ?? 1000 + settings.startup_grace_ms,
    });
    slot.state = decision.state;
    const t = decision.state;
    if (evidence === 'failed') {
      metrics?.probes.inc({ target: name, result: decision.busy ? 'busy' : t.lastOutcome ?? 'error' });
      if (decision.busy) {
        logger.info('probe timed out but the heartbeat advances: busy, not hung', { target: name, busyProbes: t.busyProbes });
      } else {
        metrics?.targetUp.set({ target: name }, 0);
        if (t.failures === 1) logger.info('probe failed', { target: name, outcome: t.lastOutcome, detail, stopped: t.stopped });
      }
    }
    if (t.verdict.kind !== previous) logger.info('verdict', { target: name, verdict: t.verdict, stopped: t.stopped });
    metrics?.backoff.set({ target: name }, decision.standing === null ? 0 : Math.max(0, (decision.standing.allowedAt - now) / 1000));
    if (decision.standing !== null) metrics?.crashLoop.set({ target: name }, decision.standing.crashLoop ? 1 : 0);
    const action = decision.action;
    if (action.kind === 'wait' && action.why === 'back-off' && decision.standing?.crashLoop === true) {
      logger.warn('crash loop: restart held back', { target: name, until: new Date(action.until).toISOString(), streak: observation?.history?.streak });
    }
    if (action.kind !== 'start' && action.kind !== 'restart' && action.kind !== 'stop') return;
    const owner = t.owner;
    if (owner === null || slot.acting) return;
    slot.acting = true;
    try {
      const outcome = await o.coordinator.act({
        target: name, action: action.kind, reason: action.reason, judged: { invocation: owner.invocation, pid: owner.pid, state: owner.state },
        lockWaitMs: 0, countsForBackoff: action.reason !== 'schedule', lastHealthyAt: t.lastSeenAt,
      });
      slot.state = afterAction(slot.state, action, outcome.kind, outcome.kind === 'changed' ? outcome.now : null, now);
    } finally {
      slot.acting = false;
    }
  };

  const kanHealth = (): boolean[] => {
    return o.kanPorts.map((_, i) => {
      if (i === o.selfIndex) return true;
      const t = slots.find((s) => s.state.name === `kan${i}`)?.state;
      return t !== undefined && t.lastOutcome === 'ok' && t.failures === 0;
    });
  };

  const considerDailyRestart = async (): Promise<void> => {
    if (dailyDueAt === null || selfRestarting) return;
    const now = o.clock.now();
    const decision = decideDailyRestart({ now, dueAt: dailyDueAt, peersHealthy: kanHealth().every((h) => h) });
    if (decision === 'not-due') return;
    if (decision === 'wait') {
      o.logger.debug('daily restart waits for both peers to be healthy');
      return;
    }
    selfRestarting = true;
    const self = `kan${o.selfIndex}` as ProcessName;
    try {
      const restart = async (): Promise<string> => {
        const owner = await o.control.status(self);
        const outcome = await o.coordinator.act({
          target: self, action: 'restart', reason: 'daily', lockWaitMs: 0, countsForBackoff: false,
          judged: { invocation: owner.invocation, pid: owner.pid, state: owner.state },
        });
        return outcome.kind;
      };
      // The round's verdicts can be a round old: the quorum looks at both peers at this instant.
      const outcome = await gated(restart);
      if (outcome === null) {
        o.logger.debug('daily restart waits for both peers to answer now');
        return;
      }
      if (outcome !== 'busy') dailyDueAt = o.dailyRestartDueAt?.(now + 60_000) ?? null;
    } finally {
      selfRestarting = false;
    }
  };

  /** Runs a self-restart under the kan quorum (no wait); null when the quorum is missing now. */
  const gated = async (restart: () => Promise<string>): Promise<string | null> => {
    const quorum = o.quorum;
    if (quorum !== undefined) {
      const gated = await quorum.whenAllowed(o.selfIndex, 0, restart);
      return gated.kind === 'done' ? gated.value : null;
    }
    const peers = slots.filter((s) => s.state.name !== 'qsen');
    const results = await Promise.all(peers.map((s) => o.probe({ port: s.state.port, path: s.state.path }, o.settings.timeout_ms)));
    return results.every((r) => r.outcome === 'ok') ? restart() : null;
  };

  return {
    start() {
      if (running) return;
      running = true;
      unsubscribeTls ??= o.peerTls?.onChange(renewWatches);
      schedule(Date.now());
    },
    async stop() {
      running = false;
      unsubscribeTls?.();
      unsubscribeTls = undefined;
      if (timer !== undefined) clearTimeout(timer);
      for (const s of slots) s.watch?.close();
      await Promise.allSettled([...pending]);
    },
    view() {
      return slots.map(({ state, watch }) => {
        const { path: _path, ownerCheckedAt: _checked, downSince: _down, conditionSince: _since, untrustedSince: _untrusted, ...view } = state;
        return { ...view, watching: watch?.established ?? false };
      });
    },
    get dailyRestartDueAt() {
      return dailyDueAt;
    },
  };
}
