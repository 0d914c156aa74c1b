/**
 * `senebi-sim faults|matching|counters|records|order|reset --home DIR`: drives the running
 * simulator's admin API (docs/simulator.md, "Admin API") from the shell. The admin API needs the
 * agent's identity on loopback; this command reads it from the state folder's conf.toml
 * (`[senebi] cert`, `key` and `passphrase_file`), decrypts the agent key in memory with the
 * passphrase file (the key never lands decrypted on disk), and trusts `[senebi] ca` for the
 * simulator's server certificate. Prints the answer's JSON; exit 0 on 2xx, 1 on an error
 * answer or a failed connection, 2 on a bad command line.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join, resolve } from 'node:path';
import { loadConfig, errorMessage } from '@qsen/core';
import { decryptPrivateKey } from '@qsen/pki';
import { portOfSenebiUrl } from '../service/start.js';

/** The admin subcommands. */
export const ADMIN_COMMANDS = ['faults', 'matching', 'counters', 'records', 'order', 'reset'] as const;

/** The usage of the admin subcommands. */
export const ADMIN_USAGE = `usage: senebi-sim COMMAND --home DIR [--port N]
  faults                     the fault settings in force
  faults set JSON            replace them all (JSON as the [faults] table), e.g. '{"http_5xx": {"probability": 0.5}}'
  faults clear               no faults
  matching [set JSON]        the matching settings ({"probability", "seed"})
  counters                   requests, orders received, faults injected
  records                    SENEBI's record of every id seen
  order ID                   one id's record and history
  reset                      forget every order and counter, restore simulator.toml's settings
The agent's identity comes from DIR/conf.toml ([senebi] cert, key, passphrase_file; the key is
decrypted in memory). --port defaults to the port of [senebi] url.`;

/** One admin request, from the command line (pure). */
export interface AdminRequest {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  readonly body?: string;
}

/** A bad admin command line. */
export class AdminUsageError extends Error {}

/** The request a command line asks for (pure); throws AdminUsageError. */
export function adminRequestOf(words: readonly string[]): AdminRequest {
  const [command, sub, value, ...extra] = words;
  if (extra.length > 0) throw new AdminUsageError(`unexpected argument: ${extra[0] ?? ''}`);
  const json = (text: string | undefined): string => {
    if (text === undefined) throw new AdminUsageError(`${command ?? ''} set needs a JSON object`);
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    } catch {
      throw new AdminUsageError(`not a JSON object: ${text}`);
    }
    return text;
  };
  switch (command) {
    case 'faults':
    case 'matching':
      if (sub === undefined) return { method: 'GET', path: `/admin/v1/${command}` };
      if (sub === 'set') return { method: 'PUT', path: `/admin/v1/${command}`, body: json(value) };
      if (sub === 'clear' && command === 'faults' && value === undefined) return { method: 'PUT', path: '/admin/v1/faults', body: '{}' };
      throw new AdminUsageError(`expected: ${command}${command === 'faults' ? ' | faults set JSON | faults clear' : ' | matching set JSON'}`);
    case 'counters':
    case 'records':
      if (sub !== undefined) throw new AdminUsageError(`unexpected argument: ${sub}`);
      return { method: 'GET', path: `/admin/v1/${command}` };
    case 'order':
      if (sub === undefined || !/^[0-9]{1,20}$/.test(sub) || value !== undefined) throw new AdminUsageError('expected: order ID');
      return { method: 'GET', path: `/admin/v1/orders/${sub}` };
    case 'reset':
      if (sub !== undefined) throw new AdminUsageError(`unexpected argument: ${sub}`);
      return { method: 'POST', path: '/admin/v1/reset', body: '{}' };
    default:
      throw new AdminUsageError(`unknown command: ${command ?? ''}`);
  }
}

/** Where the simulator listens and with which identity to call it. */
interface AdminTarget { port: number; servername: string; ca: Buffer; cert: Buffer; key: string }

function readTarget(home: string, port: number | undefined): AdminTarget {
  const config = loadConfig(join(home, 'conf.toml'), { checkFiles: false });
  const passphrase = readFileSync(config.senebi.passphrase_file, 'utf8').replace(/\r?\n$/, '');
  return {
    port: port ?? portOfSenebiUrl(config.senebi.url),
    servername: new URL(config.senebi.url).hostname,
    ca: readFileSync(config.senebi.ca),
    cert: readFileSync(config.senebi.cert),
    key: decryptPrivateKey(readFileSync(config.senebi.key, 'utf8'), passphrase),
  };
}

/** One admin call through axios (the project's HTTP client for calls off the order path; docs/simulator.md). */
async function send(target: AdminTarget, req: AdminRequest): Promise<{ status: number; body: string }> {
  const { default: axios } = await import('axios');
  const answer = await axios.request<string>({
    url: `https://127.0.0.1:${target.port}${req.path}`, method: req.method,
    httpsAgent: new Agent({ ca: target.ca, cert: target.cert, key: target.key, servername: target.servername, keepAlive: false }),
    timeout: 15_000, responseType: 'text', transformResponse: [(data: string) => data], validateStatus: () => true,
    ...(req.body === undefined ? {} : { data: req.body, headers: { 'content-type': 'application/json' } }),
  });
  return { status: answer.status, body: answer.data };
}

/** Runs one admin command line (after the script name); resolves with the exit code. */
export async function runAdminCommand(argv: readonly string[], io: { cwd: string; stdout: { write(t: string): unknown }; stderr: { write(t: string): unknown } }): Promise<number> {
  const words: string[] = [];
  let home: string | undefined;
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--home' || arg === '--port') {
      const value = argv[++i];
      if (value === undefined) return usage(io, `${arg} needs a value`);
      if (arg === '--home') home = resolve(io.cwd, value);
      else if (/^[0-9]{1,5}$/.test(value) && Number(value) <= 65535) port = Number(value);
      else return usage(io, '--port must be 0..65535');
    } else words.push(arg);
  }
  let req: AdminRequest;
  try {
    req = adminRequestOf(words);
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  if (home === undefined) return usage(io, '--home is required');
  try {
    const answer = await send(readTarget(home, port), req);
    io.stdout.write(`${answer.body.trimEnd()}\n`);
    if (answer.status >= 200 && answer.status < 300) return 0;
    io.stderr.write(`senebi-sim: the simulator answered ${answer.status}\n`);
    return 1;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ECONNREFUSED' ? ' (is the simulator running? npm start runs it)' : '';
    io.stderr.write(`senebi-sim: ${errorMessage(err)}${hint}\n`);
    return 1;
  }
}

function usage(io: { stderr: { write(t: string): unknown } }, message: string): number {
  io.stderr.write(`senebi-sim: ${message}\n${ADMIN_USAGE}\n`);
  return 2;
}
