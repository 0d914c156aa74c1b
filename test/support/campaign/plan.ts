/**
 * The campaign's plan, drawn up front from one seed: the orders (ids, content, which client sends
 * them, when, and which ones are deliberately sent twice) and the nemesis's schedule (SENEBI fault
 * windows with their exact fault settings, and qsen process faults: kill -9, SIGSTOP/SIGCONT, a
 * full data disk). Pure: the same options give the same plan and the same digest. Only the timing
 * of real processes varies between two runs of one seed.
 */
import { createHash } from 'node:crypto';
import { createRandom, type Random } from './random.js';

/** The content of an order as the platform sends it (every field a string). */
export interface OrderContent {
  readonly instrument: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: string;
  readonly price: string;
  readonly currency: 'ARS' | 'USD';
  readonly settlement: 'T0' | 'T1';
  readonly counterparty: string;
}

/**
 * A deliberate second send of the same id and content: `after_answer` (the same client sends it
 * again once it has a final answer: the first answer must come back) or `concurrent` (another
 * client sends it at the same instant).
 */
export type Resend = 'none' | 'after_answer' | 'concurrent';

/**
 * The platform's cancel of an order it was answered "accepted" for: `delayMs` after that answer,
 * retried like a send; `race`: the counterparty's match (the simulator's admin match route) is
 * fired at the same instant; `twice`: the same cancel is sent again after its final answer (the
 * first answer must come back).
 */
export interface PlannedCancel {
  readonly delayMs: number;
  readonly race: boolean;
  readonly twice: boolean;
}

/** One order of the plan. */
export interface PlannedOrder {
  readonly index: number;
  readonly id: string;
  /** The client that sends it. */
  readonly client: number;
  /** When it is sent, in ms from the start of the run. */
  readonly atMs: number;
  readonly content: OrderContent;
  readonly resend: Resend;
  /** For `concurrent`: the other client. */
  readonly twin?: number;
  /** The platform cancels it after an accepted answer. */
  readonly cancel?: PlannedCancel;
}

/** The SENEBI fault windows the nemesis opens. */
export const SENEBI_FAULTS = ['latency_below', 'latency_at', 'latency_above', 'processing', 'slow_answer', 'accepted_no_answer', 'http_5xx', 'reset', 'truncated', 'slow_cancel', 'cancel_race'] as const;

/** One kind of SENEBI fault window. */
export type SenebiFault = (typeof SENEBI_FAULTS)[number];

/** The qsen process faults the nemesis causes. */
export const PROCESS_FAULTS = ['kill', 'pause', 'disk_full'] as const;

/** One kind of process fault. */
export type ProcessFault = (typeof PROCESS_FAULTS)[number];

/** A window of SENEBI faults: the simulator's fault settings (`PUT /admin/v1/faults` body) for a while. */
export interface SenebiWindow {
  readonly fault: SenebiFault;
  readonly atMs: number;
  readonly durationMs: number;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A process fault: kill -9 of qsen, SIGSTOP for `durationMs` then SIGCONT, or the data disk full for `durationMs`. */
export interface ProcessEvent {
  readonly fault: ProcessFault;
  readonly atMs: number;
  readonly durationMs: number;
}

/** What the plan is drawn from. */
export interface PlanOptions {
  readonly seed: number;
  readonly orders: number;
  /** qsen's `[senebi] timeout_ms`: the latency windows sit below, at and above it. */
  readonly timeoutMs: number;
  /** Concurrent platform clients. */
  readonly clients: number;
  /** Planned time between two orders (the run lasts orders x spacingMs, at least minDurationMs). */
  readonly spacingMs: number;
  readonly minDurationMs: number;
}

/**
 * The last phase: once every client is done, an operator halts with `cancelOpen` while SENEBI's
 * cancels are held `slowCancelMs` each, and the nemesis kills qsen with -9 `killAfterMs` into the
 * mass cancel (0: not killed); the restarted qsen must resume and finish it.
 */
export interface MassCancelPhase {
  readonly slowCancelMs: number;
  readonly killAfterMs: number;
}

/** The whole plan of one campaign. */
export interface CampaignPlan {
  readonly seed: number;
  readonly timeoutMs: number;
  readonly clients: number;
  readonly durationMs: number;
  readonly orders: readonly PlannedOrder[];
  readonly senebi: readonly SenebiWindow[];
  readonly process: readonly ProcessEvent[];
  readonly massCancel: MassCancelPhase;
}

/** Defaults of the slow suite: 16 clients, 25 ms between orders, a run of at least 20 s, qsen's timeout 1 s. */
export const DEFAULT_PLAN_OPTIONS = { clients: 16, spacingMs: 25, minDurationMs: 20_000, timeoutMs: 1000 } as const;

/** Listed at SENEBI (the simulator's instruments). */
const LISTED = ['AL29', 'AL30', 'AL35', 'GD30', 'GD35', 'TX26', 'S31O6'] as const;
/** Syntactically valid for qsen, unknown at SENEBI: answered rejected by the exchange. */
const UNLISTED = 'ZZ99';

/** The order ids of a seed: 9999 1 SSSSS IIIIIIIII (19 digits, inside the default range). */
export function orderIdOf(seed: number, index: number): string {
  return `99991${String(seed % 100_000).padStart(5, '0')}${String(index).padStart(9, '0')}`;
}

function planContent(random: Random): OrderContent {
  const whole = random.int(1, 2000);
  const cents = random.int(0, 99);
  return {
    instrument: random.chance(0.05) ? UNLISTED : random.pick(LISTED),
    side: random.pick(['buy', 'sell'] as const),
    quantity: String(random.int(1, 100_000)),
    price: `${whole}.${String(cents).padStart(2, '0')}`,
    currency: random.pick(['ARS', 'USD'] as const),
    settlement: random.pick(['T0', 'T1'] as const),
    counterparty: random.chance(0.2) ? '210' : String(random.int(1, 999)),
  };
}

function planOrders(random: Random, options: PlanOptions, durationMs: number): PlannedOrder[] {
  const orders: PlannedOrder[] = [];
  for (let index = 0; index < options.orders; index++) {
    const client = index % options.clients;
    const roll = random.float();
    const resend: Resend = roll < 0.05 ? 'concurrent' : roll < 0.13 ? 'after_answer' : 'none';
    const atMs = Math.floor((index * durationMs) / options.orders);
    const content = planContent(random);
    const base = { index, id: orderIdOf(options.seed, index), client, atMs, content, resend };
    orders.push(resend === 'concurrent' ? { ...base, twin: (client + random.int(1, options.clients - 1)) % options.clients } : base);
  }
  return orders;
}

/** The fault-engine paths of a window: order submissions, and sometimes the look-ups by id too. */
function windowPaths(random: Random): string[] {
  return random.chance(0.5) ? ['POST /senebi/v1/orders', 'GET /senebi/v1/orders/'] : ['POST /senebi/v1/orders'];
}

/** The latency settings below, at or above the timeout. */
function latencyRule(level: 'below' | 'at' | 'above', timeoutMs: number, probability: number, paths: string[]): Record<string, unknown> {
  const [fixed, jitter] = level === 'below' ? [0.2, 0.5] : level === 'at' ? [0.9, 0.2] : [1.1, 1.4];
  return { probability, fixed_ms: Math.round(fixed * timeoutMs), jitter_ms: Math.round(jitter * timeoutMs), paths };
}

function windowSettings(random: Random, fault: SenebiFault, timeoutMs: number): Record<string, unknown> {
  const seed = random.int(1, 1_000_000);
  const probability = random.int(25, 80) / 100;
  const paths = windowPaths(random);
  switch (fault) {
    case 'latency_below':
      return { seed, latency: latencyRule('below', timeoutMs, probability, paths) };
    case 'latency_at':
      return { seed, latency: latencyRule('at', timeoutMs, probability, paths) };
    case 'latency_above':
      return { seed, latency: latencyRule('above', timeoutMs, probability, paths) };
    case 'processing':
      // Held in the exchange's sequencer 0.8 to 2.2 x the timeout: qsen times out, looks the id up
      // (404 while held), resends, and the resend is refused as a duplicate once the first commits.
      return { seed, processing: { probability, fixed_ms: Math.round(0.8 * timeoutMs), jitter_ms: Math.round(1.4 * timeoutMs), paths: ['POST /senebi/v1/orders'] } };
    case 'slow_answer':
      return { seed, slow_answer: { probability, fixed_ms: Math.round(0.8 * timeoutMs), jitter_ms: timeoutMs, paths: ['POST /senebi/v1/orders'] } };
    case 'http_5xx':
      return { seed, http_5xx: { probability, status: random.pick([500, 502, 503, 504]), paths } };
    case 'accepted_no_answer': {
      // Sometimes with a processing delay around the timeout, so lost answers and late commits mix.
      const withLatency = random.chance(0.4);
      return {
        seed,
        accepted_no_answer: { probability, paths: ['POST /senebi/v1/orders'] },
        ...(withLatency ? { latency: latencyRule(random.pick(['below', 'at', 'above'] as const), timeoutMs, 0.5, ['POST /senebi/v1/orders']) } : {}),
      };
    }
    case 'reset':
      return { seed, reset: { probability, paths } };
    case 'truncated':
      return { seed, truncated: { probability, paths } };
    case 'slow_cancel':
      // Cancels held around the timeout: qsen times out, the platform retries the idempotent cancel.
      return { seed, slow_cancel: { probability, fixed_ms: Math.round(0.5 * timeoutMs), jitter_ms: timeoutMs } };
    case 'cancel_race':
      return { seed, cancel_race: { probability } };
  }
}

const WINDOW_WEIGHTS: Readonly<Record<SenebiFault, number>> = {
  latency_below: 1, latency_at: 1.5, latency_above: 1.5, processing: 2, slow_answer: 1.5, accepted_no_answer: 1.5, http_5xx: 1, reset: 1, truncated: 1,
  slow_cancel: 1.5, cancel_race: 1.5,
};

/** The platform's cancels, one draw per order from their own stream (so that they do not shift the orders' draws). */
function planCancels(random: Random, orders: readonly PlannedOrder[]): PlannedOrder[] {
  return orders.map((order) => {
    if (!random.chance(0.3)) return order;
    return { ...order, cancel: { delayMs: random.int(0, 1500), race: random.chance(0.3), twice: random.chance(0.15) } };
  });
}

function planSenebiWindows(random: Random, timeoutMs: number, durationMs: number): SenebiWindow[] {
  const windows: SenebiWindow[] = [];
  for (let t = 1000; ;) {
    const atMs = t + random.int(200, 1200);
    const windowMs = random.int(800, 3500);
    if (atMs + windowMs > durationMs - 500) break;
    const fault = random.weighted(WINDOW_WEIGHTS);
    windows.push({ fault, atMs, durationMs: windowMs, settings: windowSettings(random, fault, timeoutMs) });
    t = atMs + windowMs;
  }
  return windows;
}

const PROCESS_WEIGHTS: Readonly<Record<ProcessFault, number>> = { kill: 4, pause: 3, disk_full: 3 };

function planProcessEvents(random: Random, durationMs: number): ProcessEvent[] {
  const events: ProcessEvent[] = [];
  for (let t = 1500; ;) {
    const atMs = t + random.int(3000, 8000);
    const fault = random.weighted(PROCESS_WEIGHTS);
    // A pause up to 4.5 s: shorter ones end with SIGCONT, longer ones get qsen judged hung by the kans.
    const eventMs = fault === 'kill' ? 0 : fault === 'pause' ? random.int(300, 4500) : random.int(1000, 4000);
    if (atMs + eventMs > durationMs - 1000) break;
    events.push({ fault, atMs, durationMs: eventMs });
    t = atMs + eventMs;
  }
  return events;
}

/** Draws the plan of one campaign from its seed. */
export function planCampaign(options: PlanOptions): CampaignPlan {
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffff_ffff) throw new Error(`the campaign seed must be an integer 0..4294967295, not ${options.seed}`);
  if (!Number.isInteger(options.orders) || options.orders < 1 || options.orders > 1_000_000_000) throw new Error(`the number of orders must be an integer 1..1e9, not ${options.orders}`);
  if (options.clients < 2) throw new Error('a campaign needs at least two clients (concurrent resends)');
  const durationMs = Math.max(options.minDurationMs, options.orders * options.spacingMs);
  // Three streams from one seed, so that more orders do not shift the fault schedule's draws and vice versa.
  const orders = planCancels(createRandom(options.seed ^ 0x3c3c_3c3c), planOrders(createRandom(options.seed), options, durationMs));
  const senebi = planSenebiWindows(createRandom(options.seed ^ 0x5e5e_5e5e), options.timeoutMs, durationMs);
  const processEvents = planProcessEvents(createRandom(options.seed ^ 0x0c0c_0c0c), durationMs);
  const phase = createRandom(options.seed ^ 0x6d6d_6d6d);
  const massCancel = { slowCancelMs: phase.int(20, 60), killAfterMs: phase.chance(0.85) ? phase.int(100, 800) : 0 };
  return { seed: options.seed, timeoutMs: options.timeoutMs, clients: options.clients, durationMs, orders, senebi, process: processEvents, massCancel };
}

/** The SHA-256 of the plan's canonical JSON: two runs with one seed print the same digest. */
export function digestPlan(plan: CampaignPlan): string {
  return createHash('sha256').update(JSON.stringify(plan)).digest('hex');
}

/** Counts of what a plan holds, for the campaign's first lines. */
export function describePlan(plan: CampaignPlan): string {
  const count = <T extends string>(items: readonly { fault: T }[]): string => {
    const by = new Map<string, number>();
    for (const item of items) by.set(item.fault, (by.get(item.fault) ?? 0) + 1);
    return [...by].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ');
  };
  const resends = plan.orders.filter((o) => o.resend !== 'none').length;
  const cancels = plan.orders.filter((o) => o.cancel !== undefined);
  return `${plan.orders.length} orders (${resends} sent twice on purpose) from ${plan.clients} clients over ${(plan.durationMs / 1000).toFixed(1)} s; ${cancels.length} cancels (${cancels.filter((o) => o.cancel?.race).length} racing a match, ${cancels.filter((o) => o.cancel?.twice).length} sent twice); SENEBI windows: ${count(plan.senebi)}; process faults: ${count(plan.process)}; mass cancel: cancels held ${plan.massCancel.slowCancelMs} ms, ${plan.massCancel.killAfterMs > 0 ? `kill -9 after ${plan.massCancel.killAfterMs} ms` : 'no kill'}`;
}
