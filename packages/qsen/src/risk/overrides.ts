/**
 * Temporary operator overrides of numeric limits: a value, a reason, an expiry, who set it. Pure
 * helpers: reading an override request, and which overrides are still in force at an instant
 * (after its expiry the file's value returns).
 */
import { findLimitSpec, readLimitValue } from './limits.js';

/** One override in force. */
export interface LimitOverride {
  readonly limit: string;
  /** Canonical text in the limit's kind. */
  readonly value: string;
  readonly reason: string;
  readonly expiresAtMs: number;
  readonly setAtMs: number;
  readonly by: string;
}

/** The longest an override may last (a week: intraday changes are meant to be reverted). */
export const MAX_OVERRIDE_MS = 7 * 24 * 3600 * 1000;
/** The longest reason an operator may give for a change of the risk controls. */
export const MAX_REASON = 500;

/** Whether `value` is a reason: a string of 1 to MAX_REASON characters, not only blanks. */
export function isReason(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_REASON;
}

/** A request to set (value) or lift (value null) an override. */
export type OverrideRequest =
  | { readonly kind: 'set'; readonly limit: string; readonly value: string; readonly reason: string; readonly expiresAtMs: number }
  | { readonly kind: 'lift'; readonly limit: string; readonly reason: string };

/** Why an override request is refused: the field and the problem. */
export interface OverrideProblem {
  readonly field: string;
  readonly problem: string;
}

/** Reads `{limit, value, reason, expiresAt}` (value null lifts the override); pure. */
export function readOverrideRequest(body: Readonly<Record<string, unknown>>, nowMs: number): { ok: true; request: OverrideRequest } | { ok: false; problem: OverrideProblem } {
  const bad = (field: string, problem: string) => ({ ok: false as const, problem: { field, problem } });
  const limit = body['limit'];
  if (typeof limit !== 'string') return bad('limit', 'is required: a limit name such as "daily_orders" or "order_notional.ARS"');
  const spec = findLimitSpec(limit);
  if (!spec) return bad('limit', `unknown limit ${JSON.stringify(limit)}`);
  const reason = body['reason'];
  if (!isReason(reason)) return bad('reason', `is required: a string of 1 to ${MAX_REASON} characters`);
  if (body['value'] === null) return { ok: true, request: { kind: 'lift', limit, reason } };
  const value = readLimitValue(spec.kind, body['value']);
  if (!value.ok) return bad('value', value.problem);
  const expiresAt = body['expiresAt'];
  const expiresAtMs = typeof expiresAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(expiresAt) ? Date.parse(expiresAt) : Number.NaN;
  if (!Number.isFinite(expiresAtMs)) return bad('expiresAt', 'is required: an ISO 8601 instant such as "2026-12-01T20:30:00Z"');
  if (expiresAtMs <= nowMs) return bad('expiresAt', 'must be in the future');
  if (expiresAtMs - nowMs > MAX_OVERRIDE_MS) return bad('expiresAt', 'must be at most 7 days ahead');
  return { ok: true, request: { kind: 'set', limit, value: value.text, reason, expiresAtMs } };
}

/** Splits overrides into those in force at nowMs and those expired. */
export function partitionOverrides(overrides: Iterable<LimitOverride>, nowMs: number): { active: LimitOverride[]; expired: LimitOverride[] } {
  const active: LimitOverride[] = [];
  const expired: LimitOverride[] = [];
  for (const o of overrides) (nowMs < o.expiresAtMs ? active : expired).push(o);
  return { active, expired };
}

/** The file's limit texts with the overrides applied. */
export function applyOverrides(fileTexts: ReadonlyMap<string, string>, active: readonly LimitOverride[]): Map<string, string> {
  const texts = new Map(fileTexts);
  for (const o of active) texts.set(o.limit, o.value);
  return texts;
}
