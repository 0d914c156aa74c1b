/**
 * The conf.toml schema (zod 4). Strict objects at every level, defaults from CONFIG_DEFAULTS,
 * paths resolved against the configuration file's folder, file-existence checks for the
 * secrets and TLS material. Cross-key rules run even when other keys are wrong, so that one
 * pass reports every problem.
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { z as Zod } from 'zod';
import { compareUint64, parseUint64, type Uint64 } from '../ids/uint64.js';
import { isValidLocalDate, isValidTimeZone, minutesOfHhmm, type Weekday } from '../schedule/wall-time.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import { canonicalAmount } from './amounts.js';
import { ORDER_CURRENCIES, ORDER_SETTLEMENTS } from './order-terms.js';
import { loadConfigValidator } from './validator.js';

/** How the schema treats the file system. */
export interface SchemaOptions {
  /** Folder relative paths are resolved against (the configuration file's folder). */
  readonly baseDir: string;
  /** Check that the SENEBI identity files and the TLS files exist (default true). */
  readonly checkFiles?: boolean;
}

const ALWAYS = { when: () => true } as const;
/** The days of the week as written in conf.toml ([schedule] days). */
export const WEEKDAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly Weekday[];
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function describeFileProblem(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? undefined : `not a regular file: ${path}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? `file not found: ${path}` : `cannot access ${path} (${code ?? 'error'})`;
  }
}

function isUrlWithProtocol(text: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** The largest `[watchdog] backoff_max_ms` accepted: one hour. */
export const MAX_BACKOFF_MS = 3_600_000;

/** `[senebi] max_answer_bytes`: 64 KiB (a few orders' answers) to 1 GiB. */
export const ANSWER_BYTES_BOUNDS = { min: 65_536, max: 1_073_741_824 } as const;
const answerBytesProblem = `must be an integer from ${ANSWER_BYTES_BOUNDS.min} (64 KiB) to ${ANSWER_BYTES_BOUNDS.max} (1 GiB)`;
/** Digits a [risk] amount may have before / after the point (notional reaches 10^28; 10^-8 is its finest unit). */
const AMOUNT_INTEGER_DIGITS = 30;
const AMOUNT_DECIMALS = 8;

const percentAtMost100 = (value: string): string | undefined => {
  const [integer = '0', fraction = ''] = value.split('.');
  return Number(integer) > 100 || (Number(integer) === 100 && fraction !== '') ? 'must be at most 100' : undefined;
};

/** The schema's building blocks, made from zod's namespace (loaded on first use, validator.ts). */
function schemaParts(z: typeof Zod) {
  const positiveInt = () => z.number().int('must be an integer').positive('must be greater than 0');
  const answerBytes = () => z.number().int(answerBytesProblem).min(ANSWER_BYTES_BOUNDS.min, answerBytesProblem).max(ANSWER_BYTES_BOUNDS.max, answerBytesProblem);
  const port = () => z.number().int('must be an integer').min(1, 'must be a port number (1..65535)').max(65535, 'must be a port number (1..65535)');
  const hhmm = (allowEndOfDay: boolean) =>
    z.string().refine((t) => minutesOfHhmm(t, allowEndOfDay) !== undefined, {
      error: allowEndOfDay ? 'must be a local time "HH:MM" (00:00..23:59, or "24:00" for the end of the day)' : 'must be a local time "HH:MM" (00:00..23:59)',
    });
  const host = () =>
    z.string().refine((t) => isIP(t) !== 0 || HOSTNAME.test(t), { error: 'must be an IP address or a host name' });

  const uint64Id = () =>
    z.unknown().transform((value, ctx): Uint64 => {
      if (typeof value === 'number' || typeof value === 'bigint') {
        ctx.addIssue({ code: 'custom', message: 'write ids as strings, e.g. "9999000000000000000" (TOML integers stop at 2^63-1)' });
        return z.NEVER;
      }
      if (typeof value !== 'string') {
        ctx.addIssue({ code: 'custom', message: 'must be an id written as a string of decimal digits' });
        return z.NEVER;
      }
      const parsed = parseUint64(value);
      if (!parsed.ok) {
        const why = {
          not_a_string_or_number: 'must be an id written as a string of decimal digits',
          not_decimal_digits: 'must be an unsigned 64-bit integer written with decimal digits only',
          leading_zero: 'must not have leading zeros',
          too_large: 'must be at most 18446744073709551615 (2^64-1)',
        }[parsed.problem];
        ctx.addIssue({ code: 'custom', message: why });
        return z.NEVER;
      }
      return parsed.value;
    });

  /** A [risk] amount: a decimal string (never a TOML number, which may be a binary float), canonicalized. */
  const riskAmount = (maxDecimals: number, maxIntegerDigits: number, check?: (value: string) => string | undefined) =>
    z.unknown().transform((value, ctx): string => {
      if (typeof value === 'number' || typeof value === 'bigint') {
        ctx.addIssue({ code: 'custom', message: `write amounts as strings, e.g. "${String(value)}" (a TOML number may be a binary float)` });
        return z.NEVER;
      }
      if (typeof value !== 'string') {
        ctx.addIssue({ code: 'custom', message: 'must be a decimal written as a string' });
        return z.NEVER;
      }
      const parsed = canonicalAmount(value, maxDecimals, maxIntegerDigits);
      const problem = parsed.ok ? check?.(parsed.value) : parsed.problem;
      if (problem !== undefined || !parsed.ok) {
        ctx.addIssue({ code: 'custom', message: problem ?? 'invalid' });
        return z.NEVER;
      }
      return parsed.value;
    });

  const riskAmounts = () =>
    z.strictObject({
      ARS: riskAmount(AMOUNT_DECIMALS, AMOUNT_INTEGER_DIGITS).optional(),
      USD: riskAmount(AMOUNT_DECIMALS, AMOUNT_INTEGER_DIGITS).optional(),
      EXT: riskAmount(AMOUNT_DECIMALS, AMOUNT_INTEGER_DIGITS).optional(),
    }).optional();

  const riskList = <T extends string>(item: Zod.ZodType<T>) =>
    z.array(item).refine((items) => new Set(items).size === items.length, { error: 'must not repeat an entry' }).optional();

  return { positiveInt, answerBytes, port, hhmm, host, uint64Id, riskAmount, riskAmounts, riskList };
}

/** Builds the conf.toml schema for one file (paths resolve against options.baseDir). */
export function createConfigSchema(options: SchemaOptions) {
  const { z } = loadConfigValidator();
  const { positiveInt, answerBytes, port, hhmm, host, uint64Id, riskAmount, riskAmounts, riskList } = schemaParts(z);
  const checkFiles = options.checkFiles ?? true;
  const path = () => z.string().min(1, 'must not be empty').transform((p) => resolve(options.baseDir, p));
  const existingFile = () =>
    path().check((ctx) => {
      if (!checkFiles) return;
      const problem = describeFileProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    });

  const d = CONFIG_DEFAULTS;

  const server = z
    .strictObject({
      listen: host().prefault(d.server.listen),
      qsen_port: port().prefault(d.server.qsen_port),
      kan_ports: z
        .array(port())
        .length(3, 'must list exactly three ports (kan 0, kan 1, kan 2)')
        .transform((ports) => ports as unknown as readonly [number, number, number])
        .prefault([...d.server.kan_ports]),
      host_names: z.array(host()).prefault([]),
    })
    .refine(
      (s) => {
        if (!Array.isArray(s.kan_ports)) return true;
        const all = [s.qsen_port, ...s.kan_ports].filter((p) => typeof p === 'number');
        return new Set(all).size === all.length;
      },
      { ...ALWAYS, path: ['kan_ports'], error: 'the three kan ports and qsen_port must all be different' },
    )
    .prefault({});

  const idRange = z
    .strictObject({
      min: uint64Id().prefault(d.id_range.min),
      max: uint64Id().prefault(d.id_range.max),
    })
    .refine(
      (r) => {
        const min = parseUint64(r.min);
        const max = parseUint64(r.max);
        return !min.ok || !max.ok || compareUint64(min.value, max.value) <= 0;
      },
      { ...ALWAYS, path: ['min'], error: 'must not be greater than id_range.max' },
    )
    .prefault({});

  const schedule = z
    .strictObject({
      timezone: z.string().refine(isValidTimeZone, { error: (iss) => `unknown IANA time zone ${JSON.stringify(iss.input)}` }).prefault(d.schedule.timezone),
      start: hhmm(false).prefault(d.schedule.start),
      stop: hhmm(true).prefault(d.schedule.stop),
      days: z
        .array(z.enum(WEEKDAY_NAMES, { error: 'must be one of mon, tue, wed, thu, fri, sat, sun' }))
        .min(1, 'must list at least one day')
        .refine((days) => new Set(days).size === days.length, { error: 'must not repeat a day' })
        .prefault([...d.schedule.days]),
      holidays: z
        .array(z.string({ error: (iss) => (iss.input instanceof Date ? 'write dates as strings: "YYYY-MM-DD"' : 'must be a date "YYYY-MM-DD"') }).refine(isValidLocalDate, { error: (iss) => `not a valid date "YYYY-MM-DD": ${JSON.stringify(iss.input)}` }))
        .prefault([]),
      kan_restart: hhmm(false).prefault(d.schedule.kan_restart),
      kan_restart_stagger_minutes: z.number().int('must be an integer').min(1, 'must be at least 1').max(120, 'must be at most 120').prefault(d.schedule.kan_restart_stagger_minutes),
    })
    .refine(
      (s) => {
        const start = typeof s.start === 'string' ? minutesOfHhmm(s.start) : undefined;
        const stop = typeof s.stop === 'string' ? minutesOfHhmm(s.stop, true) : undefined;
        return start === undefined || stop === undefined || stop > start;
      },
      { ...ALWAYS, path: ['stop'], error: 'must be after schedule.start' },
    )
    .prefault({});

  // No defaults for the identity: a missing [senebi] table reports each required key.
  const senebi = z.preprocess(
    (value) => (value === undefined ? {} : value),
    z.strictObject({
      url: z.string().refine((u) => isUrlWithProtocol(u, ['https:']), { error: 'must be an https:// URL' }),
      ca: existingFile(),
      cert: existingFile(),
      key: existingFile(),
      passphrase_file: existingFile(),
      timeout_ms: positiveInt().prefault(d.senebi.timeout_ms),
      max_answer_bytes: answerBytes().prefault(d.senebi.max_answer_bytes),
      test_identity: z.boolean().prefault(d.senebi.test_identity),
    }),
  );

  const tls = z
    .strictObject({
      ca: existingFile().prefault(d.tls.ca),
      cert: existingFile().prefault(d.tls.cert),
      key: existingFile().prefault(d.tls.key),
      crl: existingFile().prefault(d.tls.crl),
    })
    .prefault({});

  const paths = z
    .strictObject({
      logs: path().prefault(d.paths.logs),
      data: path().prefault(d.paths.data),
      run: path().prefault(d.paths.run),
      install: path().prefault(d.paths.install),
    })
    .prefault({});

  const logging = z
    .strictObject({
      level: z.enum(['error', 'warn', 'info', 'debug'], { error: 'must be one of error, warn, info, debug' }).prefault(d.logging.level),
      max_size_mb: positiveInt().prefault(d.logging.max_size_mb),
      max_files: positiveInt().prefault(d.logging.max_files),
      audit_retention_days: positiveInt().max(36500, 'must be at most 36500').prefault(d.logging.audit_retention_days),
    })
    .prefault({});

  const watchdog = z
    .strictObject({
      interval_ms: positiveInt().prefault(d.watchdog.interval_ms),
      timeout_ms: positiveInt().prefault(d.watchdog.timeout_ms),
      failure_threshold: positiveInt().prefault(d.watchdog.failure_threshold),
      startup_grace_ms: z.number().int('must be an integer').min(0, 'must not be negative').prefault(d.watchdog.startup_grace_ms),
      stop_grace_ms: positiveInt().prefault(d.watchdog.stop_grace_ms),
      backoff_initial_ms: positiveInt().prefault(d.watchdog.backoff_initial_ms),
      // At most an hour: a restart held back longer is an outage, not a back-off; and with
      // backoff_initial_ms >= 1 the cap comes long before the formula's 30 doublings (kan's backoffDelayMs).
      backoff_max_ms: positiveInt().max(MAX_BACKOFF_MS, `must be at most ${MAX_BACKOFF_MS} (one hour)`).prefault(d.watchdog.backoff_max_ms),
      stable_after_ms: positiveInt().prefault(d.watchdog.stable_after_ms),
    })
    .refine(
      (w) => typeof w.backoff_initial_ms !== 'number' || typeof w.backoff_max_ms !== 'number' || w.backoff_max_ms >= w.backoff_initial_ms,
      { ...ALWAYS, path: ['backoff_max_ms'], error: 'must not be smaller than watchdog.backoff_initial_ms' },
    )
    .prefault({});

  const control = z
    .strictObject({
      mode: z.enum(['systemd', 'local'], { error: 'must be "systemd" or "local"' }).prefault(d.control.mode),
      socket: path().prefault(d.control.socket),
    })
    .prefault({});

  const nodeExporter = z
    .strictObject({
      url: z.string().refine((u) => isUrlWithProtocol(u, ['http:', 'https:']), { error: 'must be an http:// or https:// URL' }).prefault(d.node_exporter.url),
    })
    .prefault({});

  // Four-port mode (docs/configuration.md, [cluster]): the gateway's client identity must exist.
  const cluster = z
    .strictObject({
      mode: z.enum(['six-port', 'four-port'], { error: 'must be "six-port" or "four-port"' }).prefault(d.cluster.mode),
      gateway: z.number().int('must be an integer').min(0, 'must be 0, 1 or 2 (a kan index)').max(2, 'must be 0, 1 or 2 (a kan index)').prefault(d.cluster.gateway),
      gateway_cert: path().prefault(d.cluster.gateway_cert),
      gateway_key: path().prefault(d.cluster.gateway_key),
    })
    .check((ctx) => {
      if (!checkFiles || ctx.value.mode !== 'four-port') return;
      for (const key of ['gateway_cert', 'gateway_key'] as const) {
        const file = ctx.value[key];
        const problem = typeof file === 'string' ? describeFileProblem(file) : undefined;
        if (problem) ctx.issues.push({ code: 'custom', message: `${problem} (four-port mode needs the gateway's client identity)`, input: file, path: [key] });
      }
    })
    .prefault({});

  const risk = z
    .strictObject({
      max_order_quantity: riskAmount(0, 18).optional(),
      max_order_notional: riskAmounts(),
      max_daily_notional: riskAmounts(),
      max_daily_instrument_notional: riskAmounts(),
      max_daily_orders: positiveInt().optional(),
      max_orders_per_second: positiveInt().optional(),
      max_orders_per_minute: positiveInt().optional(),
      reference_prices_file: existingFile().optional(),
      price_band_percent: riskAmount(6, 3, percentAtMost100).optional(),
      unreferenced: z.enum(['refuse', 'allow'], { error: 'must be "refuse" or "allow"' }).prefault(d.risk.unreferenced),
      instruments_allow: riskList(z.string().regex(/^[A-Z0-9.]{1,12}$/, 'must be an instrument: 1 to 12 characters [A-Z0-9.]')),
      instruments_deny: riskList(z.string().regex(/^[A-Z0-9.]{1,12}$/, 'must be an instrument: 1 to 12 characters [A-Z0-9.]')),
      counterparties_allow: riskList(z.string({ error: 'must be an agent code written as a string, e.g. "210"' }).regex(/^[0-9]{1,6}$/, 'must be an agent code: 1 to 6 digits')),
      counterparties_deny: riskList(z.string({ error: 'must be an agent code written as a string, e.g. "210"' }).regex(/^[0-9]{1,6}$/, 'must be an agent code: 1 to 6 digits')),
      currencies_allow: riskList(z.enum(ORDER_CURRENCIES, { error: 'must be one of ARS, USD, EXT' })),
      currencies_deny: riskList(z.enum(ORDER_CURRENCIES, { error: 'must be one of ARS, USD, EXT' })),
      settlements_allow: riskList(z.enum(ORDER_SETTLEMENTS, { error: 'must be T0 or T1' })),
      settlements_deny: riskList(z.enum(ORDER_SETTLEMENTS, { error: 'must be T0 or T1' })),
    })
    .refine(
      (r) => typeof r.max_orders_per_second !== 'number' || typeof r.max_orders_per_minute !== 'number' || r.max_orders_per_minute >= r.max_orders_per_second,
      { ...ALWAYS, path: ['max_orders_per_minute'], error: 'must not be smaller than risk.max_orders_per_second' },
    )
    .prefault({});

  const deadman = z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).prefault(d.deadman.enabled),
      interval_seconds: positiveInt().max(3600, 'must be at most 3600 (one hour)').prefault(d.deadman.interval_seconds),
      cancel_open: z.boolean({ error: 'must be true or false' }).prefault(d.deadman.cancel_open),
    })
    .prefault({});

  return z.strictObject({
    server,
    id_range: idRange,
    schedule,
    senebi,
    tls,
    paths,
    logging,
    watchdog,
    control,
    node_exporter: nodeExporter,
    cluster,
    risk,
    deadman,
  });
}
