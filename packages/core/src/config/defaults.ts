/**
 * The one place the configuration's defaults live (CONVENTIONS #6). Values are written exactly
 * as they would be in conf.toml: ids as strings, paths relative to the file's own folder.
 * The schema fills every missing key from here; `[senebi]` url, ca, cert, key and
 * passphrase_file have no default (they are required).
 */

/** Recursively freezes a plain object or array and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Default value of every optional conf.toml key (frozen). */
export const CONFIG_DEFAULTS = deepFreeze({
  server: {
    listen: '0.0.0.0',
    qsen_port: 8443,
    kan_ports: [8444, 8445, 8446],
    host_names: [],
  },
  id_range: {
    min: '9999000000000000000',
    max: '9999999999999999999',
  },
  schedule: {
    timezone: 'America/Argentina/Buenos_Aires',
    start: '10:30',
    stop: '17:30',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    holidays: [],
    kan_restart: '00:05',
    kan_restart_stagger_minutes: 2,
  },
  senebi: {
    timeout_ms: 5000,
    // 16 MiB: a day's listing of about 40,000 orders at their largest (docs/qsen.md, "The SENEBI adapter").
    max_answer_bytes: 16 * 1024 * 1024,
    test_identity: false,
  },
  tls: {
    ca: 'pki/ca.crt',
    cert: 'pki/server.crt',
    key: 'pki/server.key',
    crl: 'pki/crl.pem',
  },
  paths: {
    logs: 'logs',
    data: 'data',
    run: 'run',
    install: '.',
  },
  logging: {
    level: 'info',
    max_size_mb: 50,
    max_files: 14,
    audit_retention_days: 400,
  },
  watchdog: {
    interval_ms: 1000,
    timeout_ms: 700,
    failure_threshold: 3,
    startup_grace_ms: 15000,
    stop_grace_ms: 3000,
    backoff_initial_ms: 1000,
    backoff_max_ms: 60000,
    stable_after_ms: 60000,
  },
  control: {
    mode: 'systemd',
    socket: 'run/control.sock',
  },
  node_exporter: {
    url: 'http://127.0.0.1:9100',
  },
  cluster: {
    mode: 'six-port',
    gateway: 0,
    gateway_cert: 'pki/gateway.crt',
    gateway_key: 'pki/gateway.key',
  },
  // Every limit of [risk] is optional (absent: no limit); only the collar's fallback has a default.
  risk: {
    unreferenced: 'refuse',
  },
  // The dead man's switch is off unless the agent turns it on (docs/qsen.md, "Dead man's switch").
  deadman: {
    enabled: false,
    interval_seconds: 30,
    cancel_open: false,
  },
} as const);
