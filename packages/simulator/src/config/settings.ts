/**
 * simulator.toml (optional, in the SENEBI folder): the seeded business, matching and the
 * faults at start. Validated by one strict schema; every problem is reported with its key.
 */
import { readFile } from 'node:fs/promises';
import TOML from '@iarna/toml';
import { z } from 'zod';
import { isLosslessNumber, errorMessage } from '@qsen/core';
import { faultSettingsSchema, type FaultSettings } from '../faults/settings.js';
import type { MatchingSettings } from '../store/store.js';
import { simulatorErrors } from '../errors.js';

/** The simulator's own settings. */
export interface SimulatorSettings {
  readonly business: { readonly seed: number; readonly agent_code: string };
  readonly matching: MatchingSettings;
  readonly faults: FaultSettings;
}

const toNumber = (v: unknown): unknown => (isLosslessNumber(v) ? Number(v.toString()) : typeof v === 'bigint' ? Number(v) : v);
const seed = z.preprocess(toNumber, z.number().int().min(0).max(4294967295));

/** Matching knobs (also the admin API's PUT /admin/v1/matching body). */
export const matchingSchema = z.strictObject({
  probability: z.preprocess(toNumber, z.number().min(0).max(1)).default(1),
  seed: seed.default(1),
  /** A resting order matches this long after its acceptance (0: never by itself). */
  match_after_ms: z.preprocess(toNumber, z.number().int().min(0).max(86_400_000)).default(0),
  /** Up to this much more, drawn from the matching PRNG. */
  match_jitter_ms: z.preprocess(toNumber, z.number().int().min(0).max(86_400_000)).default(0),
});

const settingsSchema = z.strictObject({
  business: z.strictObject({
    seed: seed.default(1),
    agent_code: z.string().regex(/^[0-9]{1,6}$/, '1 to 6 digits').default('210'),
  }).default({ seed: 1, agent_code: '210' }),
  matching: matchingSchema.default({ probability: 1, seed: 1, match_after_ms: 0, match_jitter_ms: 0 }),
  faults: faultSettingsSchema.default({ seed: 1 }),
});

/** The defaults: agent 210, every order matched, no faults. */
export const DEFAULT_SETTINGS: SimulatorSettings = Object.freeze(settingsSchema.parse({}));

/** Validates raw settings (a parsed TOML document); throws INVALID_SIMULATOR_CONFIG naming every bad key. */
export function parseSimulatorSettings(raw: unknown, source = 'simulator.toml'): SimulatorSettings {
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw simulatorErrors.create('INVALID_SIMULATOR_CONFIG', `${source}: ${problems.join('; ')}`, { problems });
}

/** Reads simulator.toml; the defaults when the file does not exist. */
export async function loadSimulatorSettings(file: string): Promise<SimulatorSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_SETTINGS;
    throw err;
  }
  let raw: unknown;
  try {
    raw = TOML.parse(text);
  } catch (err) {
    throw simulatorErrors.create('INVALID_SIMULATOR_CONFIG', `${file}: not valid TOML (${errorMessage(err)})`, undefined, err);
  }
  return parseSimulatorSettings(raw, file);
}
