/**
 * The platform clients of the campaign: each sends its planned orders over mutual TLS (a
 * keep-alive connection per client, as a platform would hold) at their planned instants, retries
 * the same id and content after 502, 503, 504 and connection errors as docs/integrator.md tells
 * the platform to, sends some orders twice on purpose (after the answer, or concurrently from a
 * second client), and logs every attempt for the checker. Orders the plan cancels are cancelled
 * after their "accepted" answer (cancelOrder, retried after 502, 503, 504, 409
 * ORDER_DELIVERY_UNKNOWN and connection errors), some while the counterparty's match is fired at
 * the same instant, some twice.
 */
import { Agent } from 'node:https';
import { httpsCall, type ClientIdentity } from '@qsen/testkit';
import type { Attempt, AttemptOutcome } from './checker.js';
import { isFinal } from './checker.js';
import { isFinalCancel, type CancelAttempt, type CancelAttemptOutcome } from './cancel-checker.js';
import type { CampaignPlan, PlannedOrder } from './plan.js';

/** Where the clients send and who they are. */
export interface ClientTarget {
  /** `https://localhost:PORT` of qsen. */
  readonly url: string;
  readonly ca: string;
  readonly identity: ClientIdentity;
}

/** How the clients behave. */
export interface ClientOptions {
  readonly plan: CampaignPlan;
  readonly target: ClientTarget;
  /** The run's start (performance.now() origin of the plan's instants). */
  readonly startedAt: number;
  /** One attempt's time limit (qsen may spend a look-up and a forward, each up to timeout_ms). */
  readonly requestTimeoutMs: number;
  /** After this instant (performance.now()) an id without a final answer is given up. */
  readonly giveUpAt: () => number;
  /** The counterparty enters its side of a resting order now (the simulator's admin match route): raced against a cancel. */
  readonly raceMatch?: (id: string) => Promise<void>;
}

/** What the clients did. */
export interface ClientsResult {
  readonly attempts: Attempt[];
  /** Logical sends (first sends plus the deliberate second sends). */
  readonly sends: number;
  /** Attempts beyond the first of each logical send. */
  readonly retries: number;
  readonly deliberateResends: number;
  readonly cancelAttempts: CancelAttempt[];
  /** Ids the clients cancelled (their send was answered accepted), cancels sent twice on purpose, matches raced against a cancel. */
  readonly cancelled: string[];
  readonly cancelsSentTwice: number;
  readonly racedMatches: number;
}

/** The JSON body of an order (id and fields as strings). */
export function orderJson(order: PlannedOrder): string {
  return JSON.stringify({ id: order.id, ...order.content });
}

/** An answer body as a JSON object (`{}` when it is not one). */
function readAnswerObject(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/** Classifies one exchange with qsen. */
export function classifyAnswer(status: number, body: string): AttemptOutcome {
  const object = readAnswerObject(body);
  if (status === 200) {
    const order = object['order'] as Record<string, unknown> | undefined;
    const state = order?.['status'];
    if (state === 'accepted' || state === 'rejected') {
      const senebi = order?.['senebi'] as Record<string, unknown> | undefined;
      const reason = typeof senebi?.['reason'] === 'string' ? senebi['reason'] : undefined;
      return { kind: 'order', status: state, ...(reason !== undefined ? { reason } : {}) };
    }
    return { kind: 'retry', httpStatus: 200, code: 'UNREADABLE_ANSWER' };
  }
  const error = object['error'] as Record<string, unknown> | undefined;
  const code = typeof error?.['code'] === 'string' ? error['code'] : 'NO_ERROR_BODY';
  if (status === 502 || status === 503 || status === 504) return { kind: 'retry', httpStatus: status, code };
  return { kind: 'refused', httpStatus: status, code };
}

/** Classifies one exchange of cancelOrder with qsen. */
export function classifyCancelAnswer(status: number, body: string): CancelAttemptOutcome {
  const object = readAnswerObject(body);
  if (status === 200) {
    const order = object['order'] as Record<string, unknown> | undefined;
    return order?.['status'] === 'cancelled' ? { kind: 'cancelled' } : { kind: 'retry', httpStatus: 200, code: 'UNREADABLE_ANSWER' };
  }
  const error = object['error'] as Record<string, unknown> | undefined;
  const code = typeof error?.['code'] === 'string' ? error['code'] : 'NO_ERROR_BODY';
  const details = (error?.['details'] ?? {}) as Record<string, unknown>;
  if (status === 409 && code === 'ORDER_NOT_CANCELLABLE') return { kind: 'not_cancellable', status: typeof details['status'] === 'string' ? details['status'] : 'unknown' };
  // The order's own delivery not known yet: the platform retries (docs/integrator.md).
  if (status === 502 || status === 503 || status === 504 || (status === 409 && code === 'ORDER_DELIVERY_UNKNOWN')) return { kind: 'retry', httpStatus: status, code };
  return { kind: 'refused', httpStatus: status, code };
}

/** The back-off before the next attempt of one send (attempt counts from 1). */
export function retryDelayMs(attempt: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(attempt, 6));
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Runs every client of the plan until each of its sends has a final answer or is given up. */
export async function runClients(options: ClientOptions): Promise<ClientsResult> {
  const { plan, target } = options;
  const attempts: Attempt[] = [];
  const cancelAttempts: CancelAttempt[] = [];
  const cancelled: string[] = [];
  const cancelWork: Promise<void>[] = [];
  let cancelsSentTwice = 0;
  let racedMatches = 0;
  let sends = 0;
  let retries = 0;
  let deliberateResends = 0;
  const elapsed = (): number => Math.round(performance.now() - options.startedAt);

  const cancelUntilFinal = async (agent: Agent, id: string): Promise<CancelAttemptOutcome | undefined> => {
    for (let attempt = 1; ; attempt++) {
      let outcome: CancelAttemptOutcome;
      try {
        const answer = await httpsCall(`${target.url}/qsen/v1/cancelOrder`, { method: 'POST', ca: target.ca, identity: target.identity, body: JSON.stringify({ id }), timeoutMs: options.requestTimeoutMs, tls: { agent } });
        outcome = classifyCancelAnswer(answer.status, answer.body);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? ((err as Error).message === 'request timed out' ? 'CLIENT_TIMEOUT' : 'CONNECTION_ERROR');
        outcome = { kind: 'no_answer', code };
      }
      cancelAttempts.push({ id, atMs: elapsed(), outcome });
      if (isFinalCancel(outcome)) return outcome;
      if (performance.now() > options.giveUpAt()) return undefined;
      await pause(retryDelayMs(attempt));
    }
  };

  /** The planned cancel of an order answered accepted: after its delay, maybe racing the counterparty's match, maybe twice. */
  const cancelPlanned = async (agent: Agent, order: PlannedOrder): Promise<void> => {
    const plan = order.cancel;
    if (!plan) return;
    await pause(plan.delayMs);
    cancelled.push(order.id);
    const race = plan.race && options.raceMatch ? options.raceMatch(order.id).then(() => { racedMatches += 1; }, () => undefined) : Promise.resolve();
    const first = await cancelUntilFinal(agent, order.id);
    await race;
    if (first && plan.twice) {
      cancelsSentTwice += 1;
      await cancelUntilFinal(agent, order.id);
    }
  };

  const sendUntilFinal = async (agent: Agent, order: PlannedOrder): Promise<AttemptOutcome | undefined> => {
    sends += 1;
    const body = orderJson(order);
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) retries += 1;
      let outcome: AttemptOutcome;
      try {
        const answer = await httpsCall(`${target.url}/qsen/v1/sendOrder`, {
          method: 'POST',
          ca: target.ca,
          identity: target.identity,
          body,
          timeoutMs: options.requestTimeoutMs,
          tls: { agent },
        });
        outcome = classifyAnswer(answer.status, answer.body);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? ((err as Error).message === 'request timed out' ? 'CLIENT_TIMEOUT' : 'CONNECTION_ERROR');
        outcome = { kind: 'no_answer', code };
      }
      attempts.push({ id: order.id, atMs: elapsed(), outcome });
      if (isFinal(outcome) || performance.now() > options.giveUpAt()) return outcome;
      await pause(retryDelayMs(attempt));
    }
  };

  const client = async (n: number): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const mine = plan.orders.filter((o) => o.client === n || (o.resend === 'concurrent' && o.twin === n));
      for (const order of mine) {
        await pause(options.startedAt + order.atMs - performance.now());
        const twin = order.client !== n;
        if (twin) deliberateResends += 1;
        const answered = await sendUntilFinal(agent, order);
        // The owner cancels once it was told "accepted", on its own connection so its later sends are not held up.
        if (!twin && order.cancel && answered?.kind === 'order' && answered.status === 'accepted') {
          const cancelAgent = new Agent({ keepAlive: false });
          cancelWork.push(cancelPlanned(cancelAgent, order).finally(() => cancelAgent.destroy()));
        }
        if (!twin && order.resend === 'after_answer') {
          deliberateResends += 1;
          await sendUntilFinal(agent, order);
        }
      }
    } finally {
      agent.destroy();
    }
  };

  await Promise.all(Array.from({ length: plan.clients }, (_, n) => client(n)));
  await Promise.all(cancelWork);
  return { attempts, sends, retries, deliberateResends, cancelAttempts, cancelled, cancelsSentTwice, racedMatches };
}
