/**
 * Renders a commented conf.toml (every key with a comment). Used by `npm run init` (local mode)
 * and by deploy/install.sh through `qsen-config render` (systemd mode). Install-time work: it
 * lives here, outside @qsen/core, so that no running node carries it.
 */
import { posix } from 'node:path';
import TOML from '@iarna/toml';
import { CONFIG_DEFAULTS, type Weekday } from '@qsen/core';

/** What a rendered conf.toml should say; everything but `mode` has a per-mode default. */
export interface RenderOptions {
  /** "local": the npm start launcher owns the processes, paths inside $QSEN_HOME; "systemd": production. */
  readonly mode: 'local' | 'systemd';
  readonly listen?: string;
  readonly qsenPort?: number;
  readonly kanPorts?: readonly [number, number, number];
  readonly idRange?: { readonly min: string; readonly max: string };
  readonly schedule?: Partial<{ readonly start: string; readonly stop: string; readonly days: readonly Weekday[]; readonly holidays: readonly string[]; readonly timezone: string }>;
  readonly senebiUrl?: string;
  readonly paths?: Partial<{ readonly logs: string; readonly data: string; readonly run: string; readonly install: string }>;
  /** The launcher's control socket (local mode). */
  readonly socket?: string;
  /** Folder of the cluster PKI (ca.crt, crl.pem, server.crt, server.key). */
  readonly tlsDir?: string;
  /** Folder of the SENEBI identity (ca.crt, agent.crt, agent.key.enc, passphrase). */
  readonly senebiDir?: string;
  readonly nodeExporterUrl?: string;
  /** The SENEBI identity is a generated test one (local mode default). */
  readonly testIdentity?: boolean;
  /** Trading window open all day, every day (local mode default, so the demo works at any hour). */
  readonly openAllDay?: boolean;
}

const ALL_DAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const MODE_DEFAULTS = {
  local: {
    senebiUrl: 'https://127.0.0.1:9443',
    paths: { logs: CONFIG_DEFAULTS.paths.logs, data: CONFIG_DEFAULTS.paths.data, run: CONFIG_DEFAULTS.paths.run, install: CONFIG_DEFAULTS.paths.install },
    socket: CONFIG_DEFAULTS.control.socket,
    testIdentity: true,
    openAllDay: true,
  },
  systemd: {
    senebiUrl: 'https://senebi.example:443',
    paths: { logs: '/var/log/qsen', data: '/var/lib/qsen', run: '/run/qsen', install: '/opt/qsen' },
    socket: '/run/qsen/control.sock',
    testIdentity: false,
    openAllDay: false,
  },
} as const;

function str(value: string): string {
  return TOML.stringify.value(value);
}

function list(values: readonly (string | number)[]): string {
  return `[${values.map((v) => (typeof v === 'number' ? String(v) : str(v))).join(', ')}]`;
}

/** Renders a complete, commented conf.toml for the given mode and overrides. */
export function renderConfigToml(opts: RenderOptions): string {
  const mode = MODE_DEFAULTS[opts.mode];
  const d = CONFIG_DEFAULTS;
  const paths = { ...mode.paths, ...opts.paths };
  const tlsDir = opts.tlsDir ?? 'pki';
  const senebiDir = opts.senebiDir ?? 'senebi';
  const openAllDay = opts.openAllDay ?? mode.openAllDay;
  const timezone = opts.schedule?.timezone ?? d.schedule.timezone;
  const start = openAllDay ? '00:00' : (opts.schedule?.start ?? d.schedule.start);
  const stop = openAllDay ? '24:00' : (opts.schedule?.stop ?? d.schedule.stop);
  const days = openAllDay ? ALL_DAYS : (opts.schedule?.days ?? d.schedule.days);
  const holidays = opts.schedule?.holidays ?? [];
  const kanPorts = opts.kanPorts ?? d.server.kan_ports;
  const testIdentity = opts.testIdentity ?? mode.testIdentity;

  const windowComment = openAllDay
    ? [
        '# This file opens the trading window ALL DAY, EVERY DAY so that a local demo works at any',
        '# hour. For the real window set, for example:',
        '#   start = "10:30"',
        '#   stop = "17:30"',
        '#   days = ["mon", "tue", "wed", "thu", "fri"]',
        '#   holidays = ["2026-12-25"]',
      ]
    : ['# qsen runs only inside this window; outside it (and on other days and holidays) it stays down.'];

  const lines = [
    `# QSen configuration (${opts.mode} mode).`,
    '# Relative paths are relative to the folder of this file. Ids are written as strings.',
    '# Check it with: qsen-config check <this file>   (docs/configuration.md lists every key)',
    '',
    '[server]',
    '# Address the four nodes (qsen and the three kans) listen on.',
    `listen = ${str(opts.listen ?? d.server.listen)}`,
    '# Port of qsen, the order node.',
    `qsen_port = ${opts.qsenPort ?? d.server.qsen_port}`,
    '# Ports of kan 0, kan 1 and kan 2 (three distinct ports, all different from qsen_port).',
    `kan_ports = ${list(kanPorts)}`,
    '# Extra host names or addresses the server certificate is issued for (besides localhost, 127.0.0.1, ::1).',
    'host_names = []',
    '',
    '[id_range]',
    '# The reserved order ids (inclusive, unsigned 64-bit, as strings). qsen sends, lists and',
    '# shows nothing outside this range. Lowest id:',
    `min = ${str(opts.idRange?.min ?? d.id_range.min)}`,
    '# Highest id (at least min, at most 18446744073709551615).',
    `max = ${str(opts.idRange?.max ?? d.id_range.max)}`,
    '',
    '[schedule]',
    ...windowComment,
    '# IANA time zone the times, days and holidays below are read in.',
    `timezone = ${str(timezone)}`,
    '# qsen is up from this local time ("HH:MM") ...',
    `start = ${str(start)}`,
    '# ... until this one ("24:00" = end of the day); must be after start.',
    `stop = ${str(stop)}`,
    '# Trading days: any of mon, tue, wed, thu, fri, sat, sun.',
    `days = ${list(days)}`,
    '# Local dates ("YYYY-MM-DD") when qsen stays down all day.',
    `holidays = ${list(holidays)}`,
    '# Daily kan restarts begin at this local time: kan 0 first, then kan 1 and kan 2, staggered.',
    `kan_restart = ${str(d.schedule.kan_restart)}`,
    '# Minutes between one kan\'s daily restart and the next one\'s.',
    `kan_restart_stagger_minutes = ${d.schedule.kan_restart_stagger_minutes}`,
    '',
    '[senebi]',
    '# Base URL of the SENEBI web service (https only).',
    `url = ${str(opts.senebiUrl ?? mode.senebiUrl)}`,
    "# CA that signs SENEBI's server certificate.",
    `ca = ${str(posix.join(senebiDir, 'ca.crt'))}`,
    "# The agent's certificate registered at BYMA.",
    `cert = ${str(posix.join(senebiDir, 'agent.crt'))}`,
    '# Its private key, encrypted (PKCS#8 PEM).',
    `key = ${str(posix.join(senebiDir, 'agent.key.enc'))}`,
    '# File holding the passphrase of that key (mode 0600).',
    `passphrase_file = ${str(posix.join(senebiDir, 'passphrase'))}`,
    '# Time limit of one request to SENEBI (milliseconds).',
    `timeout_ms = ${d.senebi.timeout_ms}`,
    '# true when a generated test identity stands in for the BYMA certificate.',
    `test_identity = ${testIdentity ? 'true' : 'false'}`,
    '',
    '[tls]',
    "# The cluster's mutual-TLS material. CA that signs the clients' (and the nodes') certificates.",
    `ca = ${str(posix.join(tlsDir, 'ca.crt'))}`,
    "# The nodes' server certificate ...",
    `cert = ${str(posix.join(tlsDir, 'server.crt'))}`,
    '# ... and its private key (mode 0600).',
    `key = ${str(posix.join(tlsDir, 'server.key'))}`,
    '# Revocation list: client certificates on it are refused at the TLS layer.',
    `crl = ${str(posix.join(tlsDir, 'crl.pem'))}`,
    '',
    '[paths]',
    "# Every process's logs and the audit log.",
    `logs = ${str(paths.logs)}`,
    "# Durable state: qsen's order journal, the kill switch.",
    `data = ${str(paths.data)}`,
    '# Runtime state: locks, restart history, the local control socket.',
    `run = ${str(paths.run)}`,
    '# Installation folder (listed by kan\'s cmd/ls).',
    `install = ${str(paths.install)}`,
    '',
    '[logging]',
    '# Least severe level written: error, warn, info or debug.',
    `level = ${str(d.logging.level)}`,
    '# A log file is rotated when it reaches this size (MiB).',
    `max_size_mb = ${d.logging.max_size_mb}`,
    '# Rotated files kept per process.',
    `max_files = ${d.logging.max_files}`,
    '# Audit day files (audit-<process>-YYYY-MM-DD.log) are kept this many days.',
    `audit_retention_days = ${d.logging.audit_retention_days}`,
    '',
    '[watchdog]',
    '# Each kan probes qsen and its two peers this often (milliseconds) ...',
    `interval_ms = ${d.watchdog.interval_ms}`,
    '# ... and counts a probe as failed when it takes longer than this.',
    `timeout_ms = ${d.watchdog.timeout_ms}`,
    '# Consecutive failed rounds before a process is judged dead or hung.',
    `failure_threshold = ${d.watchdog.failure_threshold}`,
    '# A freshly started process is not judged before this much time.',
    `startup_grace_ms = ${d.watchdog.startup_grace_ms}`,
    '# Stopping: SIGTERM, then SIGKILL after this grace.',
    `stop_grace_ms = ${d.watchdog.stop_grace_ms}`,
    '# Back-off between restarts of a process that keeps crashing: first delay ...',
    `backoff_initial_ms = ${d.watchdog.backoff_initial_ms}`,
    '# ... doubling up to this one ...',
    `backoff_max_ms = ${d.watchdog.backoff_max_ms}`,
    '# ... and reset once the process has stayed healthy this long.',
    `stable_after_ms = ${d.watchdog.stable_after_ms}`,
    '',
    '[control]',
    '# Who owns the four processes: "systemd" (production) or "local" (the npm start launcher).',
    `mode = ${str(opts.mode)}`,
    "# Local mode: the launcher's control socket.",
    `socket = ${str(opts.socket ?? mode.socket)}`,
    '',
    '[node_exporter]',
    '# Prometheus node_exporter, proxied by the kans at /kan/v1/metrics/system.',
    `url = ${str(opts.nodeExporterUrl ?? CONFIG_DEFAULTS.node_exporter.url)}`,
    '',
    "# The agent's pre-trade risk limits (docs/risk.md). Every key is optional; amounts are decimal",
    '# strings. Uncomment what applies, then `qsenctl risk reload` (or SIGHUP) applies it live.',
    '# [risk]',
    '# max_order_quantity = "1000000"',
    '# max_order_notional = { ARS = "50000000", USD = "100000" }',
    '# max_daily_notional = { ARS = "500000000" }',
    '# max_daily_instrument_notional = { ARS = "200000000" }',
    '# max_daily_orders = 5000',
    '# max_orders_per_second = 20',
    '# max_orders_per_minute = 600',
    '# instruments_allow = ["AL30", "GD30"]',
    '# counterparties_deny = ["999"]',
    '# reference_prices_file = "reference-prices.toml"',
    '# price_band_percent = "5"',
    '# unreferenced = "refuse"',
    '',
    '[deadman]',
    "# The dead man's switch (docs/qsen.md): off unless true. When on, the platform's first",
    '# POST /qsen/v1/heartbeat of the trading day arms it, and a gap between two heartbeats longer',
    '# than interval_seconds halts qsen (channel "deadman").',
    `enabled = ${String(CONFIG_DEFAULTS.deadman.enabled)}`,
    '# The longest gap allowed between two heartbeats (seconds, 1..3600).',
    `interval_seconds = ${CONFIG_DEFAULTS.deadman.interval_seconds}`,
    '# true: a deadman halt also cancels every resting in-range order (as halt with cancelOpen).',
    `cancel_open = ${String(CONFIG_DEFAULTS.deadman.cancel_open)}`,
    '',
  ];
  return lines.join('\n');
}
