/**
 * Fault settings: one optional entry per fault kind, each with a probability (0..1) and an
 * optional `paths` filter, plus the seed of the engine's PRNG. One schema serves the
 * [faults] table of simulator.toml and the admin API's PUT body.
 */
import { z } from 'zod';
import { isLosslessNumber } from '@qsen/core';

/** Turns lossless JSON numbers and TOML bigints into JS numbers before validation. */
const toNumber = (v: unknown): unknown => (isLosslessNumber(v) ? Number(v.toString()) : typeof v === 'bigint' ? Number(v) : v);
const probability = z.preprocess(toNumber, z.number().min(0).max(1));
const milliseconds = z.preprocess(toNumber, z.number().int().min(0).max(3_600_000));
const pathFilter = z.array(z.string().regex(/^([A-Z]+ )?\/\S*$/, 'a path prefix, optionally after a method: "/senebi/v1/orders" or "POST /senebi/v1/orders"')).min(1);

const base = { probability, paths: pathFilter.optional() };

/** The schema of the fault settings (strict: unknown keys are errors). */
export const faultSettingsSchema = z.strictObject({
  seed: z.preprocess(toNumber, z.number().int().min(0).max(4294967295)).default(1),
  latency: z.strictObject({ ...base, fixed_ms: milliseconds.default(0), jitter_ms: milliseconds.default(0) }).optional(),
  processing: z.strictObject({ ...base, fixed_ms: milliseconds.default(0), jitter_ms: milliseconds.default(0) }).optional(),
  slow_answer: z.strictObject({ ...base, fixed_ms: milliseconds.default(0), jitter_ms: milliseconds.default(0) }).optional(),
  http_5xx: z.strictObject({ ...base, status: z.preprocess(toNumber, z.number().int().min(500).max(599)).default(503) }).optional(),
  reject: z.strictObject({ ...base, reason: z.string().min(1).max(200).default('rejected by the exchange (simulated)') }).optional(),
  hang: z.strictObject(base).optional(),
  reset: z.strictObject(base).optional(),
  malformed: z.strictObject(base).optional(),
  truncated: z.strictObject(base).optional(),
  oversize: z.strictObject({ ...base, bytes: z.preprocess(toNumber, z.number().int().min(0).max(4_294_967_296)).default(0) }).optional(),
  accepted_no_answer: z.strictObject(base).optional(),
  slow_cancel: z.strictObject({ ...base, fixed_ms: milliseconds.default(0), jitter_ms: milliseconds.default(0) }).optional(),
  cancel_race: z.strictObject(base).optional(),
});

/** The validated fault settings. */
export type FaultSettings = z.output<typeof faultSettingsSchema>;

/** The outcome faults, in the order the engine tries them. */
export const OUTCOME_FAULTS = ['hang', 'reset', 'http_5xx', 'reject', 'accepted_no_answer', 'malformed', 'truncated', 'oversize', 'cancel_race'] as const;

/** One outcome fault kind. */
export type OutcomeFault = (typeof OUTCOME_FAULTS)[number];

/**
 * The delay faults: `latency` before the request is handled (a delayed order submission can be
 * overtaken by a resend), `processing` (order submissions only: held inside the id's sequencer,
 * so a resend waits behind it), `slow_answer` after the request was handled (committed) and
 * before the answer, `slow_cancel` (cancel requests only: held before the cancel commits, while
 * the order still rests and can match).
 *
 * `cancel_race` (cancel requests only) makes the counterparty's match of a resting order commit
 * during the cancel, so the cancel finds it matched (409). `accepted_no_answer` on a cancel
 * commits the cancel and gives no answer.
 *
 * `oversize` processes the request normally, then answers `200` with SENEBI's real answer
 * followed by padding: a body of exactly `bytes` bytes (valid JSON, with its Content-Length), or,
 * with `bytes = 0` (the default), an endless chunked body written as fast as the client reads it
 * until the client closes the connection.
 */
export const DELAY_FAULTS = ['latency', 'processing', 'slow_answer', 'slow_cancel'] as const;

/** Every fault kind (the delays plus the outcomes). */
export const FAULT_KINDS = [...DELAY_FAULTS, ...OUTCOME_FAULTS] as const;

/** Validates raw fault settings; the problems are listed with their key paths. */
export function parseFaultSettings(raw: unknown): { ok: true; value: FaultSettings } | { ok: false; problems: string[] } {
  const parsed = faultSettingsSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}
