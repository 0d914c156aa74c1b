/**
 * `npm run init`: creates the local state folder of docs/api.md §9 once, idempotently. It
 * fills in only what is missing and never replaces a key, a certificate or conf.toml.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderConfigToml } from '@qsen/setup';
import { initClusterPki } from '@qsen/pki';
import { launcherErrors } from '../errors.js';

/** The ports written into a newly generated conf.toml. */
export interface LocalPorts {
  readonly qsen: number;
  readonly kans: readonly [number, number, number];
  readonly senebi: number;
  readonly nodeExporter: number;
}

/** The standard ports (docs/api.md §1 and §9). */
export const STANDARD_PORTS: LocalPorts = Object.freeze({
  qsen: 8443,
  kans: Object.freeze([8444, 8445, 8446]) as unknown as readonly [number, number, number],
  senebi: 9443,
  nodeExporter: 9100,
});

/** Where the control socket lives, relative to the state folder. */
export const CONTROL_SOCKET_RELATIVE = 'run/control.sock';

/** The state folder's own sub-folders and their modes. */
export const STATE_FOLDERS: ReadonlyArray<{ readonly name: string; readonly mode: number }> = Object.freeze([
  { name: 'logs', mode: 0o750 },
  { name: 'data', mode: 0o700 },
  { name: 'run', mode: 0o700 },
]);

/** What `initStateFolder` needs. */
export interface InitStateFolderOptions {
  /** The state folder ($QSEN_HOME). */
  readonly home: string;
  /** Ports for a newly generated conf.toml (an existing one is kept as it is). */
  readonly ports?: Partial<LocalPorts>;
  /** Extra host names / addresses for the server certificate. */
  readonly hosts?: readonly string[];
  /** Installation folder shown by the kans' cmd/ls (the repository in local mode). */
  readonly installDir?: string;
}

/** What `initStateFolder` did: paths relative to the state folder. */
export interface InitStateFolderReport {
  readonly home: string;
  readonly configFile: string;
  readonly created: string[];
  readonly kept: string[];
}

/** Checks one TCP port number. */
function checkPort(name: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw launcherErrors.create('INVALID_SETTING', `${name}: ${port} is not a TCP port (1-65535)`, { setting: name });
  }
  return port;
}

/** Merges and validates the ports: all six distinct, each 1-65535. */
export function resolveLocalPorts(overrides: Partial<LocalPorts> = {}): LocalPorts {
  const ports: LocalPorts = { ...STANDARD_PORTS, ...overrides };
  const all = [
    checkPort('qsen port', ports.qsen),
    ...ports.kans.map((p, i) => checkPort(`kan ${i} port`, p)),
    checkPort('SENEBI simulator port', ports.senebi),
    checkPort('node_exporter port', ports.nodeExporter),
  ];
  if (ports.kans.length !== 3) throw launcherErrors.create('INVALID_SETTING', 'exactly three kan ports are needed', { setting: 'kan ports' });
  if (new Set(all).size !== all.length) throw launcherErrors.create('INVALID_SETTING', `ports must be distinct: ${all.join(', ')}`, { setting: 'ports' });
  return ports;
}

/** Creates (once) the state folder: sub-folders, PKI, SENEBI identity and conf.toml. */
export function initStateFolder(opts: InitStateFolderOptions): InitStateFolderReport {
  const home = resolve(opts.home);
  const ports = resolveLocalPorts(opts.ports);
  const created: string[] = [];
  const kept: string[] = [];

  if (existsSync(home)) {
    kept.push('.');
  } else {
    mkdirSync(home, { recursive: true, mode: 0o750 });
    created.push('.');
  }
  for (const folder of STATE_FOLDERS) {
    const path = join(home, folder.name);
    if (existsSync(path)) {
      kept.push(`${folder.name}/`);
    } else {
      mkdirSync(path, { mode: folder.mode });
      chmodSync(path, folder.mode);
      created.push(`${folder.name}/`);
    }
  }

  const pki = initClusterPki(home, { hosts: opts.hosts ? [...opts.hosts] : [] });
  created.push(...pki.created);
  kept.push(...pki.kept);

  const configFile = join(home, 'conf.toml');
  if (existsSync(configFile)) {
    kept.push('conf.toml');
  } else {
    const text = renderConfigToml({
      mode: 'local',
      listen: '127.0.0.1',
      qsenPort: ports.qsen,
      kanPorts: ports.kans,
      senebiUrl: `https://127.0.0.1:${ports.senebi}`,
      nodeExporterUrl: `http://127.0.0.1:${ports.nodeExporter}`,
      socket: CONTROL_SOCKET_RELATIVE,
      openAllDay: true,
      testIdentity: true,
      ...(opts.installDir ? { paths: { install: resolve(opts.installDir) } } : {}),
    });
    // 'wx': never replace a conf.toml that appeared meanwhile.
    writeFileSync(configFile, text, { mode: 0o640, flag: 'wx' });
    created.push('conf.toml');
  }
  return { home, configFile, created, kept };
}

/** Reads port overrides from environment-style variables (QSEN_QSEN_PORT, QSEN_KAN_PORTS=a,b,c, QSEN_SENEBI_PORT, QSEN_NODE_EXPORTER_PORT). */
export function parsePortOverrides(vars: Readonly<Record<string, string | undefined>>): Partial<LocalPorts> {
  const number = (name: string, text: string): number => {
    if (!/^\d{1,5}$/.test(text.trim())) throw launcherErrors.create('INVALID_SETTING', `${name}: ${JSON.stringify(text)} is not a port number`, { setting: name });
    return checkPort(name, Number(text.trim()));
  };
  const overrides: { -readonly [K in keyof LocalPorts]?: LocalPorts[K] } = {};
  const qsen = vars['QSEN_QSEN_PORT'];
  if (qsen) overrides.qsen = number('QSEN_QSEN_PORT', qsen);
  const kans = vars['QSEN_KAN_PORTS'];
  if (kans) {
    const parts = kans.split(',');
    if (parts.length !== 3) throw launcherErrors.create('INVALID_SETTING', `QSEN_KAN_PORTS: ${JSON.stringify(kans)} must be three ports "a,b,c"`, { setting: 'QSEN_KAN_PORTS' });
    const [a, b, c] = parts.map((p) => number('QSEN_KAN_PORTS', p)) as [number, number, number];
    overrides.kans = [a, b, c];
  }
  const senebi = vars['QSEN_SENEBI_PORT'];
  if (senebi) overrides.senebi = number('QSEN_SENEBI_PORT', senebi);
  const nodeExporter = vars['QSEN_NODE_EXPORTER_PORT'];
  if (nodeExporter) overrides.nodeExporter = number('QSEN_NODE_EXPORTER_PORT', nodeExporter);
  return overrides;
}
