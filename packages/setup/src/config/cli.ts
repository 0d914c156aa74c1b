#!/usr/bin/env node
/**
 * qsen-config: checks a conf.toml or renders a commented one (deploy/install.sh and operators).
 *   qsen-config check FILE          exit 0 when valid (with a preview of the schedule), 1 listing every problem
 *   qsen-config render [options]    prints a conf.toml (see `qsen-config help`)
 */
import { parseArgs } from 'node:util';
import { ConfigError, describeWindow, loadConfig, parseConfig, type Weekday } from '@qsen/core';
import { renderWindowPreview } from '../schedule/preview.js';
import { renderConfigToml, type RenderOptions } from './render.js';

const USAGE = `usage:
  qsen-config check FILE
  qsen-config render --mode local|systemd [options]
render options (each mirrors a conf.toml key; unset ones take the mode's default):
  --listen ADDR  --qsen-port N  --kan-ports A,B,C  --id-min ID  --id-max ID
  --timezone TZ  --start HH:MM  --stop HH:MM  --days mon,tue,...  --holidays YYYY-MM-DD,...
  --senebi-url URL  --logs DIR  --data DIR  --run DIR  --install DIR  --socket PATH
  --tls-dir DIR  --senebi-dir DIR  --node-exporter-url URL
  --test-identity true|false  --open-all-day true|false`;

const RENDER_FLAGS = [
  'mode', 'listen', 'qsen-port', 'kan-ports', 'id-min', 'id-max', 'timezone', 'start', 'stop', 'days', 'holidays',
  'senebi-url', 'logs', 'data', 'run', 'install', 'socket', 'tls-dir', 'senebi-dir', 'node-exporter-url',
  'test-identity', 'open-all-day',
] as const;

class UsageError extends Error {}

function toInteger(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`--${flag}: not a whole number: ${text}`);
  return Number(text);
}

function toBoolean(flag: string, text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new UsageError(`--${flag}: expected true or false, got ${text}`);
}

function toList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function readRenderOptions(args: string[]): RenderOptions {
  const options = Object.fromEntries(RENDER_FLAGS.map((name) => [name, { type: 'string' as const }]));
  const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0] ?? ''}`);
  const v = (name: (typeof RENDER_FLAGS)[number]): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const mode = v('mode');
  if (mode !== 'local' && mode !== 'systemd') throw new UsageError('--mode must be local or systemd');
  const kanPorts = v('kan-ports');
  let ports: [number, number, number] | undefined;
  if (kanPorts !== undefined) {
    const parts = toList(kanPorts).map((p) => toInteger('kan-ports', p));
    if (parts.length !== 3) throw new UsageError('--kan-ports: expected three ports A,B,C');
    ports = [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0];
  }
  const idMin = v('id-min');
  const idMax = v('id-max');
  const schedule: { start?: string; stop?: string; days?: Weekday[]; holidays?: string[]; timezone?: string } = {};
  const start = v('start');
  const stop = v('stop');
  const days = v('days');
  const holidays = v('holidays');
  const timezone = v('timezone');
  if (start !== undefined) schedule.start = start;
  if (stop !== undefined) schedule.stop = stop;
  if (days !== undefined) schedule.days = toList(days) as Weekday[];
  if (holidays !== undefined) schedule.holidays = toList(holidays);
  if (timezone !== undefined) schedule.timezone = timezone;
  const paths: { logs?: string; data?: string; run?: string; install?: string } = {};
  for (const key of ['logs', 'data', 'run', 'install'] as const) {
    const value = v(key);
    if (value !== undefined) paths[key] = value;
  }
  const qsenPort = v('qsen-port');
  const testIdentity = v('test-identity');
  const openAllDay = v('open-all-day');
  const listen = v('listen');
  const senebiUrl = v('senebi-url');
  const socket = v('socket');
  const tlsDir = v('tls-dir');
  const senebiDir = v('senebi-dir');
  const nodeExporterUrl = v('node-exporter-url');
  return {
    mode,
    ...(listen !== undefined ? { listen } : {}),
    ...(qsenPort !== undefined ? { qsenPort: toInteger('qsen-port', qsenPort) } : {}),
    ...(ports ? { kanPorts: ports } : {}),
    ...(idMin !== undefined || idMax !== undefined ? { idRange: { min: idMin ?? '9999000000000000000', max: idMax ?? '9999999999999999999' } } : {}),
    schedule,
    ...(senebiUrl !== undefined ? { senebiUrl } : {}),
    paths,
    ...(socket !== undefined ? { socket } : {}),
    ...(tlsDir !== undefined ? { tlsDir } : {}),
    ...(senebiDir !== undefined ? { senebiDir } : {}),
    ...(nodeExporterUrl !== undefined ? { nodeExporterUrl } : {}),
    ...(testIdentity !== undefined ? { testIdentity: toBoolean('test-identity', testIdentity) } : {}),
    ...(openAllDay !== undefined ? { openAllDay: toBoolean('open-all-day', openAllDay) } : {}),
  };
}

/** How many stretches of the window `check` previews. */
const PREVIEW_STRETCHES = 3;

/** The lines `check` prints after "ok:": the schedule read, the window now and its next opens and closes. */
function describeCheckedSchedule(schedule: Parameters<typeof describeWindow>[0], nowMs: number): string[] {
  const now = describeWindow(schedule, nowMs);
  const days = schedule.days.join(',');
  const holidays = schedule.holidays.length === 0 ? 'no holidays' : `${schedule.holidays.length} holiday(s)`;
  return [
    `schedule: ${schedule.start}-${schedule.stop} ${schedule.timezone}, ${days}, ${holidays}`,
    `window now: ${now.summary}`,
    ...(now.continuous ? [] : ['next stretches:', ...renderWindowPreview(schedule, nowMs, PREVIEW_STRETCHES)]),
  ];
}

/** Runs one qsen-config command and returns its exit code (0 ok, 1 invalid configuration, 2 usage). */
function runCommand(argv: string[], nowMs: number): number {
  const [command, ...rest] = argv;
  try {
    if (command === 'check') {
      if (rest.length !== 1 || rest[0] === undefined) throw new UsageError('check takes exactly one FILE');
      const config = loadConfig(rest[0]);
      process.stdout.write(`ok: ${config.file}\n${describeCheckedSchedule(config.schedule, nowMs).join('\n')}\n`);
      return 0;
    }
    if (command === 'render') {
      const text = renderConfigToml(readRenderOptions(rest));
      // Validate what was rendered (the files it names need not exist yet).
      parseConfig(text, 'conf.toml', { checkFiles: false });
      process.stdout.write(text);
      return 0;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    throw new UsageError(command === undefined ? 'missing command' : `unknown command: ${command}`);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`qsen-config: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

// QSEN_CONFIG_NOW (an ISO instant) replaces the clock for the schedule preview (tests; documented in docs/configuration.md).
const clockOverride = process.env['QSEN_CONFIG_NOW'];
const nowMs = clockOverride === undefined ? Date.now() : Date.parse(clockOverride);
if (Number.isNaN(nowMs)) {
  process.stderr.write(`qsen-config: QSEN_CONFIG_NOW is not an instant: ${clockOverride ?? ''}\n`);
  process.exitCode = 2;
} else process.exitCode = runCommand(process.argv.slice(2), nowMs);
