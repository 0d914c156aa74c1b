/**
 * The validated, frozen configuration (docs/api.md §7 plus QSen's own keys). Key names are
 * the TOML names. Every path is absolute (resolved against the file's folder at load time).
 * The schema in schema.ts is the single source of these shapes and of their defaults.
 */
import type { IdRange } from '../ids/uint64.js';

/** A day of the week as written in conf.toml. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** [server]: where the four nodes listen. */
export interface ServerConfig {
  readonly listen: string;
  readonly qsen_port: number;
  readonly kan_ports: readonly [number, number, number];
  /** Extra host names / addresses the server certificate is issued for. */
  readonly host_names: readonly string[];
}

/** [schedule]: the trading window and the daily kan restarts. */
export interface ScheduleConfig {
  readonly timezone: string;
  /** "HH:MM" local time qsen is up from. */
  readonly start: string;
  /** "HH:MM" local time qsen is down from; "24:00" = end of day. Always after start. */
  readonly stop: string;
  readonly days: readonly Weekday[];
  /** "YYYY-MM-DD" local dates when qsen stays down. */
  readonly holidays: readonly string[];
  /** "HH:MM": daily kan restarts begin here. */
  readonly kan_restart: string;
  /** Minutes between kan 0's, kan 1's and kan 2's daily restarts. */
  readonly kan_restart_stagger_minutes: number;
}

/** [senebi]: the exchange web service and the agent's identity there. */
export interface SenebiConfig {
  readonly url: string;
  readonly ca: string;
  readonly cert: string;
  /** Encrypted PKCS#8 PEM. */
  readonly key: string;
  readonly passphrase_file: string;
  readonly timeout_ms: number;
  /** True when a generated test identity stands in for the BYMA certificate (shown in cert/info). */
  readonly test_identity: boolean;
}

/** [tls]: the cluster's mutual-TLS material for the four nodes. */
export interface TlsConfig {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly crl: string;
}

/** [paths]: the folders the processes use. */
export interface PathsConfig {
  /** Log folder (every process's logs and the audit log). */
  readonly logs: string;
  /** Durable state: qsen's journal, the kill switch. */
  readonly data: string;
  /** Runtime state: locks, shared restart history, the local control socket. */
  readonly run: string;
  /** Installation folder (shown by kan's cmd/ls). */
  readonly install: string;
}

/** [logging]: file caps. */
export interface LoggingConfig {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  /** Rotate a file when it reaches this size (MiB). */
  readonly max_size_mb: number;
  /** Keep at most this many rotated files per process. */
  readonly max_files: number;
  /** Audit day files are kept this many days (then deleted by their writer). */
  readonly audit_retention_days: number;
}

/** [watchdog]: the kans' probes and restart policy (docs/api.md §6). */
export interface WatchdogConfig {
  readonly interval_ms: number;
  readonly timeout_ms: number;
  readonly failure_threshold: number;
  /** A freshly started process is not judged before this much time. */
  readonly startup_grace_ms: number;
  /** SIGTERM -> SIGKILL grace when stopping a process. */
  readonly stop_grace_ms: number;
  readonly backoff_initial_ms: number;
  readonly backoff_max_ms: number;
  /** A process healthy this long has its back-off reset. */
  readonly stable_after_ms: number;
}

/** [control]: who owns the processes. */
export interface ControlConfig {
  /** "systemd" in production, "local" under the npm start launcher. */
  readonly mode: 'systemd' | 'local';
  /** Local mode: the launcher's control socket. */
  readonly socket: string;
}

/** [node_exporter]: where the kans find Prometheus node_exporter. */
export interface NodeExporterConfig {
  readonly url: string;
}

/** A currency of an order, as written in sendOrder and in [risk] tables. */
export type RiskCurrency = 'ARS' | 'USD' | 'EXT';

/** A per-currency table of [risk]: canonical decimal amounts (strings), only the currencies written. */
export type RiskAmounts = Readonly<Partial<Record<RiskCurrency, string>>>;

/**
 * [risk]: the agent's pre-trade limits on the platform's order flow (docs/configuration.md,
 * docs/risk.md). Every key is optional; an absent key is no limit. Amounts are canonical decimal
 * strings (no leading zeros, no trailing fractional zeros); counts are integers.
 */
export interface RiskConfig {
  /** Nominal per order (a positive integer). */
  readonly max_order_quantity?: string;
  /** Notional per order (quantity x price / 100), per currency. */
  readonly max_order_notional?: RiskAmounts;
  /** Gross notional per trading day, per currency. */
  readonly max_daily_notional?: RiskAmounts;
  /** Gross notional per trading day of each instrument on its own, per currency. */
  readonly max_daily_instrument_notional?: RiskAmounts;
  /** Orders per trading day. */
  readonly max_daily_orders?: number;
  readonly max_orders_per_second?: number;
  readonly max_orders_per_minute?: number;
  /** Absolute path of the operator's reference prices (TOML, instrument = "price"). */
  readonly reference_prices_file?: string;
  /** Price collar: an order whose price is more than this percent away from the reference is refused. */
  readonly price_band_percent?: string;
  /** With a collar: what happens to an instrument without a reference price. */
  readonly unreferenced: 'refuse' | 'allow';
  readonly instruments_allow?: readonly string[];
  readonly instruments_deny?: readonly string[];
  readonly counterparties_allow?: readonly string[];
  readonly counterparties_deny?: readonly string[];
  readonly currencies_allow?: readonly RiskCurrency[];
  readonly currencies_deny?: readonly RiskCurrency[];
  readonly settlements_allow?: readonly ('T0' | 'T1')[];
  readonly settlements_deny?: readonly ('T0' | 'T1')[];
}

/**
 * [deadman]: the dead man's switch (docs/qsen.md, "Dead man's switch"). Off by default. When on,
 * the platform's first `POST /qsen/v1/heartbeat` of the trading day arms it; a gap longer than
 * `interval_seconds` between two heartbeats halts qsen (channel `deadman`), and with
 * `cancel_open` also cancels every resting in-range order.
 */
export interface DeadmanConfig {
  readonly enabled: boolean;
  /** The longest gap allowed between two heartbeats (1..3600 s). */
  readonly interval_seconds: number;
  /** A deadman halt also pulls the resting orders (the mass cancel of `halt` with `cancelOpen`). */
  readonly cancel_open: boolean;
}

/** The whole configuration. */
export interface QsenConfig {
  readonly server: ServerConfig;
  readonly id_range: IdRange;
  readonly schedule: ScheduleConfig;
  readonly senebi: SenebiConfig;
  readonly tls: TlsConfig;
  readonly paths: PathsConfig;
  readonly logging: LoggingConfig;
  readonly watchdog: WatchdogConfig;
  readonly control: ControlConfig;
  readonly node_exporter: NodeExporterConfig;
  readonly risk: RiskConfig;
  readonly deadman: DeadmanConfig;
  /** Where this configuration was read from (absolute path of conf.toml). */
  readonly file: string;
}
