/**
 * The mass cancel of the kill switch (docs/qsen.md, "Pulling resting orders"): after a halt with
 * `cancelOpen`, every resting in-range order is cancelled through the same journaled, idempotent
 * cancel path as cancelOrder (`cancelOne`), never a second one. Orphans (resting in the range at
 * SENEBI, unknown to the journal) have no record to go through: they are cancelled straight at
 * SENEBI (`cancelOrphan`, orphans.ts) after the journal's orders, and reported in their own list.
 *
 * One run at a time: a run begins by waiting (bounded) for the sendOrders already past the kill
 * switch, reads SENEBI's listing of the trading day (retried; without it the journal alone
 * chooses), selects the set (open-orders.ts), writes it durably (mass-cancel-log.ts), then
 * cancels with a few workers, recording each order's result. Orders still in flight at the start
 * that turn out resting are added at the end (`extend`). A request while a run is going joins it.
 * After a crash, `resume()` continues the unfinished run from its journal: orders without a
 * result are cancelled again (the cancel path answers an already cancelled order with its first
 * result), and the run finishes. Resuming trading (`resume`) does not stop a run: the orders it
 * pulls were all received before it began.
 */
import { randomUUID } from 'node:crypto';
import type { AuditSink, LogSink } from '@qsen/core/logging';
import type { Clock } from '@qsen/core/schedule';
import type { Uint64 } from '@qsen/core/ids';
import type { LoggedRun, MassCancelChannel, MassCancelLog, OrderOutcome, StartRecord } from './mass-cancel-log.js';
import { selectOpenOrders, type JournaledOrder, type ListedOrder } from './open-orders.js';
import { errorMessage } from '@qsen/core/errors';

/** What one cancel through the cancel path came to. */
export type CancelVerdict = OrderOutcome & { readonly retryable?: boolean };

/** Who asked for a run. */
export interface MassCancelRequest {
  readonly by: string;
  readonly channel: MassCancelChannel;
  readonly reason: string | null;
  readonly requestId?: string;
  /** The run id chosen by the requester (the halt marker carries it so that a crash cannot lose the request). */
  readonly run?: string;
}

/** A run as status, the halt answer and `GET /qsen/v1/massCancel` show it. */
export interface MassCancelReport {
  readonly run: string;
  readonly state: 'running' | 'done';
  readonly by: string;
  readonly channel: MassCancelChannel;
  readonly reason: string | null;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly listing: 'ok' | 'unavailable';
  /** Resumed after a restart of qsen (how many times). */
  readonly resumed: number;
  /** Whether its journal could be written (false: it runs in memory and is not resumed after a crash). */
  readonly journaled: boolean;
  readonly total: number;
  readonly pending: number;
  readonly cancelled: Uint64[];
  readonly alreadyMatched: Uint64[];
  readonly notOpen: Array<{ id: Uint64; status: string }>;
  readonly failed: Array<{ id: Uint64; code: string; delivery?: string }>;
  /**
   * Orphans: resting in-range orders SENEBI listed that qsen's journal does not know, cancelled
   * straight at SENEBI, each with its result (only here, never in the lists above).
   */
  readonly orphans: Array<{ id: Uint64; result: OrderOutcome['outcome']; status?: string; code?: string; delivery?: string }>;
}

/** What the mass cancel needs. */
export interface MassCancelDeps {
  readonly log: MassCancelLog;
  /** Cancels one order through the cancel path (never throws: failures are verdicts). */
  readonly cancelOne: (id: Uint64) => Promise<CancelVerdict>;
  /** Cancels an orphan (an in-range id the journal does not know) straight at SENEBI (never throws). */
  readonly cancelOrphan: (id: Uint64) => Promise<CancelVerdict>;
  /** SENEBI's listing of a trading day (raw orders; throws when SENEBI cannot be read). */
  readonly listOrders: (tradingDay: string) => Promise<readonly ListedOrder[]>;
  /** Every journaled order (the order book). */
  readonly journalOrders: () => readonly JournaledOrder[];
  /** sendOrders running now (the ones past the kill switch finish before the set is chosen). */
  readonly inFlight: () => number;
  readonly range: Parameters<typeof selectOpenOrders>[2];
  readonly tradingDayOf: (nowMs: number) => string;
  readonly clock: Clock;
  readonly audit: AuditSink;
  readonly logger?: LogSink;
  /** Counts each order's outcome and each run (metrics). */
  readonly onOutcome?: (outcome: OrderOutcome['outcome'], channel: MassCancelChannel) => void;
  readonly onRun?: (channel: MassCancelChannel, resumed: boolean) => void;
  /** How long a run waits for in-flight sendOrders (default 10 s). */
  readonly inFlightWaitMs?: number;
  /** Parallel cancels (default 4). */
  readonly workers?: number;
  /** Attempts per order for a retryable failure (default 3) and the delay before attempt n (default 250 ms x 2^(n-2)). */
  readonly attempts?: number;
  readonly retryDelayMs?: (attempt: number) => number;
  /** Attempts to read SENEBI's listing (default 3). */
  readonly listingAttempts?: number;
}

/** The mass cancel. */
export interface MassCancel {
  /** Starts a run (or joins the one going); resolves once its set is chosen and journaled. */
  start(request: MassCancelRequest): Promise<MassCancelReport>;
  /** After a restart: continues the journal's unfinished run; undefined when there is none. */
  resume(): Promise<MassCancelReport | undefined>;
  /** The run going now or the last one (from the journal after a restart); undefined when none. */
  report(): MassCancelReport | undefined;
  /** True while a run is going. */
  isRunning(): boolean;
  /** The run id the journal or memory knows as started (to tell whether a halt marker's request was already taken). */
  knows(run: string): boolean;
  /** Waits for the run going to finish, up to `waitMs`; answers its report. */
  settle(waitMs: number): Promise<MassCancelReport | undefined>;
  /** Graceful shutdown: no further cancel is started and no result recorded; the unfinished run is resumed at the next start. Resolves when the workers stopped, or after `waitMs`. */
  stop(waitMs?: number): Promise<void>;
}

interface Run {
  readonly start: StartRecord;
  readonly targets: Uint64[];
  readonly orphans: readonly Uint64[];
  readonly results: Map<Uint64, OrderOutcome>;
  endedAt?: string;
  resumed: number;
  journaled: boolean;
  done: Promise<void>;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds the report of a run. */
function describeRun(run: Run): MassCancelReport {
  const cancelled: Uint64[] = [];
  const alreadyMatched: Uint64[] = [];
  const notOpen: MassCancelReport['notOpen'] = [];
  const failed: MassCancelReport['failed'] = [];
  const orphans: MassCancelReport['orphans'] = [];
  for (const id of run.orphans) {
    const result = run.results.get(id);
    if (!result) continue;
    orphans.push({ id, result: result.outcome, ...(result.outcome === 'notOpen' ? { status: result.status } : {}), ...(result.outcome === 'failed' ? { code: result.code, ...(result.delivery !== undefined ? { delivery: result.delivery } : {}) } : {}) });
  }
  for (const id of [...run.start.alreadyMatched, ...run.targets]) {
    const result = run.results.get(id);
    if (!result) continue;
    if (result.outcome === 'cancelled') cancelled.push(id);
    else if (result.outcome === 'alreadyMatched') alreadyMatched.push(id);
    else if (result.outcome === 'notOpen') notOpen.push({ id, status: result.status });
    else failed.push({ id, code: result.code, ...(result.delivery !== undefined ? { delivery: result.delivery } : {}) });
  }
  const total = run.start.alreadyMatched.length + run.targets.length + run.orphans.length;
  return {
    run: run.start.run,
    state: run.endedAt === undefined ? 'running' : 'done',
    by: run.start.by,
    channel: run.start.channel,
    reason: run.start.reason,
    startedAt: run.start.at,
    ...(run.endedAt !== undefined ? { endedAt: run.endedAt } : {}),
    listing: run.start.listing,
    resumed: run.resumed,
    journaled: run.journaled,
    total,
    pending: total - run.results.size,
    cancelled,
    alreadyMatched,
    notOpen,
    failed,
    orphans,
  };
}

/** A report's counts by outcome (status, the audit and the log show counts; GET /qsen/v1/massCancel the lists). */
export function countOutcomes(report: MassCancelReport): { cancelled: number; alreadyMatched: number; notOpen: number; failed: number; orphans: number; orphansFailed: number } {
  return {
    cancelled: report.cancelled.length,
    alreadyMatched: report.alreadyMatched.length,
    notOpen: report.notOpen.length,
    failed: report.failed.length,
    orphans: report.orphans.length,
    orphansFailed: report.orphans.filter((o) => o.result === 'failed').length,
  };
}

/** A run as its journal holds it (a restarted node, or `qsen-admin status`). */
function runOfLogged(logged: LoggedRun): Run {
  const results = new Map([...logged.results].map(([id, { at: _at, ...result }]) => [id, result as OrderOutcome]));
  return { start: logged.start, targets: [...logged.start.targets, ...logged.extended], orphans: logged.start.orphans ?? [], results, ...(logged.endedAt !== undefined ? { endedAt: logged.endedAt } : {}), resumed: 0, journaled: true, done: Promise.resolve() };
}

/** The report of a run read from its journal. */
export function describeLoggedRun(logged: LoggedRun): MassCancelReport {
  return describeRun(runOfLogged(logged));
}

/** The audit outcome of one order's result. */
function auditOf(result: OrderOutcome): { outcome: 'done' | 'refused' | 'failed'; code?: string } {
  switch (result.outcome) {
    case 'cancelled':
      return { outcome: 'done' };
    case 'alreadyMatched':
      return { outcome: 'refused', code: 'ORDER_NOT_CANCELLABLE' };
    case 'notOpen':
      return { outcome: 'refused', code: result.status === 'not_found' ? 'ORDER_NOT_FOUND' : 'ORDER_NOT_CANCELLABLE' };
    case 'failed':
      return { outcome: 'failed', code: result.code };
  }
}

/** Creates the mass cancel. */
export function createMassCancel(deps: MassCancelDeps): MassCancel {
  const { clock } = deps;
  const workers = deps.workers ?? 4;
  const attempts = deps.attempts ?? 3;
  const retryDelay = deps.retryDelayMs ?? ((n: number) => 250 * 2 ** Math.max(0, n - 2));
  const iso = (): string => new Date(clock.now()).toISOString();
  let current: Run | undefined;
  /** The latest run of the journal when no run was started in this process. */
  let logged: LoggedRun | undefined = deps.log.read();
  let starting: Promise<MassCancelReport> | undefined;
  let stopped = false;

  async function journal(run: Run, write: () => Promise<void>): Promise<void> {
    if (!run.journaled) return;
    try {
      await write();
    } catch (err) {
      run.journaled = false;
      deps.logger?.error('mass cancel: its journal cannot be written; the run goes on in memory and is not resumed after a crash', { run: run.start.run, error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  }

  async function record(run: Run, id: Uint64, result: OrderOutcome, source: 'listing' | 'cancel' | 'orphan'): Promise<void> {
    // Stopping: a result seen now is not kept (the order is cancelled again after the restart, and answered the same).
    if (stopped) return;
    run.results.set(id, result);
    const audit = auditOf(result);
    deps.audit.record({
      action: 'massCancel',
      subject: run.start.by,
      outcome: audit.outcome,
      ...(audit.code !== undefined ? { code: audit.code } : {}),
      details: { run: run.start.run, orderId: id, channel: run.start.channel, result: result.outcome, source, ...(result.outcome === 'notOpen' ? { status: result.status } : {}), ...(result.outcome === 'failed' && result.delivery !== undefined ? { delivery: result.delivery } : {}) },
    });
    deps.onOutcome?.(result.outcome, run.start.channel);
    return journal(run, () => deps.log.append({ type: 'result', run: run.start.run, id, at: iso(), ...result }));
  }

  async function cancelWithRetries(id: Uint64, cancel: (id: Uint64) => Promise<CancelVerdict>): Promise<OrderOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      let verdict: CancelVerdict;
      try {
        verdict = await cancel(id);
      } catch (err) {
        verdict = { outcome: 'failed', code: 'INTERNAL_ERROR', retryable: true };
        deps.logger?.error('mass cancel: the cancel path threw', { orderId: id, error: errorMessage(err) });
      }
      if (verdict.outcome !== 'failed' || !verdict.retryable || attempt >= attempts || stopped) {
        const { retryable: _retryable, ...outcome } = verdict;
        return outcome;
      }
      await pause(retryDelay(attempt + 1));
    }
  }

  async function cancelAll(run: Run, ids: readonly Uint64[], source: 'cancel' | 'orphan' = 'cancel'): Promise<void> {
    const queue = ids.filter((id) => !run.results.has(id));
    const cancel = source === 'orphan' ? deps.cancelOrphan : deps.cancelOne;
    await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined && !stopped; id = queue.shift()) await record(run, id, await cancelWithRetries(id, cancel), source);
    }));
  }

  /** Journal orders received before the run began that were not in its set and are not known closed (in flight at the start). */
  function lateOrders(run: Run): Uint64[] {
    const known = new Set<Uint64>([...run.targets, ...run.start.alreadyMatched, ...run.orphans]);
    const startedAt = Date.parse(run.start.at);
    // Only orders received before the run began: trading may have resumed since.
    const before = deps.journalOrders().filter((o) => Date.parse(o.receivedAt) <= startedAt);
    const { targets } = selectOpenOrders(before, undefined, deps.range, deps.tradingDayOf(startedAt));
    return targets.filter((id) => !known.has(id));
  }

  async function carryOut(run: Run): Promise<void> {
    for (const id of run.start.alreadyMatched) if (!run.results.has(id)) await record(run, id, { outcome: 'alreadyMatched' }, 'listing');
    await cancelAll(run, run.targets);
    if (stopped) return;
    if (run.orphans.length > 0) {
      deps.logger?.warn('mass cancel: resting in-range orders qsen\'s journal does not know are cancelled straight at SENEBI', { run: run.start.run, count: run.orphans.length });
      await cancelAll(run, run.orphans, 'orphan');
      if (stopped) return;
    }
    const late = lateOrders(run);
    if (late.length > 0) {
      deps.logger?.info('mass cancel: orders that were in flight at the start are pulled too', { run: run.start.run, count: late.length });
      run.targets.push(...late);
      await journal(run, () => deps.log.append({ type: 'extend', run: run.start.run, at: iso(), targets: late }));
      await cancelAll(run, late);
    }
    if (stopped) return;
    run.endedAt = iso();
    await journal(run, () => deps.log.append({ type: 'end', run: run.start.run, at: run.endedAt ?? iso() }));
    const counts = countOutcomes(describeRun(run));
    deps.audit.record({ action: 'massCancel', subject: run.start.by, outcome: 'done', details: { run: run.start.run, channel: run.start.channel, ...counts, resumed: run.resumed } });
    deps.logger?.info('mass cancel done', { run: run.start.run, ...counts });
  }

  function launch(run: Run): void {
    run.done = carryOut(run).catch((err: unknown) => {
      deps.logger?.error('mass cancel: the run stopped on an unexpected error', { run: run.start.run, error: errorMessage(err) });
    });
  }

  async function readListing(tradingDay: string): Promise<readonly ListedOrder[] | undefined> {
    const tries = deps.listingAttempts ?? 3;
    for (let attempt = 1; attempt <= tries; attempt += 1) {
      try {
        return await deps.listOrders(tradingDay);
      } catch (err) {
        deps.logger?.warn('mass cancel: SENEBI\'s listing could not be read', { attempt, error: errorMessage(err) });
        if (attempt < tries) await pause(retryDelay(attempt + 1));
      }
    }
    return undefined;
  }

  async function waitForInFlight(): Promise<void> {
    const deadline = clock.now() + (deps.inFlightWaitMs ?? 10_000);
    while (deps.inFlight() > 0 && clock.now() < deadline) await pause(20);
  }

  async function begin(request: MassCancelRequest): Promise<MassCancelReport> {
    const startedAtMs = clock.now();
    await waitForInFlight();
    const tradingDay = deps.tradingDayOf(startedAtMs);
    const listing = await readListing(tradingDay);
    const selection = selectOpenOrders(deps.journalOrders(), listing, deps.range, tradingDay);
    const start: StartRecord = {
      type: 'start',
      run: request.run ?? randomUUID(),
      at: new Date(startedAtMs).toISOString(),
      by: request.by,
      channel: request.channel,
      reason: request.reason,
      listing: listing === undefined ? 'unavailable' : 'ok',
      targets: selection.targets,
      alreadyMatched: selection.alreadyMatched,
      orphans: selection.orphans,
    };
    const run: Run = { start, targets: [...selection.targets], orphans: selection.orphans, results: new Map(), resumed: 0, journaled: true, done: Promise.resolve() };
    await journal(run, () => deps.log.begin(start));
    current = run;
    deps.audit.record({ action: 'massCancel', subject: request.by, outcome: 'accepted', ...(request.requestId ? { requestId: request.requestId } : {}), details: { run: start.run, channel: request.channel, reason: request.reason, listing: start.listing, targets: start.targets.length, alreadyMatched: start.alreadyMatched.length, orphans: selection.orphans.length, journaled: run.journaled } });
    deps.onRun?.(request.channel, false);
    deps.logger?.warn('mass cancel: pulling every resting in-range order', { run: start.run, channel: request.channel, targets: start.targets.length, alreadyMatched: start.alreadyMatched.length, orphans: selection.orphans.length, listing: start.listing });
    launch(run);
    return describeRun(run);
  }

  return {
    async start(request) {
      if (stopped) throw new Error('the mass cancel is stopped (qsen is shutting down)');
      if (current && current.endedAt === undefined) return describeRun(current);
      starting ??= begin(request).finally(() => {
        starting = undefined;
      });
      return starting;
    },
    async resume() {
      const unfinished = logged;
      if (!unfinished || unfinished.endedAt !== undefined || current) return undefined;
      const run: Run = { ...runOfLogged(unfinished), resumed: 1 };
      current = run;
      logged = undefined;
      const pending = describeRun(run).pending;
      deps.audit.record({ action: 'massCancel', subject: run.start.by, outcome: 'accepted', details: { run: run.start.run, channel: run.start.channel, resumed: true, pending } });
      deps.onRun?.(run.start.channel, true);
      deps.logger?.warn('mass cancel: resuming the run a restart interrupted', { run: run.start.run, pending });
      launch(run);
      return describeRun(run);
    },
    report() {
      if (current) return describeRun(current);
      return logged ? describeLoggedRun(logged) : undefined;
    },
    isRunning: () => starting !== undefined || (current !== undefined && current.endedAt === undefined),
    knows: (run) => current?.start.run === run || logged?.start.run === run,
    async stop(waitMs = 10_000) {
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); });
      await Promise.race([(async () => {
        await starting?.catch(() => undefined);
        await current?.done;
      })(), limit]);
      clearTimeout(timer);
    },
    async settle(waitMs) {
      if (starting) await starting;
      const run = current;
      if (!run) return this.report();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([run.done, new Promise<void>((resolve) => { timer = setTimeout(resolve, waitMs); })]);
      clearTimeout(timer);
      return describeRun(run);
    },
  };
}
