/**
 * The command line of qsenctl (node:util parseArgs): global options, then a command. Each
 * command accepts only its own options; anything else is a usage error (exit 2).
 */
import { parseArgs } from 'node:util';
import type { AuditFilters } from '../commands/audit.js';
import { createCtlError } from '../errors.js';
import type { CompletionShell } from './completion.js';
import { COMMAND_TOPICS } from './help.js';

export { commandHelp } from './help.js';

/** Options every command accepts. */
export interface GlobalOptions {
  readonly profile?: string | undefined;
  readonly as?: string | undefined;
  readonly host?: string | undefined;
  readonly json: boolean;
  readonly timeoutMs: number;
}

/** The order fields of `order send`, as typed (the server validates them). */
export interface OrderFields {
  readonly id: string;
  readonly instrument: string;
  readonly side: string;
  readonly quantity: string;
  readonly price: string;
  readonly currency: string;
  readonly settlement: string;
  readonly counterparty: string;
}

/** A parsed command. `via` is the kan asked (`--node`), when the command talks to a kan. */
export type Command =
  | { kind: 'help'; topic?: string | undefined }
  | { kind: 'version' }
  | { kind: 'completion'; shell: CompletionShell }
  | { kind: 'status' }
  | { kind: 'restart'; target: 'qsen' } & { via: number | undefined }
  | { kind: 'restart'; target: 'kan'; node: number; via: number | undefined }
  | { kind: 'logs-ls'; via: number }
  | { kind: 'logs-get'; file: string; output: string | undefined; via: number }
  | { kind: 'logs-tail'; file: string; lines: number | undefined; bytes: number | undefined; follow: boolean; intervalMs: number; via: number }
  | { kind: 'logs-truncate'; file: string; keep: number; via: number }
  | { kind: 'metrics'; target: 'qsen' | 'system'; via: number }
  | { kind: 'metrics'; target: 'kan'; node: number; via: number }
  | { kind: 'cert-info' }
  | { kind: 'ping-senebi' }
  | { kind: 'halt'; reason: string | undefined; cancelOpen: boolean }
  | { kind: 'resume'; reason: string | undefined }
  | { kind: 'risk' }
  | { kind: 'risk-reload'; reason: string | undefined }
  | { kind: 'risk-override'; limit: string; value: string | null; reason: string; expiresAt: string | undefined }
  | { kind: 'risk-price'; prices: Readonly<Record<string, string>>; reason: string }
  | { kind: 'orders-list'; date: string | undefined }
  | { kind: 'operations-list'; date: string | undefined }
  | { kind: 'order-send'; order: OrderFields }
  | { kind: 'order-cancel'; id: string }
  | { kind: 'kan-version'; via: number }
  | { kind: 'config' }
  | { kind: 'decrypt' }
  | { kind: 'cmd'; command: 'top' | 'ls'; via: number }
  | { kind: 'audit'; filters: AuditFilters; via: number }
  | { kind: 'audit-verify'; chain: string | undefined; via: number };

/** A parsed command line. */
export interface Invocation {
  readonly global: GlobalOptions;
  readonly command: Command;
}

const OPTIONS = {
  profile: { type: 'string' },
  as: { type: 'string' },
  host: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  node: { type: 'string' },
  date: { type: 'string' },
  lines: { type: 'string' },
  bytes: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  interval: { type: 'string' },
  output: { type: 'string', short: 'o' },
  keep: { type: 'string' },
  reason: { type: 'string' },
  'cancel-open': { type: 'boolean' },
  expires: { type: 'string' },
  id: { type: 'string' },
  instrument: { type: 'string' },
  side: { type: 'string' },
  quantity: { type: 'string' },
  price: { type: 'string' },
  currency: { type: 'string' },
  settlement: { type: 'string' },
  counterparty: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  action: { type: 'string' },
  subject: { type: 'string' },
  limit: { type: 'string' },
  chain: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = Partial<Record<OptionName, string | boolean>>;

const GLOBAL: readonly OptionName[] = ['profile', 'as', 'host', 'json', 'timeout', 'help', 'version'];
const ORDER_FIELDS = ['id', 'instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty'] as const;

/** The usage text (`qsenctl help`). */
export const USAGE = `Usage: qsenctl [global options] <command> [options]

Commands:
  status                              the four nodes: health, pid, uptime, restarts, window, halted, certificates
  restart qsen [--node K]             restart qsen (asked to kan K, default: the first kan that answers)
  restart kan N [--node K]            restart kan N (asked to kan K, default: another kan)
  logs ls [--node K]                  list the log files
  logs get FILE|all [-o FILE|-]       download one log, or every log as .tar.gz (progress on a terminal)
  logs tail FILE [--lines N | --bytes N] [-f] [--interval MS]
  logs truncate FILE|all --keep BYTES keep only the newest BYTES of a log (or of every log)
  metrics qsen | kan N | system       Prometheus text of qsen, of kan N, or node_exporter's (via a kan)
  cert info                           certificates in use and days left, this client's included
  ping senebi                         does the SENEBI web service answer?
  halt [--reason TEXT] [--cancel-open] the kill switch (operator role); --cancel-open also cancels every resting
                                      in-range order and waits for the result (cancelled, already matched, failed)
  resume [--reason TEXT]              lifts the kill switch; the reason goes to the audit trail
  risk                                risk limits in force, today's usage and headroom (usage bars)
  risk reload [--reason TEXT]         re-read conf.toml's [risk] and the reference prices (operator)
  risk override LIMIT VALUE|none --reason TEXT [--expires ISO]
                                      a temporary limit until --expires, or lift it (operator)
  risk price INSTRUMENT=PRICE... --reason TEXT   reference prices for the collar (operator)
  orders list [--date YYYY-MM-DD]     orders sent to SENEBI (id range only)
  operations list [--date YYYY-MM-DD] operations of in-range orders
  order send --id ID --instrument I --side buy|sell --quantity Q --price P
             --currency ARS|USD|EXT --settlement T0|T1 --counterparty C   (platform role)
  order cancel ID                     withdraw a resting order (platform role; idempotent)
  version [--node K]                  version of a kan
  config                              qsen's configuration in force (secrets redacted)
  decrypt                             does the encrypted SENEBI key open and match its certificate?
  cmd top|ls [--node K]               output of top -b -n 1 / ls -Rlath on the server
  audit [--from T] [--to T] [--action A[,B]] [--subject S] [--id ID] [--limit N] [--node K]
                                      the audit trail's entries (T: ISO time or YYYY-MM-DD, UTC)
  audit verify [--chain C] [--node K] the audit trail's hash chains: first broken or missing link
  completion bash|zsh                 a shell completion script (source <(qsenctl completion bash))
  help COMMAND                        one command's help with examples (also: qsenctl COMMAND --help)

Global options:
  --profile FILE   profile (TOML: host, ca, cert, key, qsen_port, kan_ports); default: $QSEN_HOME's
                   operator identity when QSEN_HOME is set, else ~/.config/qsen/profile.toml
  --as ROLE        another identity (state folder: pki/clients/ROLE.*; profile: [identities.ROLE])
  --host HOST      override the host name
  --json           machine output on stdout (ids as exact strings)
  --timeout MS     per-request time limit (default 15000)

Exit codes: 0 ok, 1 the server answered with an error (its code is printed), 2 usage,
            3 connection or TLS failure (explained), 4 profile or identity problem.
`;

function usage(message: string): never {
  throw createCtlError('USAGE', message);
}

function readInteger(values: Values, name: OptionName, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) usage(`--${name} must be a whole number`);
  const n = Number(raw);
  if (n < min || n > max) usage(`--${name} must be between ${min} and ${max}`);
  return n;
}

function readKanIndex(text: string | undefined, what: string): number {
  if (text === undefined || !/^[0-2]$/.test(text)) usage(`${what} must be 0, 1 or 2`);
  return Number(text);
}

function expectPositionals(rest: readonly string[], count: number, shape: string): void {
  if (rest.length !== count) usage(`expected: qsenctl ${shape}`);
}

/** `risk`, `risk reload`, `risk override`, `risk price`. */
function parseRisk(rest: readonly string[], values: Values, allow: (...names: OptionName[]) => void): Command {
  const sub = rest[0];
  const reason = values.reason as string | undefined;
  if (sub === undefined) {
    allow();
    return { kind: 'risk' };
  }
  if (sub === 'reload') {
    allow('reason');
    expectPositionals(rest, 1, 'risk reload [--reason TEXT]');
    return { kind: 'risk-reload', reason };
  }
  if (sub === 'override') {
    allow('reason', 'expires');
    expectPositionals(rest, 3, 'risk override LIMIT VALUE|none --reason TEXT [--expires ISO]');
    if (reason === undefined) usage('risk override needs --reason TEXT');
    const value = rest[2] === 'none' ? null : rest[2] ?? '';
    const expiresAt = values.expires as string | undefined;
    if (value !== null && expiresAt === undefined) usage('risk override LIMIT VALUE needs --expires ISO (e.g. 2026-12-01T20:30:00Z)');
    return { kind: 'risk-override', limit: rest[1] ?? '', value, reason, expiresAt };
  }
  if (sub === 'price') {
    allow('reason');
    if (rest.length < 2) usage('expected: qsenctl risk price INSTRUMENT=PRICE... --reason TEXT');
    if (reason === undefined) usage('risk price needs --reason TEXT');
    const prices: Record<string, string> = {};
    for (const pair of rest.slice(1)) {
      const match = /^([^=]+)=(.+)$/.exec(pair);
      if (!match) usage(`expected INSTRUMENT=PRICE, got '${pair}'`);
      prices[match[1] ?? ''] = match[2] ?? '';
    }
    return { kind: 'risk-price', prices, reason };
  }
  return usage('expected: qsenctl risk | risk reload | risk override | risk price');
}

/** Parses argv (without node and the script) into an invocation; throws a USAGE CtlError. */
export function parseCommandLine(argv: readonly string[]): Invocation {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (err) {
    usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  const timeoutMs = readInteger(values, 'timeout', 100, 600_000) ?? 15_000;
  const global: GlobalOptions = {
    profile: values.profile as string | undefined,
    as: values.as as string | undefined,
    host: values.host as string | undefined,
    json: values.json === true,
    timeoutMs,
  };
  const allow = (...names: OptionName[]): void => {
    const allowed = new Set<OptionName>([...GLOBAL, ...names]);
    for (const key of Object.keys(values) as OptionName[]) {
      if (!allowed.has(key)) usage(`--${key} does not apply to '${positionals.slice(0, 2).join(' ')}'`);
    }
  };
  // `qsenctl help COMMAND` and `qsenctl COMMAND --help`: that command's help with examples.
  if (positionals[0] === 'help') return { global, command: { kind: 'help', topic: positionals[1] } };
  if (values.help === true) {
    const topic = positionals[0];
    return { global, command: { kind: 'help', topic: topic !== undefined && topic in COMMAND_TOPICS ? topic : undefined } };
  }
  if (positionals[0] === 'completion') {
    allow();
    const shell = positionals[1];
    if ((shell !== 'bash' && shell !== 'zsh') || positionals.length !== 2) usage('expected: qsenctl completion bash | completion zsh');
    return { global, command: { kind: 'completion', shell } };
  }
  if (values.version === true && positionals.length === 0) return { global, command: { kind: 'version' } };
  const [verb, ...rest] = positionals;
  const via = (): number | undefined => (values.node === undefined ? undefined : readKanIndex(values.node as string, '--node'));
  const viaOrZero = (): number => via() ?? 0;
  const date = (): string | undefined => {
    const d = values.date;
    if (d === undefined) return undefined;
    if (typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d)) usage('--date must be YYYY-MM-DD');
    return d;
  };
  switch (verb) {
    case undefined:
      usage('a command is required (qsenctl help lists them)');
      break;
    case 'status':
      allow();
      expectPositionals(rest, 0, 'status');
      return { global, command: { kind: 'status' } };
    case 'restart': {
      allow('node');
      if (rest[0] === 'qsen') {
        expectPositionals(rest, 1, 'restart qsen');
        return { global, command: { kind: 'restart', target: 'qsen', via: via() } };
      }
      if (rest[0] === 'kan') {
        expectPositionals(rest, 2, 'restart kan N');
        return { global, command: { kind: 'restart', target: 'kan', node: readKanIndex(rest[1], 'kan N'), via: via() } };
      }
      usage('expected: qsenctl restart qsen | restart kan N');
      break;
    }
    case 'logs': {
      const sub = rest[0];
      if (sub === 'ls') {
        allow('node');
        expectPositionals(rest, 1, 'logs ls');
        return { global, command: { kind: 'logs-ls', via: viaOrZero() } };
      }
      if (sub === 'get') {
        allow('node', 'output');
        expectPositionals(rest, 2, 'logs get FILE|all');
        return { global, command: { kind: 'logs-get', file: rest[1] ?? '', output: values.output as string | undefined, via: viaOrZero() } };
      }
      if (sub === 'tail') {
        allow('node', 'lines', 'bytes', 'follow', 'interval');
        expectPositionals(rest, 2, 'logs tail FILE');
        const lines = readInteger(values, 'lines', 0, 100_000);
        const bytes = readInteger(values, 'bytes', 0, 16 * 1024 * 1024);
        if (lines !== undefined && bytes !== undefined) usage('give --lines or --bytes, not both');
        const intervalMs = readInteger(values, 'interval', 100, 60_000) ?? 1000;
        return { global, command: { kind: 'logs-tail', file: rest[1] ?? '', lines, bytes, follow: values.follow === true, intervalMs, via: viaOrZero() } };
      }
      if (sub === 'truncate') {
        allow('node', 'keep');
        expectPositionals(rest, 2, 'logs truncate FILE|all --keep BYTES');
        const keep = readInteger(values, 'keep', 0, Number.MAX_SAFE_INTEGER);
        if (keep === undefined) usage('logs truncate needs --keep BYTES');
        return { global, command: { kind: 'logs-truncate', file: rest[1] ?? '', keep, via: viaOrZero() } };
      }
      usage('expected: qsenctl logs ls | get | tail | truncate');
      break;
    }
    case 'metrics': {
      allow('node');
      if (rest[0] === 'qsen' || rest[0] === 'system') {
        expectPositionals(rest, 1, `metrics ${rest[0]}`);
        return { global, command: { kind: 'metrics', target: rest[0], via: viaOrZero() } };
      }
      if (rest[0] === 'kan') {
        expectPositionals(rest, 2, 'metrics kan N');
        const node = readKanIndex(rest[1], 'kan N');
        return { global, command: { kind: 'metrics', target: 'kan', node, via: node } };
      }
      usage('expected: qsenctl metrics qsen | kan N | system');
      break;
    }
    case 'cert':
      allow();
      if (rest[0] !== 'info' || rest.length !== 1) usage('expected: qsenctl cert info');
      return { global, command: { kind: 'cert-info' } };
    case 'ping':
      allow();
      if (rest[0] !== 'senebi' || rest.length !== 1) usage('expected: qsenctl ping senebi');
      return { global, command: { kind: 'ping-senebi' } };
    case 'halt':
      allow('reason', 'cancel-open');
      expectPositionals(rest, 0, 'halt [--reason TEXT] [--cancel-open]');
      return { global, command: { kind: 'halt', reason: values.reason as string | undefined, cancelOpen: values['cancel-open'] === true } };
    case 'resume':
      allow('reason');
      expectPositionals(rest, 0, 'resume [--reason TEXT]');
      return { global, command: { kind: 'resume', reason: values.reason as string | undefined } };
    case 'risk':
      return { global, command: parseRisk(rest, values, allow) };
    case 'orders':
    case 'operations':
      allow('date');
      if (rest[0] !== 'list' || rest.length !== 1) usage(`expected: qsenctl ${verb} list [--date YYYY-MM-DD]`);
      return { global, command: { kind: verb === 'orders' ? 'orders-list' : 'operations-list', date: date() } };
    case 'order': {
      if (rest[0] === 'cancel') {
        allow();
        expectPositionals(rest, 2, 'order cancel ID');
        return { global, command: { kind: 'order-cancel', id: rest[1] ?? '' } };
      }
      allow(...ORDER_FIELDS);
      if (rest[0] !== 'send' || rest.length !== 1) usage('expected: qsenctl order send --id ... | order cancel ID (see qsenctl help)');
      const missing = ORDER_FIELDS.filter((f) => typeof values[f] !== 'string');
      if (missing.length > 0) usage(`order send needs ${missing.map((f) => `--${f}`).join(', ')}`);
      const field = (f: (typeof ORDER_FIELDS)[number]): string => values[f] as string;
      return {
        global,
        command: {
          kind: 'order-send',
          order: {
            id: field('id'), instrument: field('instrument'), side: field('side'), quantity: field('quantity'), price: field('price'),
            currency: field('currency'), settlement: field('settlement'), counterparty: field('counterparty'),
          },
        },
      };
    }
    case 'version':
      allow('node');
      expectPositionals(rest, 0, 'version [--node K]');
      return { global, command: { kind: 'kan-version', via: viaOrZero() } };
    case 'config':
    case 'decrypt':
      allow();
      expectPositionals(rest, 0, verb);
      return { global, command: { kind: verb } };
    case 'cmd':
      allow('node');
      if ((rest[0] !== 'top' && rest[0] !== 'ls') || rest.length !== 1) usage('expected: qsenctl cmd top | cmd ls');
      return { global, command: { kind: 'cmd', command: rest[0], via: viaOrZero() } };
    case 'audit': {
      if (rest[0] === 'verify') {
        allow('node', 'chain');
        expectPositionals(rest, 1, 'audit verify [--chain C]');
        return { global, command: { kind: 'audit-verify', chain: values.chain as string | undefined, via: viaOrZero() } };
      }
      allow('node', 'from', 'to', 'action', 'subject', 'id', 'limit');
      expectPositionals(rest, 0, 'audit [--from T] [--to T] [--action A] [--subject S] [--id ID] | audit verify');
      const text = (name: 'from' | 'to' | 'action' | 'subject' | 'id'): string | undefined => values[name] as string | undefined;
      const filters: AuditFilters = { from: text('from'), to: text('to'), action: text('action'), subject: text('subject'), id: text('id'), limit: readInteger(values, 'limit', 1, 1_000_000) };
      return { global, command: { kind: 'audit', filters, via: viaOrZero() } };
    }
    default:
      usage(`unknown command '${verb}' (qsenctl help lists them)`);
  }
  return usage('unreachable');
}
