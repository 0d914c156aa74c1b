/**
 * The validated, frozen configuration (docs/api.md §7 plus QSen's own keys), derived from the
 * schema in schema.ts, the single source of these shapes: key names are the TOML names, every
 * path is absolute (resolved against the file's folder at load time). What each key means is
 * written beside it in schema.ts and in docs/configuration.md.
 */
import type { z } from 'zod';
import type { createConfigSchema } from './schema.js';

export type { Weekday } from '../schedule/wall-time.js';

/** Makes a parsed value read-only all the way down (loadConfig freezes it). */
type DeepReadonly<T> = T extends string | number | boolean | bigint | null | undefined ? T
  : T extends (infer E)[] ? readonly DeepReadonly<E>[]
  : T extends readonly unknown[] ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/** What the schema produces from conf.toml (defaults filled, paths resolved, ids parsed). */
type ParsedConfig = z.output<ReturnType<typeof createConfigSchema>>;

/** The whole configuration, plus where it was read from (`file`: absolute path of conf.toml). */
export type QsenConfig = DeepReadonly<ParsedConfig> & { readonly file: string };

/** [schedule]: the trading window and the daily kan restarts. */
export type ScheduleConfig = QsenConfig['schedule'];
/** [watchdog]: the kans' probes and restart policy (docs/api.md §6). */
export type WatchdogConfig = QsenConfig['watchdog'];
/** [risk]: the agent's pre-trade limits (docs/risk.md); an absent key is no limit. */
export type RiskConfig = QsenConfig['risk'];

/**
 * [deadman]: the dead man's switch (docs/qsen.md, "Dead man's switch"), off by default: the
 * platform's first heartbeat of the trading day arms it, a gap longer than `interval_seconds`
 * halts qsen (and with `cancel_open` pulls the resting orders).
 */
export type DeadmanConfig = QsenConfig['deadman'];
