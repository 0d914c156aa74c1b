/**
 * Each command's help with examples (`qsenctl help COMMAND`, `qsenctl COMMAND --help`), and the
 * words shell completion offers. One table: the help texts and the completion cannot drift apart.
 */
import { createCtlError } from '../errors.js';

/** One command (the first word on the command line). */
export interface CommandTopic {
  /** The synopsis lines. */
  readonly usage: readonly string[];
  /** What it does, in one or two sentences. */
  readonly about: string;
  /** Second words (`logs ls`, `risk reload`), completed after the command. */
  readonly subcommands: readonly string[];
  /** The options it takes (without the global ones), completed after it. */
  readonly options: readonly string[];
  readonly examples: readonly string[];
}

/** Options every command takes. */
export const GLOBAL_OPTIONS = ['--profile', '--as', '--host', '--json', '--timeout', '--help'] as const;

/** The commands, in the order `qsenctl help` lists them. */
export const COMMAND_TOPICS: Readonly<Record<string, CommandTopic>> = Object.freeze({
  status: {
    usage: ['qsenctl status'],
    about: "The four nodes in one table: health (up, down, refused my certificate, stopped outside the trading window), pid, uptime, restarts and crash loop, the window, the kill switch, certificate days and CRL; then the window's next change on the schedule's clock with UTC alongside and each failing node's last exit.",
    subcommands: [], options: [],
    examples: ['qsenctl status', 'qsenctl status --json | jq .window', 'qsenctl --profile ~/prod.toml status'],
  },
  restart: {
    usage: ['qsenctl restart qsen [--node K]', 'qsenctl restart kan N [--node K]'],
    about: 'Asks a kan to restart qsen or another kan; the kans carry it out through the owner (systemd or the launcher), once however many ask.',
    subcommands: ['qsen', 'kan'], options: ['--node'],
    examples: ['qsenctl restart qsen', 'qsenctl restart kan 2 --node 0'],
  },
  logs: {
    usage: ['qsenctl logs ls [--node K]', 'qsenctl logs get FILE|all [-o FILE|-] [--node K]', 'qsenctl logs tail FILE [--lines N | --bytes N] [-f] [--interval MS]', 'qsenctl logs truncate FILE|all --keep BYTES'],
    about: 'The log files through a kan: list, download (all: one .tar.gz), the end of one (-f follows it; Ctrl-C ends it with exit 0), or keep only the newest bytes (never an audit file).',
    subcommands: ['ls', 'get', 'tail', 'truncate'], options: ['--node', '--output', '-o', '--lines', '--bytes', '--follow', '-f', '--interval', '--keep'],
    examples: ['qsenctl logs ls', 'qsenctl logs tail qsen-2026-12-01.log --lines 50 -f', 'qsenctl logs get all -o logs.tar.gz', 'qsenctl logs truncate launcher-2026-12-01.log --keep 1000000'],
  },
  metrics: {
    usage: ['qsenctl metrics qsen | kan N | system [--node K]'],
    about: "Prometheus text of qsen, of kan N, or node_exporter's through a kan.",
    subcommands: ['qsen', 'kan', 'system'], options: ['--node'],
    examples: ['qsenctl metrics qsen', 'qsenctl metrics kan 1', 'qsenctl metrics system --json'],
  },
  cert: {
    usage: ['qsenctl cert info'],
    about: "Every certificate in use with its days left, this client's included (from kan 0 when qsen is down).",
    subcommands: ['info'], options: [],
    examples: ['qsenctl cert info'],
  },
  ping: {
    usage: ['qsenctl ping senebi'],
    about: 'Does the SENEBI web service answer, and how fast.',
    subcommands: ['senebi'], options: [],
    examples: ['qsenctl ping senebi'],
  },
  halt: {
    usage: ['qsenctl halt [--reason TEXT] [--cancel-open]'],
    about: 'The kill switch on (operator role): qsen refuses every new order with 423 HALTED; the reason goes to the audit trail. With --cancel-open qsen also cancels every resting in-range order (not the default) and qsenctl follows the mass cancel until done: cancelled, already matched, failed with codes.',
    subcommands: [], options: ['--reason', '--cancel-open'],
    examples: ['qsenctl halt --reason "suspicious fills"', 'qsenctl halt --reason "runaway algo" --cancel-open'],
  },
  resume: {
    usage: ['qsenctl resume [--reason TEXT]'],
    about: 'The kill switch off (operator role).',
    subcommands: [], options: ['--reason'],
    examples: ['qsenctl resume --reason "checked with the desk"'],
  },
  risk: {
    usage: ['qsenctl risk', 'qsenctl risk reload [--reason TEXT]', 'qsenctl risk override LIMIT VALUE|none --reason TEXT [--expires ISO]', 'qsenctl risk price INSTRUMENT=PRICE... --reason TEXT'],
    about: "The risk limits in force with today's usage; re-read them, override one until an expiry, or set reference prices for the collar (operator).",
    subcommands: ['reload', 'override', 'price'], options: ['--reason', '--expires'],
    examples: ['qsenctl risk', 'qsenctl risk override max_order_amount_ars 50000000 --reason "auction day" --expires 2026-12-01T20:30:00Z', 'qsenctl risk price AL30=1234.5 --reason "morning close"'],
  },
  orders: {
    usage: ['qsenctl orders list [--date YYYY-MM-DD]'],
    about: "The day's orders at SENEBI inside the id range (default: today in the schedule's zone).",
    subcommands: ['list'], options: ['--date'],
    examples: ['qsenctl orders list', 'qsenctl orders list --date 2026-11-30 --json'],
  },
  operations: {
    usage: ['qsenctl operations list [--date YYYY-MM-DD]'],
    about: "The day's operations of in-range orders.",
    subcommands: ['list'], options: ['--date'],
    examples: ['qsenctl operations list'],
  },
  order: {
    usage: ['qsenctl order send --id ID --instrument I --side buy|sell --quantity Q --price P --currency ARS|USD|EXT --settlement T0|T1 --counterparty C', 'qsenctl order cancel ID'],
    about: 'Sends one order, or withdraws a resting one (platform role; a cancel is idempotent: a second one answers the first result), for integration tests of the platform side; ids stay exact strings.',
    subcommands: ['send', 'cancel'], options: ['--id', '--instrument', '--side', '--quantity', '--price', '--currency', '--settlement', '--counterparty'],
    examples: ['qsenctl --as platform order send --id 9999000000000000001 --instrument AL30 --side buy --quantity 1000 --price 1234.50 --currency ARS --settlement T1 --counterparty 210', 'qsenctl --as platform order cancel 9999000000000000001'],
  },
  version: {
    usage: ['qsenctl version [--node K]', 'qsenctl --version'],
    about: "A kan's version (qsenctl --version: qsenctl's own).",
    subcommands: [], options: ['--node'],
    examples: ['qsenctl version --node 2', 'qsenctl --version'],
  },
  config: {
    usage: ['qsenctl config'],
    about: "qsen's configuration in force, secrets redacted.",
    subcommands: [], options: [],
    examples: ['qsenctl config --json | jq .schedule'],
  },
  decrypt: {
    usage: ['qsenctl decrypt'],
    about: 'Does the encrypted SENEBI key open with its passphrase and match its certificate?',
    subcommands: [], options: [],
    examples: ['qsenctl decrypt'],
  },
  cmd: {
    usage: ['qsenctl cmd top|ls [--node K]'],
    about: 'The output of top -b -n 1 or ls -Rlath of the install folder on the server (fixed commands only).',
    subcommands: ['top', 'ls'], options: ['--node'],
    examples: ['qsenctl cmd top'],
  },
  audit: {
    usage: ['qsenctl audit [--from T] [--to T] [--action A[,B]] [--subject S] [--id ID] [--limit N] [--node K]', 'qsenctl audit verify [--chain C] [--node K]'],
    about: "The audit trail's entries (T: ISO time or YYYY-MM-DD, UTC), or a check of its hash chains.",
    subcommands: ['verify'], options: ['--from', '--to', '--action', '--subject', '--id', '--limit', '--node', '--chain'],
    examples: ['qsenctl audit --from 2026-12-01 --action halt,resume', 'qsenctl audit verify'],
  },
  completion: {
    usage: ['qsenctl completion bash|zsh'],
    about: 'Prints a completion script for the shell: commands, their second words and options.',
    subcommands: ['bash', 'zsh'], options: [],
    examples: ['source <(qsenctl completion bash)', 'source <(qsenctl completion zsh)', 'qsenctl completion bash > /etc/bash_completion.d/qsenctl'],
  },
});

/** The help of one command, or a USAGE error naming the known ones. */
export function commandHelp(topic: string): string {
  const entry = COMMAND_TOPICS[topic];
  if (entry === undefined) throw createCtlError('USAGE', `no help for '${topic}': the commands are ${Object.keys(COMMAND_TOPICS).join(', ')}`);
  const options = entry.options.length === 0 ? '' : `\nOptions: ${entry.options.join(' ')}   (and the global ones: ${GLOBAL_OPTIONS.join(' ')})\n`;
  return `Usage:\n${entry.usage.map((u) => `  ${u}`).join('\n')}\n\n${entry.about}\n${options}\nExamples:\n${entry.examples.map((e) => `  ${e}`).join('\n')}\n`;
}
