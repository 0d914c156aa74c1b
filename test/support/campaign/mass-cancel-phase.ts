/**
 * The campaign's last phase (docs/reliability.md): once every client is done, an operator halts
 * with `cancelOpen` while SENEBI holds each cancel a few milliseconds, and the nemesis kills qsen
 * with -9 in the middle of the mass cancel (when the plan says so); the kans restart qsen, which
 * must resume the run from its journal and finish it. Answers the final report for the checker.
 */
import type { HttpsAnswer } from '@qsen/testkit';
import { waitFor } from '@qsen/testkit';
import type { MassCancelView } from './cancel-checker.js';
import type { MassCancelPhase } from './plan.js';

/** What the phase acts through. */
export interface MassCancelPhaseTargets {
  /** One call to qsen as the operator. */
  readonly callQsen: (path: string, method: string, body?: string) => Promise<HttpsAnswer>;
  readonly putFaults: (settings: Readonly<Record<string, unknown>>) => Promise<void>;
  /** qsen's current pid, or undefined while it is not running. */
  readonly qsenPid: () => Promise<number | undefined>;
  readonly log: (line: string) => void;
}

/** What the phase did. */
export interface MassCancelPhaseResult {
  readonly report: MassCancelView | undefined;
  /** qsen was killed with -9 while the run was going. */
  readonly killed: boolean;
  readonly wallMs: number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the mass cancel phase. */
export async function runMassCancelPhase(phase: MassCancelPhase, targets: MassCancelPhaseTargets): Promise<MassCancelPhaseResult> {
  const began = performance.now();
  const readReport = async (): Promise<(MassCancelView & { run: string; pending: number }) | undefined> => {
    const answer = await targets.callQsen('/qsen/v1/massCancel', 'GET');
    if (answer.status !== 200) return undefined;
    const report = (JSON.parse(answer.body) as { massCancel: (MassCancelView & { run: string; pending: number }) | null }).massCancel;
    return report ?? undefined;
  };
  const readQuietly = (): Promise<Awaited<ReturnType<typeof readReport>>> => readReport().catch(() => undefined);
  await targets.putFaults({ seed: 1, slow_cancel: { probability: 1, fixed_ms: phase.slowCancelMs, jitter_ms: 0 } });
  // The halt's own answer may be lost with the process: its result is read from GET /qsen/v1/massCancel.
  const halt = targets.callQsen('/qsen/v1/halt', 'POST', JSON.stringify({ reason: 'campaign: mass cancel', cancelOpen: true })).catch(() => undefined);
  let killed = false;
  if (phase.killAfterMs > 0) {
    const underWay = await waitFor(async () => {
      const report = await readQuietly();
      return report && report.state === 'running' && report.cancelled.length > 0 ? report : undefined;
    }, { timeoutMs: 30_000, intervalMs: 25, what: 'the mass cancel under way' }).catch(() => undefined);
    await pause(phase.killAfterMs);
    const now = await readQuietly();
    const pid = await targets.qsenPid();
    if (underWay && now?.state === 'running' && pid !== undefined) {
      process.kill(pid, 'SIGKILL');
      killed = true;
      targets.log(`  mass cancel ${now.run}: qsen (pid ${pid}) killed with -9 with ${now.pending} orders pending`);
    } else {
      targets.log(`  mass cancel: not killed (${now?.state ?? 'no report'} after ${phase.killAfterMs} ms)`);
    }
  }
  await halt;
  const report = await waitFor(async () => {
    const r = await readQuietly();
    return r?.state === 'done' ? r : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, what: 'the mass cancel done' }).catch(() => readQuietly());
  await targets.putFaults({});
  return { report, killed, wallMs: Math.round(performance.now() - began) };
}
