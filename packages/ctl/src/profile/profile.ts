/**
 * Where qsenctl connects and who it is: the target (host, qsen port, kan ports, CA) and the
 * client identity (certificate and key). Sources, first match wins:
 *   1. `--profile FILE` (TOML, see docs/operator.md);
 *   2. `QSEN_HOME`: the local state folder's `pki/clients/<role>.*`, `pki/ca.crt`, and the ports of
 *      its `conf.toml` (role `operator` unless `--as ROLE`);
 *   3. `~/.config/qsen/profile.toml` (or `$XDG_CONFIG_HOME/qsen/profile.toml`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import TOML from '@iarna/toml';
import { createCtlError } from '../errors.js';

/** Everything needed to reach the four nodes with mutual TLS. */
export interface Target {
  /** Where the settings came from (a profile file or a state folder), for messages. */
  readonly source: string;
  readonly host: string;
  readonly qsenPort: number;
  readonly kanPorts: readonly [number, number, number];
  /** Path of the CA file that must have signed the server certificate. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The role asked for (`--as`), or the profile's. */
  readonly role: string;
}

/** The environment and options the resolution reads (main.ts passes process.env's values). */
export interface ProfileInputs {
  readonly profileFile?: string | undefined;
  readonly as?: string | undefined;
  readonly host?: string | undefined;
  readonly qsenHome?: string | undefined;
  readonly home?: string | undefined;
  readonly xdgConfigHome?: string | undefined;
  readonly cwd: string;
}

const STANDARD_QSEN_PORT = 8443;
const STANDARD_KAN_PORTS: readonly [number, number, number] = [8444, 8445, 8446];
const ROLE_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

function readToml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw createCtlError('PROFILE_NOT_FOUND', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw createCtlError('PROFILE_INVALID', `${file} is not valid TOML: ${(err as Error).message.split('\n')[0] ?? ''}`, { cause: err });
  }
}

function readPort(value: unknown, key: string, file: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
  throw createCtlError('PROFILE_INVALID', `${file}: ${key} must be a port number (1-65535)`);
}

function readKanPorts(value: unknown, key: string, file: string): readonly [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3) throw createCtlError('PROFILE_INVALID', `${file}: ${key} must list three ports (kan 0, 1, 2)`);
  return [readPort(value[0], `${key}[0]`, file), readPort(value[1], `${key}[1]`, file), readPort(value[2], `${key}[2]`, file)];
}

function readString(table: Record<string, unknown>, key: string, file: string, prefix = ''): string {
  const value = table[key];
  if (typeof value !== 'string' || value === '') throw createCtlError('PROFILE_INVALID', `${file}: ${prefix}${key} must be a non-empty string`);
  return value;
}

function checkRole(role: string): string {
  if (!ROLE_PATTERN.test(role)) throw createCtlError('USAGE', `--as: '${role}' is not a role name (e.g. operator, platform, auditor)`);
  return role;
}

/** Reads the state folder of local mode: operator (or `--as`) identity, CA and ports. */
export function resolveStateFolderTarget(home: string, opts: { as?: string | undefined; host?: string | undefined }): Target {
  const role = checkRole(opts.as ?? 'operator');
  const confFile = join(home, 'conf.toml');
  if (!existsSync(confFile)) throw createCtlError('PROFILE_NOT_FOUND', `QSEN_HOME=${home} has no conf.toml (run \`npm run init\` first, or unset QSEN_HOME)`);
  const conf = readToml(confFile);
  const server = (conf['server'] ?? {}) as Record<string, unknown>;
  const certFile = join(home, 'pki', 'clients', `${role}.crt`);
  const keyFile = join(home, 'pki', 'clients', `${role}.key`);
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    throw createCtlError('IDENTITY_UNREADABLE', `no identity '${role}' in ${join(home, 'pki', 'clients')} (expected ${role}.crt and ${role}.key)`);
  }
  return {
    source: home,
    host: opts.host ?? 'localhost',
    qsenPort: server['qsen_port'] === undefined ? STANDARD_QSEN_PORT : readPort(server['qsen_port'], 'server.qsen_port', confFile),
    kanPorts: server['kan_ports'] === undefined ? STANDARD_KAN_PORTS : readKanPorts(server['kan_ports'], 'server.kan_ports', confFile),
    caFile: join(home, 'pki', 'ca.crt'),
    certFile,
    keyFile,
    role,
  };
}

/**
 * Reads a profile file. Keys: `host`, `ca`, `cert`, `key`, `qsen_port`, `kan_ports`, optional
 * `role`, and `[identities.<role>]` tables (`cert`, `key`) that `--as <role>` picks. Relative
 * paths are relative to the profile's folder.
 */
export function resolveProfileTarget(file: string, opts: { as?: string | undefined; host?: string | undefined }): Target {
  const table = readToml(file);
  const known = new Set(['host', 'ca', 'cert', 'key', 'qsen_port', 'kan_ports', 'role', 'identities']);
  for (const key of Object.keys(table)) if (!known.has(key)) throw createCtlError('PROFILE_INVALID', `${file}: unknown key '${key}'`);
  const base = dirname(file);
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  let certFile: string;
  let keyFile: string;
  let role = typeof table['role'] === 'string' ? table['role'] : 'default';
  if (opts.as !== undefined) {
    role = checkRole(opts.as);
    const identities = (table['identities'] ?? {}) as Record<string, unknown>;
    const entry = identities[role];
    if (typeof entry !== 'object' || entry === null) throw createCtlError('IDENTITY_UNREADABLE', `${file}: no [identities.${role}] table for --as ${role}`);
    certFile = at(readString(entry as Record<string, unknown>, 'cert', file, `identities.${role}.`));
    keyFile = at(readString(entry as Record<string, unknown>, 'key', file, `identities.${role}.`));
  } else {
    certFile = at(readString(table, 'cert', file));
    keyFile = at(readString(table, 'key', file));
  }
  return {
    source: file,
    host: opts.host ?? (typeof table['host'] === 'string' && table['host'] !== '' ? table['host'] : 'localhost'),
    qsenPort: table['qsen_port'] === undefined ? STANDARD_QSEN_PORT : readPort(table['qsen_port'], 'qsen_port', file),
    kanPorts: table['kan_ports'] === undefined ? STANDARD_KAN_PORTS : readKanPorts(table['kan_ports'], 'kan_ports', file),
    caFile: at(readString(table, 'ca', file)),
    certFile,
    keyFile,
    role,
  };
}

/** The default profile path: `$XDG_CONFIG_HOME/qsen/profile.toml` or `~/.config/qsen/profile.toml`. */
export function defaultProfilePath(inputs: Pick<ProfileInputs, 'home' | 'xdgConfigHome'>): string | undefined {
  if (inputs.xdgConfigHome) return join(inputs.xdgConfigHome, 'qsen', 'profile.toml');
  if (inputs.home) return join(inputs.home, '.config', 'qsen', 'profile.toml');
  return undefined;
}

/** Resolves the target from `--profile`, `QSEN_HOME` or the default profile, in that order. */
export function resolveTarget(inputs: ProfileInputs): Target {
  const opts = { as: inputs.as, host: inputs.host };
  if (inputs.profileFile !== undefined) return resolveProfileTarget(resolve(inputs.cwd, inputs.profileFile), opts);
  if (inputs.qsenHome) return resolveStateFolderTarget(resolve(inputs.cwd, inputs.qsenHome), opts);
  const fallback = defaultProfilePath(inputs);
  if (fallback !== undefined && existsSync(fallback)) return resolveProfileTarget(fallback, opts);
  throw createCtlError('PROFILE_NOT_FOUND',
    `no profile: pass --profile FILE, set QSEN_HOME to a local state folder, or write ${fallback ?? '~/.config/qsen/profile.toml'}`);
}
