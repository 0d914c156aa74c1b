/**
 * The watchdog loop of one kan: every interval it probes qsen and the two peer kans on loopback,
 * keeps the evidence, asks the owner when a probe fails, judges (policy.ts), and acts through
 * the Coordinator. It also carries qsen's schedule (start when the window opens, stop when it
 * closes) and this kan's daily staggered self-restart.
 */
import type { WatchdogConfig } from '@qsen/core';
import type { ProcessControl, ProcessName, ProcessState } from '../process/control.js';
import type { LogSink } from '../log-sink.js';
import type { KanMetrics } from '../metrics/kan-metrics.js';
import type { Coordinator, JudgedProcess, TimeSource } from './coordinator.js';
import { watchConnection, type ConnectionWatch, type ProbeFn } from './probe.js';
import {
  actorRank, decideAction, decideDailyRestart, isCrashLooping, isEvidenceFresh, judgeTarget, nextRestartAllowedAt,
  type Action, type ProbeOutcome, type Verdict,
} from './policy.js';
import { readHistory } from './history.js';

/** Pause before probing a suspect target again. */
export const RETRY_DELAY_MS = 50;
/** Pause before probing again a target that refused (or reset) while its owner says it runs. */
export const REFUSED_RETRY_DELAY_MS = 250;

/** When to probe a target again before the next round (pure); null: at the next round. */
export function retryDelayOf(verdict: Verdict['kind'], lastOutcome: ProbeOutcome | null, ownerKnown: boolean): number | null {
  if (!ownerKnown) return null;
  if (verdict === 'suspect') return RETRY_DELAY_MS;
  if (verdict === 'starting' && (lastOutcome === 'refused' || lastOutcome === 'error')) return REFUSED_RETRY_DELAY_MS;
  return null;
}

/** The watchdog settings it needs: conf.toml's [watchdog]. */
export type WatchdogSettings = WatchdogConfig;

/** Options of a watchdog. */
export interface WatchdogOptions {
  readonly selfIndex: number;
  readonly qsenPort: number;
  readonly kanPorts: readonly number[];
  readonly settings: WatchdogSettings;
  readonly control: ProcessControl;
  readonly coordinator: Coordinator;
  readonly probe: ProbeFn;
  /** The clock of schedule and back-off decisions (injectable). */
  readonly clock: TimeSource;
  /** Is qsen's trading window open at this instant? */
  readonly isWindowOpen: (atMs: number) => boolean;
  /** When this kan's next daily restart is due after a given instant; null disables daily restarts. */
  readonly dailyRestartDueAt: ((afterMs: number) => number) | null;
  /** How long the owner gets to bring an exited kan back before a peer starts it. */
  readonly ownerRestartGraceMs?: number;
  readonly logger: LogSink;
  readonly metrics?: KanMetrics;
  /** The cluster CA: when given, an idle TLS connection to each target reports its death at once. */
  readonly caPem?: string | Buffer;
}

/** This kan's view of one target. */
export interface TargetView {
  readonly name: ProcessName;
  readonly port: number;
  readonly lastOutcome: ProbeOutcome | null;
  readonly failures: number;
  readonly lastSeenAt: number | null;
  readonly lastProbeAt: number | null;
  readonly lastProbeMs: number | null;
  readonly reportedPid: number | null;
  readonly owner: ProcessState | null;
  readonly verdict: Verdict;
  readonly lastAction: { readonly at: number; readonly action: Action; readonly outcome: string } | null;
  readonly staleProbes: number;
  /** An idle connection to the target is open (its closing triggers a probe at once). */
  readonly watching: boolean;
}

interface TargetState {
  name: ProcessName;
  port: number;
  path: string;
  lastOutcome: ProbeOutcome | null;
  failures: number;
  lastSeenAt: number | null;
  lastProbeAt: number | null;
  lastProbeMs: number | null;
  reportedPid: number | null;
  owner: ProcessState | null;
  ownerCheckedAt: number;
  verdict: Verdict;
  downSince: number | null;
  conditionSince: number | null;
  probing: boolean;
  acting: boolean;
  lastAction: TargetView['lastAction'];
  staleProbes: number;
  watch: ConnectionWatch | null;
}

/** Runs the probes, verdicts and actions of one kan. */
export class Watchdog {
  readonly #o: WatchdogOptions;
  readonly #targets: TargetState[];
  #timer: NodeJS.Timeout | undefined;
  #nextDue = 0;
  #running = false;
  #dailyDueAt: number | null = null;
  #selfRestarting = false;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(options: WatchdogOptions) {
    this.#o = options;
    const mk = (name: ProcessName, port: number, path: string): TargetState => ({
      name, port, path, lastOutcome: null, failures: 0, lastSeenAt: null, lastProbeAt: null, lastProbeMs: null, reportedPid: null,
      owner: null, ownerCheckedAt: 0, verdict: { kind: 'healthy' }, downSince: null, conditionSince: null,
      probing: false, acting: false, lastAction: null, staleProbes: 0, watch: null,
    });
    this.#targets = [mk('qsen', options.qsenPort, '/qsen/v1/ping')];
    options.kanPorts.forEach((port, i) => {
      if (i !== options.selfIndex) this.#targets.push(mk(`kan${i}` as ProcessName, port, '/kan/v1/ping'));
    });
    if (options.dailyRestartDueAt !== null) this.#dailyDueAt = options.dailyRestartDueAt(options.clock.now());
  }

  /** Starts ticking (first probe round at once). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#nextDue = Date.now();
    this.#schedule();
  }

  /** Stops ticking and waits for the probes and actions under way. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const t of this.#targets) t.watch?.close();
    await Promise.allSettled([...this.#pending]);
  }

  /** This kan's view of its targets. */
  view(): TargetView[] {
    return this.#targets.map((t) => ({
      name: t.name, port: t.port, lastOutcome: t.lastOutcome, failures: t.failures, lastSeenAt: t.lastSeenAt, lastProbeAt: t.lastProbeAt,
      lastProbeMs: t.lastProbeMs, reportedPid: t.reportedPid, owner: t.owner, verdict: t.verdict, lastAction: t.lastAction, staleProbes: t.staleProbes,
      watching: t.watch?.established ?? false,
    }));
  }

  /** When this kan's next daily restart is due (null when disabled). */
  get dailyRestartDueAt(): number | null {
    return this.#dailyDueAt;
  }

  #schedule(): void {
    if (!this.#running) return;
    const due = this.#nextDue;
    this.#timer = setTimeout(() => this.#tick(due), Math.max(0, due - Date.now()));
  }

  #tick(dueAt: number): void {
    const firedAt = Date.now();
    const interval = this.#o.settings.interval_ms;
    // Next round on the grid; after a stall skip the missed rounds instead of bursting.
    this.#nextDue = Math.max(dueAt + interval, firedAt + Math.floor(interval / 2));
    this.#schedule();
    for (const target of this.#targets) {
      this.#launchProbe(target, dueAt, firedAt);
      this.#ensureWatch(target);
    }
    this.#track(this.#considerDailyRestart());
  }

  /** Keeps an idle connection to a healthy target: its loss triggers a probe at once. */
  #ensureWatch(target: TargetState): void {
    const caPem = this.#o.caPem;
    if (caPem === undefined || target.watch !== null || target.lastOutcome !== 'ok' || !this.#running) return;
    target.watch = watchConnection({
      port: target.port, caPem,
      onLost: () => {
        const now = Date.now();
        this.#o.logger.info('connection to target closed: probing now', { target: target.name, probing: target.probing });
        this.#launchProbe(target, now, now);
      },
      onEnd: () => { target.watch = null; },
    });
  }

  #launchProbe(target: TargetState, dueAt: number, firedAt: number): void {
    if (target.probing || !this.#running) return;
    target.probing = true;
    this.#track(this.#probeOne(target, dueAt, firedAt).finally(() => {
      target.probing = false;
      // A suspect target is probed again at once instead of at the next round: a hung
      // verdict then takes failure_threshold timeouts, not failure_threshold intervals. A
      // refused probe while the owner still says "running" (it has not reaped the process
      // yet, or the process is booting) is retried shortly too.
      const delay = retryDelayOf(target.verdict.kind, target.lastOutcome, target.owner !== null);
      if (delay !== null && this.#running) {
        const due = Date.now() + delay;
        setTimeout(() => this.#launchProbe(target, due, Date.now()), delay);
      }
    }));
  }

  #track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) => this.#o.logger.error('watchdog step failed', { error: err instanceof Error ? err.message : String(err) }));
    this.#pending.add(guarded);
    void guarded.finally(() => this.#pending.delete(guarded));
  }

  async #probeOne(t: TargetState, dueAt: number, firedAt: number): Promise<void> {
    const { settings, metrics, logger } = this.#o;
    const result = await this.#o.probe({ port: t.port, path: t.path }, settings.timeout_ms);
    const settledAt = Date.now();
    const now = this.#o.clock.now();
    t.lastProbeAt = now;
    t.lastProbeMs = result.durationMs;
    metrics?.probeDuration.observe({ target: t.name }, result.durationMs / 1000);
    const tolerance = Math.max(250, Math.floor(settings.interval_ms / 2));
    if (!isEvidenceFresh(result.outcome, { dueAt, firedAt, settledAt }, { timeoutMs: settings.timeout_ms, toleranceMs: tolerance })) {
      // This kan stalled: the failure says nothing about the target. Start counting afresh.
      t.staleProbes += 1;
      t.failures = 0;
      metrics?.probes.inc({ target: t.name, result: 'stale' });
      logger.warn('probe discarded: this kan stalled', { target: t.name, lateMs: firedAt - dueAt, tookMs: settledAt - firedAt });
      return;
    }
    metrics?.probes.inc({ target: t.name, result: result.outcome });
    t.lastOutcome = result.outcome;
    if (result.outcome === 'ok') {
      if (t.failures > 0 || t.downSince !== null) logger.info('target answers again', { target: t.name, after: t.failures });
      t.failures = 0;
      t.lastSeenAt = now;
      t.reportedPid = result.pid;
      t.downSince = null;
      metrics?.targetUp.set({ target: t.name }, 1);
      this.#ensureWatch(t);
    } else {
      t.failures += 1;
      metrics?.targetUp.set({ target: t.name }, 0);
      if (t.failures === 1) logger.info('probe failed', { target: t.name, outcome: result.outcome, detail: result.detail });
      const skipOwner = t.name === 'qsen' && !this.#o.isWindowOpen(now) && t.owner?.state === 'stopped' && now - t.ownerCheckedAt < 5000;
      if (!skipOwner) await this.#refreshOwner(t);
    }
    await this.#decide(t);
  }

  async #refreshOwner(t: TargetState): Promise<void> {
    try {
      const previous = t.owner;
      t.owner = await this.#o.control.status(t.name);
      t.ownerCheckedAt = this.#o.clock.now();
      if (previous !== null && previous.invocation !== t.owner.invocation) {
        // A new process: the old evidence is about another one.
        t.failures = Math.min(t.failures, 1);
        t.conditionSince = null;
      }
    } catch (err) {
      this.#o.logger.warn('owner status unavailable', { target: t.name, error: err instanceof Error ? err.message : String(err) });
      t.owner = null;
    }
  }

  async #decide(t: TargetState): Promise<void> {
    const { settings, clock } = this.#o;
    const now = clock.now();
    const verdict = judgeTarget({
      lastOutcome: t.lastOutcome ?? 'ok', failures: t.failures, owner: t.failures > 0 ? t.owner : null, now,
      failureThreshold: settings.failure_threshold, startupGraceMs: settings.startup_grace_ms,
    });
    if (verdict.kind !== t.verdict.kind) this.#o.logger.info('verdict', { target: t.name, verdict });
    t.verdict = verdict;
    if (verdict.kind === 'exited' && t.downSince === null) t.downSince = now;
    if (verdict.kind !== 'exited') t.downSince = verdict.kind === 'healthy' ? null : t.downSince;
    const windowOpen = this.#o.isWindowOpen(now);
    const needsAct = verdict.kind === 'exited' || verdict.kind === 'hung' || (t.name === 'qsen' && !windowOpen && verdict.kind === 'healthy');
    if (!needsAct) {
      t.conditionSince = null;
      this.#o.metrics?.backoff.set({ target: t.name }, 0);
      return;
    }
    if (t.conditionSince === null) t.conditionSince = now;
    const history = await readHistory(this.#o.coordinator.options.runDir, t.name);
    const policy = { backoffInitialMs: settings.backoff_initial_ms, backoffMaxMs: settings.backoff_max_ms, stableAfterMs: settings.stable_after_ms };
    const allowedAt = nextRestartAllowedAt(history, now, t.lastSeenAt, policy);
    const crashLoop = isCrashLooping(history, t.lastSeenAt, settings.stable_after_ms);
    this.#o.metrics?.crashLoop.set({ target: t.name }, crashLoop ? 1 : 0);
    this.#o.metrics?.backoff.set({ target: t.name }, Math.max(0, (allowedAt - now) / 1000));
    const rank = actorRank(t.name, this.#o.selfIndex, this.#kanHealth()) ?? 0;
    const action = decideAction({
      target: t.name, verdict, windowOpen, downSince: t.downSince, now, allowedAt,
      ownerRestartGraceMs: this.#o.ownerRestartGraceMs ?? 1000 + settings.startup_grace_ms,
      rankDelayMs: rank * settings.interval_ms * 2, conditionSince: t.conditionSince,
    });
    if (action.kind === 'wait' && action.why === 'back-off' && crashLoop) {
      this.#o.logger.warn('crash loop: restart held back', { target: t.name, until: new Date(action.until).toISOString(), streak: history?.streak });
    }
    if (action.kind !== 'start' && action.kind !== 'restart' && action.kind !== 'stop') return;
    if (t.acting) return;
    // Act on the owner's current word: a healthy target's owner state may be old or unknown.
    if (t.owner === null || now - t.ownerCheckedAt > settings.interval_ms) await this.#refreshOwner(t);
    if (t.owner === null || t.acting) return;
    t.acting = true;
    const judged: JudgedProcess = { invocation: t.owner.invocation, pid: t.owner.pid, state: t.owner.state };
    try {
      const outcome = await this.#o.coordinator.act({ target: t.name, action: action.kind, reason: action.reason, judged, lockWaitMs: 0, backoff: action.reason !== 'schedule', lastHealthyAt: t.lastSeenAt });
      t.lastAction = { at: now, action, outcome: outcome.kind };
      if (outcome.kind === 'done' || outcome.kind === 'changed') {
        t.failures = 0;
        t.conditionSince = null;
        t.downSince = null;
        t.owner = outcome.kind === 'changed' ? outcome.now : null;
        t.verdict = { kind: 'starting' };
      }
    } finally {
      t.acting = false;
    }
  }

  #kanHealth(): boolean[] {
    const out: boolean[] = [];
    for (let i = 0; i < this.#o.kanPorts.length; i++) {
      if (i === this.#o.selfIndex) { out.push(true); continue; }
      const t = this.#targets.find((x) => x.name === `kan${i}`);
      out.push(t !== undefined && t.lastOutcome === 'ok' && t.failures === 0);
    }
    return out;
  }

  /**
   * Probes both peers right now: the round's verdicts can be up to one interval old, and a kan
   * that restarts itself must know that the other two are up at this instant.
   */
  async #peersAnswerNow(): Promise<boolean> {
    const peers = this.#targets.filter((t) => t.name !== 'qsen' && t.name !== `kan${this.#o.selfIndex}`);
    const results = await Promise.all(peers.map((t) => this.#o.probe({ port: t.port, path: t.path }, this.#o.settings.timeout_ms)));
    return results.every((r) => r.outcome === 'ok');
  }

  async #considerDailyRestart(): Promise<void> {
    if (this.#dailyDueAt === null || this.#selfRestarting) return;
    const now = this.#o.clock.now();
    const health = this.#kanHealth();
    const peersHealthy = health.every((h) => h);
    const decision = decideDailyRestart({ now, dueAt: this.#dailyDueAt, peersHealthy });
    if (decision === 'not-due') return;
    if (decision === 'wait' || !(await this.#peersAnswerNow())) {
      this.#o.logger.debug('daily restart waits for both peers to be healthy');
      return;
    }
    this.#selfRestarting = true;
    const self = `kan${this.#o.selfIndex}` as ProcessName;
    try {
      const owner = await this.#o.control.status(self);
      const outcome = await this.#o.coordinator.act({
        target: self, action: 'restart', reason: 'daily', lockWaitMs: 0, backoff: false,
        judged: { invocation: owner.invocation, pid: owner.pid, state: owner.state },
      });
      if (outcome.kind !== 'busy') this.#dailyDueAt = this.#o.dailyRestartDueAt?.(now + 60_000) ?? null;
    } finally {
      this.#selfRestarting = false;
    }
  }
}
