/**
 * The risk controls of one qsen node: the limits in force (conf.toml's [risk], the reference
 * prices, the operator's overrides), the ledger of today's consumption, and the operator's
 * changes (reload, override, reference prices), each audited with who, before, after and why.
 *
 * `admit` decides and reserves in one synchronous step, so concurrent orders cannot both take the
 * last unit of a limit (the desk calls it before its first await on the order's path). The file
 * and the clock come in as parameters; nothing here listens or reads the environment.
 */
import { ConfigError, formatConfigProblem, type RiskConfig } from '@qsen/core/config';
import type { AuditSink } from '@qsen/core/logging';
import { localDateOf, type Clock } from '@qsen/core/schedule';
import { qsenErrors } from '../errors.js';
import { notionalOf, parseScaled, PRICE_SCALE } from './decimal.js';
import { createRiskLedger, type Consumption, type DayUsage } from './ledger.js';
import { compileLimits, findLimitSpec, LIMIT_SPECS, limitTextsOf, LIST_LIMITS, mapLists, UNREFERENCED_LIMIT, type CompiledLimits, type LimitSpec } from './limits.js';
import { applyOverrides, partitionOverrides, readOverrideRequest, type LimitOverride } from './overrides.js';
import { decideOrder, type RiskOrder } from './policy.js';
import { createTradingDay } from './trading-day.js';
import { describeLimit, usageOfLimit, type LimitView } from './view.js';
import { loadReferencePricesFile, readReferencePrices, type PricesReading, type ReferencePrice } from './prices.js';
import { errorMessage } from '@qsen/core/errors';

/** An order as the risk controls see it: its id and the fields the policy reads. */
export interface RiskOrderWithId extends RiskOrder {
  readonly id: string;
}

/** One journaled order, for rebuilding the ledger at start. */
export interface JournaledOrder {
  readonly order: RiskOrderWithId;
  /** Its state now (book state). */
  readonly state: string;
  /** Instant it was received (journal time, ISO 8601). */
  readonly receivedAt: string;
}

/** Who makes a change: the caller's certificate subject (or "SIGHUP"), and the request id for the audit. */
export interface Actor {
  readonly subject: string;
  readonly requestId: string;
}

/** States whose consumption is given back: SENEBI did not take the order. */
export const RELEASING_STATES: readonly string[] = ['rejected', 'not_sent'];

/** States whose consumption stays for good: SENEBI took the order and its fate is final. */
export const STAYING_STATES: readonly string[] = ['accepted'];

/** What the controls need. */
export interface RiskControlsDeps {
  /** [risk] read at start. */
  readonly risk: RiskConfig;
  /** The schedule's time zone: trading days are local dates there. */
  readonly timezone: string;
  readonly clock: Clock;
  /** Re-reads conf.toml and returns its [risk] (throws a ConfigError naming every problem). */
  readonly readRiskConfig: () => RiskConfig;
  /** Reads the reference prices file (default: from disk). */
  readonly loadPrices?: (file: string) => PricesReading;
  readonly audit: AuditSink;
  /**
   * The order an id names, as journaled (the order book's copy). With it an accepted order's
   * reservation keeps its id alone, and its consumption is read back from the order if it is
   * ever released (risk/ledger.ts); without it every reservation keeps its amounts.
   */
  readonly orderOf?: (id: string) => RiskOrder | undefined;
}

export type { LimitView } from './view.js';

/** The outcome of a reload. */
export type ReloadOutcome = { readonly ok: true; readonly changes: readonly Change[] } | { readonly ok: false; readonly problems: readonly string[] };

/** One changed setting: its name, the value before and after (null: not set). */
export interface Change {
  readonly key: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** The controls. */
export interface RiskControls {
  /** Checks one validated order and reserves its consumption; throws 422 RISK_LIMIT_EXCEEDED. An id that already holds a reservation today passes without counting again. */
  admit(order: RiskOrderWithId): void;
  /** Counts an order admitted before that may be at SENEBI (a resend of an unknown delivery), without checking it. */
  keep(order: RiskOrderWithId): void;
  /** Tells the controls an order's new state: rejected and not_sent give the consumption back. */
  settle(id: string, state: string): void;
  /** Rebuilds today's ledger from the journaled orders (at start). */
  rebuild(orders: Iterable<JournaledOrder>): void;
  /** Re-reads conf.toml's [risk] and the reference prices; a broken file keeps what is in force. */
  reload(actor: Actor, reason: string): ReloadOutcome;
  /** Sets or lifts an override (`{limit, value, reason, expiresAt}`); throws INVALID_REQUEST. */
  override(body: Readonly<Record<string, unknown>>, actor: Actor): LimitView | { readonly limit: string; readonly lifted: true };
  /** Sets operator reference prices (`{instrument: "price"}`), kept until restart; throws INVALID_REQUEST. */
  setReferencePrices(prices: Readonly<Record<string, unknown>>, reason: string, actor: Actor): number;
  /** Everything GET /qsen/v1/risk shows. */
  view(): Record<string, unknown>;
  /** Usage ratio of every daily and rate limit in force (metrics). */
  usageRatios(): ReadonlyArray<{ readonly limit: string; readonly ratio: number }>;
  /** Every limit name a refusal can carry with the settings in force (a closed set for the metric label). */
  refusalLimits(): readonly string[];
  /** For GET /status: whether any limit is in force, the usage ratios, and refusals since start by limit. */
  summary(): { readonly active: boolean; readonly usage: ReadonlyArray<{ readonly limit: string; readonly ratio: number }>; readonly refusals: Readonly<Record<string, number>> };
}

interface OperatorPrice extends ReferencePrice {
  readonly by: string;
  readonly setAtMs: number;
  readonly reason: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** What an order consumes (the policy's figure for an order it admits). */
const consumptionOf = (order: RiskOrder): Consumption => ({
  currency: order.currency,
  instrument: order.instrument,
  notional: notionalOf(BigInt(order.quantity), parseScaled(order.price, PRICE_SCALE) ?? 0n),
});

/** Every file-level setting as key -> text, for the audit's before/after. */
function settingsOf(risk: RiskConfig, prices: ReadonlyMap<string, ReferencePrice>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, text] of limitTextsOf(risk)) out.set(`limit.${name}`, text);
  out.set('unreferenced', risk.unreferenced);
  for (const [name, { allow, deny }] of Object.entries(mapLists(risk, (allow, deny) => ({ allow, deny })))) {
    if (allow) out.set(`${name}_allow`, allow.join(','));
    if (deny) out.set(`${name}_deny`, deny.join(','));
  }
  if (risk.reference_prices_file) out.set('reference_prices_file', risk.reference_prices_file);
  for (const [instrument, p] of prices) out.set(`reference_price.${instrument}`, p.price);
  return out;
}

function diffSettings(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Change[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys.filter((k) => before.get(k) !== after.get(k)).map((key) => ({ key, before: before.get(key) ?? null, after: after.get(key) ?? null }));
}

/** Creates the controls; throws a RISK_CONFIG_INVALID ApiError when the reference prices file is broken at start. */
export function createRiskControls(deps: RiskControlsDeps): RiskControls {
  const { clock, timezone, audit } = deps;
  const loadPrices = deps.loadPrices ?? loadReferencePricesFile;
  const { orderOf } = deps;
  const ledger = createRiskLedger(orderOf && ((id) => {
    const order = orderOf(id);
    return order && consumptionOf(order);
  }));
  const refusals = new Map<string, number>();

  const readFilePrices = (risk: RiskConfig): PricesReading => (risk.reference_prices_file ? loadPrices(risk.reference_prices_file) : { ok: true, prices: new Map() });
  const initial = readFilePrices(deps.risk);
  if (!initial.ok) throw qsenErrors.create('RISK_CONFIG_INVALID', initial.problems.join('; '), { problems: initial.problems });

  let fileRisk = deps.risk;
  let filePrices: ReadonlyMap<string, ReferencePrice> = initial.prices;
  const operatorPrices = new Map<string, OperatorPrice>();
  let prices = new Map<string, bigint>();
  const overrides = new Map<string, LimitOverride>();
  let lastReload: Record<string, unknown> = { at: iso(clock.now()), ok: true, by: 'start' };

  let compiled: CompiledLimits;
  let effectiveTexts = new Map<string, string>();
  let nextExpiryMs = Number.POSITIVE_INFINITY;

  const rebuildPrices = (): void => {
    prices = new Map([...filePrices].map(([k, v]) => [k, v.micros]));
    for (const [k, v] of operatorPrices) prices.set(k, v.micros);
  };

  /** Drops expired overrides (audited) and recompiles the limits in force. */
  const recompile = (nowMs: number): void => {
    const { active, expired } = partitionOverrides(overrides.values(), nowMs);
    for (const o of expired) {
      overrides.delete(o.limit);
      const fileValue = limitTextsOf(fileRisk).get(o.limit) ?? null;
      audit.record({ action: 'risk.override', subject: o.by, outcome: 'done', requestId: '', details: { change: 'expired', limit: o.limit, before: o.value, after: fileValue, reason: o.reason, expiresAt: iso(o.expiresAtMs) } });
    }
    effectiveTexts = applyOverrides(limitTextsOf(fileRisk), active);
    compiled = compileLimits(fileRisk, effectiveTexts);
    nextExpiryMs = Math.min(Number.POSITIVE_INFINITY, ...active.map((o) => o.expiresAtMs));
  };

  rebuildPrices();
  recompile(clock.now());

  const dayAt = createTradingDay(timezone);

  const current = (nowMs: number): CompiledLimits => {
    if (nowMs >= nextExpiryMs) recompile(nowMs);
    return compiled;
  };

  function admit(order: RiskOrderWithId): void {
    const nowMs = clock.now();
    const day = dayAt(nowMs);
    if (ledger.holds(day, order.id)) return;
    const limits = current(nowMs);
    const usage = ledger.usage(day);
    const decision = decideOrder(order, {
      limits,
      usage,
      prices,
      lastSecond: limits.perSecond === undefined ? 0 : ledger.admittedWithin(nowMs, 1000),
      lastMinute: limits.perMinute === undefined ? 0 : ledger.admittedWithin(nowMs, 60_000),
    });
    if (!decision.ok) {
      const { limit, value, max, extra } = decision.refusal;
      refusals.set(limit, (refusals.get(limit) ?? 0) + 1);
      throw qsenErrors.create('RISK_LIMIT_EXCEEDED', `the order breaks the risk limit ${limit} (${value} over ${max ?? 'the list'})`, { limit, value, max, ...extra });
    }
    ledger.reserve(day, order.id, decision.consumption, nowMs);
  }

  function limitView(spec: LimitSpec, max: string, usage: DayUsage, nowMs: number): LimitView {
    const rate = { lastSecond: ledger.admittedWithin(nowMs, 1000), lastMinute: ledger.admittedWithin(nowMs, 60_000) };
    return describeLimit(spec, max, limitTextsOf(fileRisk).get(spec.name) ?? null, overrides.get(spec.name), usageOfLimit(spec.name, usage, rate));
  }

  function limitsInForce(nowMs: number): LimitView[] {
    current(nowMs);
    const usage = ledger.usage(dayAt(nowMs));
    return LIMIT_SPECS.flatMap((spec) => {
      const max = effectiveTexts.get(spec.name);
      return max === undefined ? [] : [limitView(spec, max, usage, nowMs)];
    });
  }

  function reload(actor: Actor, reason: string): ReloadOutcome {
    const by = actor.subject;
    const nowMs = clock.now();
    let risk: RiskConfig;
    try {
      risk = deps.readRiskConfig();
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems.map(formatConfigProblem) : [errorMessage(err)];
      return failReload(actor, reason, nowMs, problems);
    }
    const reading = readFilePrices(risk);
    if (!reading.ok) return failReload(actor, reason, nowMs, reading.problems);
    const before = settingsOf(fileRisk, filePrices);
    fileRisk = risk;
    filePrices = reading.prices;
    rebuildPrices();
    recompile(nowMs);
    const changes = diffSettings(before, settingsOf(fileRisk, filePrices));
    lastReload = { at: iso(nowMs), ok: true, by, reason, changes: changes.length };
    audit.record({ action: 'risk.reload', subject: by, outcome: 'done', requestId: actor.requestId, details: { change: changes.length > 0 ? 'changed' : 'unchanged', reason, changes } });
    return { ok: true, changes };
  }

  function failReload(actor: Actor, reason: string, nowMs: number, problems: readonly string[]): ReloadOutcome {
    lastReload = { at: iso(nowMs), ok: false, by: actor.subject, reason, problems };
    audit.record({ action: 'risk.reload', subject: actor.subject, outcome: 'failed', code: 'RISK_CONFIG_INVALID', requestId: actor.requestId, details: { reason, problems } });
    return { ok: false, problems };
  }

  function override(body: Readonly<Record<string, unknown>>, actor: Actor): LimitView | { limit: string; lifted: true } {
    const by = actor.subject;
    const nowMs = clock.now();
    const read = readOverrideRequest(body, nowMs);
    if (!read.ok) throw qsenErrors.create('INVALID_REQUEST', `invalid field '${read.problem.field}': ${read.problem.problem}`, { ...read.problem });
    const { request } = read;
    current(nowMs);
    const before = effectiveTexts.get(request.limit) ?? null;
    if (request.kind === 'lift') overrides.delete(request.limit);
    else overrides.set(request.limit, { limit: request.limit, value: request.value, reason: request.reason, expiresAtMs: request.expiresAtMs, setAtMs: nowMs, by });
    recompile(nowMs);
    const after = effectiveTexts.get(request.limit) ?? null;
    audit.record({
      action: 'risk.override',
      subject: by,
      outcome: 'done',
      requestId: actor.requestId,
      details: { change: request.kind === 'lift' ? 'lifted' : 'set', limit: request.limit, before, after, reason: request.reason, ...(request.kind === 'set' ? { expiresAt: iso(request.expiresAtMs) } : {}) },
    });
    if (request.kind === 'lift') return { limit: request.limit, lifted: true };
    const spec = findLimitSpec(request.limit);
    return limitView(spec ?? { name: request.limit, kind: 'count', scope: 'order' }, request.value, ledger.usage(dayAt(nowMs)), nowMs);
  }

  function setReferencePrices(entries: Readonly<Record<string, unknown>>, reason: string, actor: Actor): number {
    const by = actor.subject;
    const reading = readReferencePrices(entries);
    if (!reading.ok) throw qsenErrors.create('INVALID_REQUEST', `invalid field 'prices': ${reading.problems.join('; ')}`, { field: 'prices', problem: reading.problems.join('; ') });
    const nowMs = clock.now();
    const changes: Change[] = [];
    for (const [instrument, p] of reading.prices) {
      const before = operatorPrices.get(instrument)?.price ?? filePrices.get(instrument)?.price ?? null;
      operatorPrices.set(instrument, { ...p, by, setAtMs: nowMs, reason });
      changes.push({ key: `reference_price.${instrument}`, before, after: p.price });
    }
    rebuildPrices();
    audit.record({ action: 'risk.reference_prices', subject: by, outcome: 'done', requestId: actor.requestId, details: { change: 'set', reason, changes } });
    return changes.length;
  }

  function view(): Record<string, unknown> {
    const nowMs = clock.now();
    const limits = limitsInForce(nowMs);
    const referencePrices = [...new Set([...filePrices.keys(), ...operatorPrices.keys()])].sort().map((instrument) => {
      const op = operatorPrices.get(instrument);
      if (op) return { instrument, price: op.price, source: 'operator', setAt: iso(op.setAtMs), by: op.by, reason: op.reason };
      return { instrument, price: filePrices.get(instrument)?.price ?? '', source: 'file' };
    });
    return {
      day: dayAt(nowMs),
      timezone,
      active: !compiled.empty,
      limits,
      lists: mapLists(fileRisk, (allow, deny) => ({ allow: allow ?? null, deny: deny ?? [] })),
      collar: {
        bandPercent: effectiveTexts.get('price_band') ?? null,
        unreferenced: fileRisk.unreferenced,
        referencePricesFile: fileRisk.reference_prices_file ?? null,
        referencePrices,
      },
      lastReload,
    };
  }

  function usageRatios(): Array<{ limit: string; ratio: number }> {
    return limitsInForce(clock.now()).flatMap((l) => (l.usageRatio === undefined ? [] : [{ limit: l.limit, ratio: l.usageRatio }]));
  }

  function refusalLimits(): string[] {
    current(clock.now());
    const names = [...effectiveTexts.keys()].filter((n) => n !== 'price_band');
    if (effectiveTexts.has('price_band')) {
      names.push(...[...prices.keys()].sort().map((i) => `price_band.${i}`));
      if (compiled.unreferenced === 'refuse') names.push(UNREFERENCED_LIMIT);
    }
    names.push(...LIST_LIMITS);
    return names;
  }

  return {
    admit,
    keep(order) {
      const nowMs = clock.now();
      ledger.reserve(dayAt(nowMs), order.id, consumptionOf(order), nowMs);
    },
    settle(id, state) {
      if (RELEASING_STATES.includes(state)) ledger.release(id);
      else if (STAYING_STATES.includes(state)) ledger.finalize(id);
    },
    rebuild(orders) {
      const nowMs = clock.now();
      const today = dayAt(nowMs);
      for (const { order, state, receivedAt } of orders) {
        const atMs = Date.parse(receivedAt);
        if (RELEASING_STATES.includes(state) || !Number.isFinite(atMs) || localDateOf(timezone, atMs) !== today) continue;
        ledger.reserve(today, order.id, consumptionOf(order), Math.min(atMs, nowMs));
        if (STAYING_STATES.includes(state)) ledger.finalize(order.id);
      }
    },
    reload,
    override,
    setReferencePrices,
    view,
    usageRatios,
    refusalLimits,
    summary: () => ({ active: !current(clock.now()).empty, usage: usageRatios(), refusals: Object.fromEntries(refusals) }),
  };
}
