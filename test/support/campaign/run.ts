/**
 * One campaign, end to end: draw the plan from the seed and print the seed and the plan's digest
 * first; start the real system as `npm start` does (launcher, simulator, qsen supervised by the
 * three kans, so a kill -9 of qsen is repaired by the kans), with qsen's data folder on a small
 * tmpfs and `[senebi] timeout_ms` short; run the clients and the nemesis together; heal every
 * fault; let the clients retry every uncertain id until a final answer; wait until nothing is in
 * process at SENEBI; compare every answer with SENEBI's records; print the counts.
 *
 * Decision: the whole system (startSystem) rather than qsen + simulator alone, because the
 * process faults must be repaired the way production repairs them (the kans restart qsen after
 * kill -9 and after a SIGSTOP they judge a hang), and the launcher's control socket gives qsen's
 * current pid to the nemesis.
 */
import { join } from 'node:path';
import { localDateOf } from '@qsen/core';
import { errorMessage } from '@qsen/core/errors';
import { waitFor } from '@qsen/testkit';
import { createSimulatorAdmin, type SimulatorAdmin } from '../simulator.js';
import { editConfig, startSystem } from '../system.js';
import { checkCancels, formatCancelCheck, type CancelCheckResult, type SenebiCancelView } from './cancel-checker.js';
import { checkCampaign, formatCheck, type CheckResult } from './checker.js';
import { runClients } from './clients.js';
import { mountDataDisk, type DataDisk } from './disk.js';
import { runMassCancelPhase } from './mass-cancel-phase.js';
import { createNemesis, type NemesisCounts } from './nemesis.js';
import { DEFAULT_PLAN_OPTIONS, describePlan, digestPlan, planCampaign, type CampaignPlan } from './plan.js';

/** What one campaign is run with. */
export interface CampaignOptions {
  readonly seed: number;
  readonly orders: number;
  /** Where the lines go (console.log in the suites). */
  readonly log: (line: string) => void;
  /** How long the clients keep retrying uncertain ids after the faults are healed. */
  readonly finalPhaseMs?: number;
  /** Size of qsen's data disk. */
  readonly diskMiB?: number;
  /** Fault kinds not to carry out (e.g. `disk_full`, `latency_above`): the plan stays the same, they count as skipped. */
  readonly skip?: readonly string[];
}

/** What one campaign found. */
export interface CampaignReport {
  readonly plan: CampaignPlan;
  readonly digest: string;
  readonly check: CheckResult;
  readonly nemesis: NemesisCounts;
  /** Why the data disk could not be mounted (its faults were skipped). */
  readonly diskSkipped?: string;
  readonly sends: number;
  readonly retries: number;
  readonly deliberateResends: number;
  /** Faults the simulator injected, by kind (its own counters). */
  readonly injected: Readonly<Record<string, number>>;
  /** Starts of qsen after the first one (restarts by the kans). */
  readonly qsenRestarts: number;
  readonly wallMs: number;
  /** The cancels and the mass cancel against SENEBI's records. */
  readonly cancelCheck: CancelCheckResult;
  readonly cancelsSentTwice: number;
  readonly racedMatches: number;
  /** qsen was killed with -9 during the mass cancel. */
  readonly massCancelKilled: boolean;
  readonly massCancelWallMs: number;
}

/** The exchange's zone: the simulator's trade date and qsen's listings both use it. */
const EXCHANGE_ZONE = 'America/Argentina/Buenos_Aires';

/** Resting orders of the agent's other business, outside qsen's range: nothing qsen does may touch them. */
function outOfRangeOrders(seed: number): Array<Record<string, string>> {
  return [0, 1, 2].map((i) => ({ id: `1000${String(seed % 100_000).padStart(5, '0')}${String(i).padStart(10, '0')}`, instrument: 'AL30', side: 'sell', quantity: '10', price: '62.40', currency: 'USD', settlement: 'T1', counterparty: '300' }));
}

/** Shorter watchdog periods than production, so that qsen is back within seconds of a kill (as in the supervision suite). */
const TUNED_WATCHDOG = { startup_grace_ms: '5000', backoff_max_ms: '4000', stable_after_ms: '10000' };

/** Operations per order over the trade dates from `first` to `last` (one date, or two across midnight). */
async function operationsOfRun(admin: SimulatorAdmin, first: string, last: string): Promise<Map<string, number>> {
  const merged = new Map<string, number>();
  for (const date of first === last ? [first] : [first, last]) {
    for (const [id, n] of await admin.operationsByOrder(date)) merged.set(id, (merged.get(id) ?? 0) + n);
  }
  return merged;
}

/** Runs one campaign and returns its report (the caller asserts). */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const began = performance.now();
  const plan = planCampaign({ ...DEFAULT_PLAN_OPTIONS, seed: options.seed, orders: options.orders });
  const digest = digestPlan(plan);
  const { log } = options;
  log(`campaign seed=${plan.seed} orders=${plan.orders.length} digest=${digest}`);
  log(`  plan: ${describePlan(plan)}; qsen timeout_ms ${plan.timeoutMs}`);

  let disk: DataDisk | undefined;
  let diskSkipped: string | undefined;
  // The disk is unmounted through the system's clean-up, before its folder is removed, also when
  // the system never comes up.
  const system = await startSystem({
    prefix: `qsen-campaign-${plan.seed}-`,
    prepare: async (home, { onStopped }) => {
      editConfig(home, { 'senebi.timeout_ms': String(plan.timeoutMs), ...TUNED_WATCHDOG });
      const mounted = await mountDataDisk(join(home, 'data'), options.diskMiB ?? 32);
      if (typeof mounted === 'string') diskSkipped = mounted;
      else {
        disk = mounted;
        onStopped(() => mounted.unmount());
      }
    },
  });
  const running = system;
  if (diskSkipped) log(`  !!! data disk faults SKIPPED: ${diskSkipped}`);
  log(`  system up in ${((performance.now() - began) / 1000).toFixed(1)} s (launcher, simulator, qsen, three kans)`);
  try {
    const admin = createSimulatorAdmin(running);
    await admin.putFaults({});
    // The agent's other business rests at SENEBI outside the range; then some orders trade at
    // acceptance and the rest rest until a cancel, a raced match or the final mass cancel.
    await admin.putMatching({ probability: 0, seed: plan.seed });
    const outside = outOfRangeOrders(plan.seed);
    for (const order of outside) {
      const state = await admin.placeDirect(order);
      if (state !== 'accepted') throw new Error(`out-of-range order ${order['id']} not resting at SENEBI: ${state}`);
    }
    await admin.putMatching({ probability: 0.3, seed: plan.seed });
    const firstStarts = (await running.status('qsen')).starts;
    const startedAt = performance.now();
    const firstTradeDate = localDateOf(EXCHANGE_ZONE, Date.now());
    let giveUpAt = Number.POSITIVE_INFINITY;
    const nemesis = createNemesis(plan, {
      putFaults: (settings) => admin.putFaults(settings),
      qsenPid: async () => {
        const status = await running.status('qsen');
        return status.state === 'running' && status.pid !== null ? status.pid : undefined;
      },
      disk,
      skip: new Set(options.skip ?? []),
      log,
    }, startedAt);
    const clients = runClients({
      plan,
      target: { url: running.urlOf('qsen'), ca: running.ca, identity: running.identity('platform') },
      startedAt,
      requestTimeoutMs: 3 * plan.timeoutMs + 5000,
      giveUpAt: () => giveUpAt,
      raceMatch: async (id) => {
        await admin.match(id);
      },
    });
    try {
      await nemesis.run();
    } finally {
      await nemesis.heal();
    }
    giveUpAt = performance.now() + (options.finalPhaseMs ?? 90_000);
    log(`  faults healed at t=${Math.round(performance.now() - startedAt)} ms; the clients retry every uncertain id until a final answer`);
    const result = await clients;
    await waitFor(async () => (await admin.records()).pending === 0, { timeoutMs: 30_000, intervalMs: 200, what: 'nothing in process at SENEBI' }).catch(() => undefined);
    const phase = await runMassCancelPhase(plan.massCancel, {
      callQsen: (path, method, body) => running.call('qsen', path, { method, identity: 'operator', timeoutMs: 30_000, ...(body !== undefined ? { body } : {}) }),
      putFaults: (settings) => admin.putFaults(settings),
      qsenPid: async () => {
        const status = await running.status('qsen');
        return status.state === 'running' && status.pid !== null ? status.pid : undefined;
      },
      log,
    });
    const { records } = await admin.records();
    const counters = await admin.counters();
    const check = checkCampaign(plan.orders.map((o) => o.id), result.attempts, records);
    // SENEBI files an operation under its order's trade date (packages/simulator/src/business/
    // matching.ts): a run that spans midnight in Buenos Aires (03:00 UTC) has operations under
    // both dates, and reading only the last one called every matched order placed before
    // midnight "matched, not at SENEBI".
    const operations = await operationsOfRun(admin, firstTradeDate, localDateOf(EXCHANGE_ZONE, Date.now()));
    const views: SenebiCancelView[] = records.map((r) => ({ id: r.id, state: r.state, operations: operations.get(r.id) ?? 0, cancels: r.cancels }));
    const cancelCheck = checkCancels({
      cancelIds: result.cancelled,
      planIds: plan.orders.map((o) => o.id),
      outOfRange: outside.map((o) => o['id'] ?? ''),
      attempts: result.cancelAttempts,
      views,
      massCancel: phase.report,
    });
    const qsenRestarts = (await running.status('qsen')).starts - firstStarts;
    const report: CampaignReport = {
      plan,
      digest,
      check,
      nemesis: nemesis.counts,
      ...(diskSkipped !== undefined ? { diskSkipped } : {}),
      sends: result.sends,
      retries: result.retries,
      deliberateResends: result.deliberateResends,
      injected: counters.faults,
      qsenRestarts,
      wallMs: Math.round(performance.now() - began),
      cancelCheck,
      cancelsSentTwice: result.cancelsSentTwice,
      racedMatches: result.racedMatches,
      massCancelKilled: phase.killed,
      massCancelWallMs: phase.wallMs,
    };
    for (const line of formatReport(report)) log(line);
    return report;
  } catch (err) {
    // What the launcher printed (processes started, exited, restarted) is what explains a failure
    // that is not a checked property, such as a process that never answered.
    throw new Error(`${errorMessage(err)}\n--- the launcher's output, last 6000 characters ---\n${running.output().slice(-6000)}`, { cause: err });
  } finally {
    await running.stop();
  }
}

/** The report's counts as printed lines. */
export function formatReport(report: CampaignReport): string[] {
  const table = (t: Readonly<Record<string, number>>): string => Object.entries(t).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `campaign seed=${report.plan.seed} result (wall ${(report.wallMs / 1000).toFixed(1)} s, digest ${report.digest.slice(0, 16)}):`,
    `  orders ${report.check.orders}, sends ${report.sends} (deliberate resends ${report.deliberateResends}), attempts ${report.check.attempts}, retries ${report.retries}`,
    `  nemesis faults done: ${table(report.nemesis.done)}; skipped: ${table(report.nemesis.skipped)}; pauses ended by a restart ${report.nemesis.pausesEndedByRestart}; disk filled ${(report.nemesis.filledBytes / 2 ** 20).toFixed(1)} MiB in all; qsen restarts ${report.qsenRestarts}`,
    `  SENEBI injected: ${table(report.injected)}`,
    ...formatCheck(report.check),
    `  cancels sent twice ${report.cancelsSentTwice}, matches raced against a cancel ${report.racedMatches}; mass cancel ${(report.massCancelWallMs / 1000).toFixed(1)} s, qsen killed during it: ${report.massCancelKilled ? 'yes' : 'no'}`,
    ...formatCancelCheck(report.cancelCheck),
  ];
}
