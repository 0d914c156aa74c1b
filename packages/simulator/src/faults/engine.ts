/**
 * The fault engine: for each request, decides (with its seeded PRNG) an added latency and at
 * most one outcome fault. The same seed and the same sequence of requests give the same
 * decisions. Pure decision; the HTTP layer carries it out.
 */
import { createPrng, type Prng } from '../random/prng.js';
import { OUTCOME_FAULTS, type FaultSettings, type OutcomeFault } from './settings.js';

/** What to do to one request. */
export interface FaultDecision {
  /** Wait before the request is handled (for an order submission: the order is pending, not yet committed). */
  readonly delayMs: number;
  /**
   * Order submissions: hold inside the id's sequencer before the commit (a resend of the id
   * waits behind it; the `processing` fault). Cancel requests: hold before the cancel commits
   * (the `slow_cancel` fault).
   */
  readonly processMs: number;
  /** Wait after the request was handled (committed) and before its answer is written. */
  readonly answerDelayMs: number;
  readonly outcome?: OutcomeFault;
  /** For http_5xx: the status to answer. */
  readonly status?: number;
  /** For reject: the reason. */
  readonly reason?: string;
  /** For oversize: the body's size in bytes (0: endless). */
  readonly oversizeBytes?: number;
}

/** The endpoint of order submissions, the only one `reject` acts on. */
const ORDER_SUBMISSION = { method: 'POST', path: '/senebi/v1/orders' };

/** Tells whether a request is a cancel request (POST /senebi/v1/orders/ID/cancel), the only one `slow_cancel` and `cancel_race` act on. */
export function isCancelRequest(method: string, path: string): boolean {
  return method === 'POST' && /^\/senebi\/v1\/orders\/[^/]+\/cancel$/.test(path);
}

/** Tells whether a fault's `paths` filter selects a request (default: every /senebi/ path). */
export function isSelected(paths: readonly string[] | undefined, method: string, path: string): boolean {
  if (paths === undefined) return path.startsWith('/senebi/');
  return paths.some((entry) => {
    const space = entry.indexOf(' ');
    const entryMethod = space >= 0 ? entry.slice(0, space) : undefined;
    const prefix = space >= 0 ? entry.slice(space + 1) : entry;
    return (entryMethod === undefined || entryMethod === method) && path.startsWith(prefix);
  });
}

/** Decides faults for requests from settings and a seeded PRNG. */
export interface FaultEngine {
  /** The settings in force. */
  readonly settings: FaultSettings;
  /** Replaces the settings and restarts the PRNG from their seed. */
  replace(settings: FaultSettings): void;
  /** Decides the faults of one request. */
  decide(method: string, path: string): FaultDecision;
}

/** Makes a fault engine with `settings` in force. */
export function createFaultEngine(settings: FaultSettings): FaultEngine {
  let current = settings;
  let prng: Prng = createPrng(settings.seed);

  /** Draws one delay rule (fixed + uniform jitter) when it applies to the request, else 0. */
  const drawDelay = (rule: FaultSettings['latency'], method: string, path: string): number => {
    if (!rule || rule.probability <= 0 || !isSelected(rule.paths, method, path) || prng.next() >= rule.probability) return 0;
    return rule.fixed_ms + (rule.jitter_ms > 0 ? prng.int(0, rule.jitter_ms) : 0);
  };

  return {
    get settings() {
      return current;
    },
    replace(next) {
      current = next;
      prng = createPrng(next.seed);
    },
    decide(method, path) {
      const delayMs = drawDelay(current.latency, method, path);
      const isSubmission = method === ORDER_SUBMISSION.method && path === ORDER_SUBMISSION.path;
      const isCancel = isCancelRequest(method, path);
      const processMs = isSubmission ? drawDelay(current.processing, method, path)
        : isCancel ? drawDelay(current.slow_cancel, method, path) : 0;
      const answerDelayMs = drawDelay(current.slow_answer, method, path);
      for (const kind of OUTCOME_FAULTS) {
        const rule = current[kind];
        if (!rule || rule.probability <= 0 || !isSelected(rule.paths, method, path)) continue;
        if (kind === 'reject' && !isSubmission) continue;
        if (kind === 'cancel_race' && !isCancel) continue;
        if (prng.next() >= rule.probability) continue;
        const decision: FaultDecision = { delayMs, processMs, answerDelayMs, outcome: kind };
        if (kind === 'http_5xx' && current.http_5xx) return { ...decision, status: current.http_5xx.status };
        if (kind === 'reject' && current.reject) return { ...decision, reason: current.reject.reason };
        if (kind === 'oversize' && current.oversize) return { ...decision, oversizeBytes: current.oversize.bytes };
        return decision;
      }
      return { delayMs, processMs, answerDelayMs };
    },
  };
}
