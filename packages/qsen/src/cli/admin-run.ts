/**
 * qsen-admin's command line as a function: parse, pick the configuration, run one command,
 * render a table (or `--json`, the same objects qsenctl-style), return the exit code
 * (0 ok, 1 failed / journal refused, 2 usage or configuration). Never reads process.env:
 * admin.ts passes QSEN_HOME in.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, type QsenConfig } from '@qsen/core/config';
import { createAuditLog } from '@qsen/core/logging';
import { parseUint64, type Uint64 } from '@qsen/core/ids';
import { stringifyJsonLossless } from '@qsen/core/json';
import type { Clock } from '@qsen/core/schedule';
import { loadConfig } from '@qsen/core/config/load';
import { JOURNAL_FILE } from '../journal/journal.js';
import { checkJournal, repairJournal, type JournalReport, type RepairResult } from '../journal/repair.js';
import { randomUUID } from 'node:crypto';
import { openKillSwitch, type KillSwitchState } from '../killswitch/killswitch.js';
import { describeLoggedRun, type MassCancelReport } from '../killswitch/mass-cancel.js';
import { openMassCancelLog } from '../killswitch/mass-cancel-log.js';
import { errorMessage } from '@qsen/core/errors';

/** What a run needs from its surroundings. */
export interface AdminEnvironment {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** QSEN_HOME: its conf.toml is the default configuration when set. */
  readonly qsenHome: string | undefined;
  /** The user name for the audit subject `local:<user>`. */
  readonly user: string;
  /** The clock of the repair's and the halt's times. */
  readonly clock: Clock;
}

/** The production configuration, used when neither --config nor QSEN_HOME is given. */
export const DEFAULT_CONFIG = '/etc/qsen/conf.toml';

/** `qsen-admin --help`. */
export const ADMIN_USAGE = `qsen-admin: the agent's commands on the server shell, with no network call.

usage: qsen-admin COMMAND [--config FILE] [--json]
  halt [--reason TEXT]          turn the kill switch on (qsen refuses sendOrder with 423 HALTED at once)
       [--cancel-open [--wait S]]  also ask the running qsen to cancel every resting in-range order
                                (it picks the request up from the halt marker within a second, or at
                                its next start); --wait: wait up to S seconds for the result
  resume [--reason TEXT]        turn it off
  status                        the kill switch now, and the last mass cancel
  journal check                 what qsen would do with its order journal at start
  journal repair [--id ID ...]  rewrite a damaged journal (qsen stopped; docs/qsen.md, "Repairing the journal")
  help                          this text

options:
  --config FILE   the conf.toml to use; default: $QSEN_HOME/conf.toml when QSEN_HOME is set,
                  else ${DEFAULT_CONFIG}
  --json          print the result as JSON (one object) instead of a table
  -h, --help      this text

examples:
  sudo qsen-admin halt --reason "suspicious fills"      (production: runs as the service user)
  QSEN_HOME=.qsen-local qsen-admin status                (local mode)
  qsen-admin journal check --config /etc/qsen/conf.toml --json

exit codes: 0 done, 1 failed (or the journal check says refuse), 2 usage or configuration error
`;

/** The configuration file a run uses (pure): --config, else $QSEN_HOME/conf.toml, else the production one. */
export function chooseConfigFile(flag: string | undefined, qsenHome: string | undefined): string {
  if (flag !== undefined) return flag;
  if (qsenHome !== undefined && qsenHome !== '') return join(qsenHome, 'conf.toml');
  return DEFAULT_CONFIG;
}

/** Aligned `key  value` lines. */
function renderPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}

/** The kill switch as a table (pure). */
export function renderKillSwitch(state: KillSwitchState): string {
  return renderPairs([
    ['kill switch', state.halted ? 'HALTED' : 'off (orders are taken)'],
    ...(state.since === undefined ? [] : [['since', state.since] as const]),
    ...(state.by === undefined ? [] : [['by', state.by] as const]),
    ...(state.reason === undefined ? [] : [['reason', state.reason] as const]),
    ...(state.persisted === false ? [['persisted', `no: ${state.persistError ?? 'unknown error'}`] as const] : []),
  ]);
}

/** A journal check as a table (pure). */
export function renderJournalReport(report: JournalReport): string {
  const ids = (list: readonly Uint64[]): string => (list.length === 0 ? '-' : list.join(', '));
  return renderPairs([
    ['journal', report.file],
    ['verdict', report.verdict === 'clean' ? 'clean: nothing to do' : report.verdict === 'reconcile' ? 'reconcile: qsen starts and reconciles the touched orders' : 'refuse: qsen refuses to start until repaired'],
    ['bytes', `${report.bytes} (durable ${report.durableBytes})`],
    ['records', String(report.records)],
    ['orders', String(report.orders)],
    ['torn tail', report.tornBytes === 0 ? 'none' : `${report.tornBytes} bytes (ids ${ids(report.tornIds)})`],
    ['damaged', report.damaged.length === 0 ? 'none' : report.damaged.map((d) => `line ${d.line} (id ${d.id})`).join(', ')],
    ['corrupt lines', report.corruptLines.length === 0 ? 'none' : report.corruptLines.join(', ')],
  ]);
}

/** A repair's result as a table (pure). */
export function renderRepairResult(result: RepairResult): string {
  return renderPairs([
    ['backup', result.backup],
    ['records kept', String(result.kept)],
    ['reconciled at next start', result.reconciled.length === 0 ? '-' : result.reconciled.join(', ')],
    ['lines dropped', result.dropped.length === 0 ? '-' : `${result.dropped.join(', ')} (kept in the backup)`],
  ]);
}

class UsageError extends Error {}

/** The last mass cancel as its journal in the data folder holds it (null when none). */
function readMassCancel(dataDir: string): MassCancelReport | null {
  const logged = openMassCancelLog(dataDir).read();
  return logged ? describeLoggedRun(logged) : null;
}

/** One line on a mass cancel. */
function renderMassCancel(report: MassCancelReport | null): string {
  if (!report) return 'mass cancel  not done (is qsen running?)\n';
  return `mass cancel  ${report.run} ${report.state}: cancelled ${report.cancelled.length}, already matched ${report.alreadyMatched.length}, not open ${report.notOpen.length}, failed ${report.failed.length}${report.orphans.length > 0 ? `, orphans ${report.orphans.length}` : ''}, pending ${report.pending}\n${report.failed.map((f) => `  failed ${f.id}: ${f.code}\n`).join('')}${report.orphans.map((o) => `  orphan ${o.id}: ${o.result}${o.code !== undefined ? ` ${o.code}` : ''}\n`).join('')}`;
}

/** Waits (reading the data folder twice a second) until the run is journaled as done, up to `seconds`. */
async function waitForRun(dataDir: string, run: string, seconds: number): Promise<MassCancelReport | null> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const report = readMassCancel(dataDir);
    if ((report?.run === run && report.state === 'done') || Date.now() >= deadline) return report?.run === run ? report : null;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function print(env: AdminEnvironment, json: boolean, value: unknown, table: string): void {
  env.stdout.write(json ? `${stringifyJsonLossless(value)}\n` : table);
}

async function runJournal(config: QsenConfig, action: string | undefined, ids: readonly string[], json: boolean, env: AdminEnvironment): Promise<number> {
  const file = join(config.paths.data, JOURNAL_FILE);
  if (action === 'check') {
    const report = await checkJournal(file);
    print(env, json, report, renderJournalReport(report));
    return report.verdict === 'refuse' ? 1 : 0;
  }
  if (action === 'repair') {
    const parsed: Uint64[] = [];
    for (const text of ids) {
      const id = parseUint64(text);
      if (!id.ok) throw new UsageError(`--id ${text} is not an unsigned 64-bit order id`);
      parsed.push(id.value);
    }
    const result = await repairJournal(file, parsed, new Date(env.clock.now()));
    print(env, json, result, renderRepairResult(result));
    return 0;
  }
  throw new UsageError(action === undefined ? 'journal needs check or repair' : `unknown journal action: ${action}`);
}

/** What a kill-switch command was asked: the reason, and for halt the mass cancel and how long to wait for it. */
interface KillSwitchRequest {
  readonly reason: string | undefined;
  readonly cancelOpen: boolean;
  readonly waitSeconds: number | undefined;
}

async function runKillSwitch(config: QsenConfig, command: 'halt' | 'resume' | 'status', request: KillSwitchRequest, json: boolean, env: AdminEnvironment): Promise<number> {
  const { reason } = request;
  // No persist retries: this process ends at once, so a halt that cannot be written is reported.
  const killSwitch = openKillSwitch(config.paths.data, { retryMs: 0 });
  if (command === 'status') {
    const state = killSwitch.read();
    // The last mass cancel, when one ever ran (its journal in the data folder).
    const massCancel = readMassCancel(config.paths.data);
    print(env, json, { ...state, ...(massCancel ? { massCancel } : {}) }, renderKillSwitch(state) + (massCancel ? renderMassCancel(massCancel) : ''));
    return 0;
  }
  const subject = `local:${env.user}`;
  // The mass cancel is asked for in the marker the running qsen reads (no network call, no second cancel path).
  const cancelRequest = command === 'halt' && request.cancelOpen ? { run: randomUUID(), requestedAt: new Date(env.clock.now()).toISOString(), channel: 'local' as const } : undefined;
  const state = command === 'halt' ? killSwitch.halt(subject, reason, new Date(env.clock.now()), cancelRequest) : killSwitch.resume();
  const persisted = state.persisted !== false;
  // qsen-admin keeps its own chain (audit-qsen-admin-*.log): the running qsen owns audit-qsen-*.
  // Without a qsen process to hold it in memory, a halt the disk refused did not take effect: `failed`.
  const audit = createAuditLog({ dir: config.paths.logs, chain: 'qsen-admin', retentionDays: config.logging.audit_retention_days });
  const details = { channel: 'local', reason: reason ?? null, via: 'qsen-admin', ...(command === 'halt' ? { cancelOpen: request.cancelOpen } : {}), ...(cancelRequest ? { run: cancelRequest.run } : {}) };
  if (persisted) audit.record({ action: command, subject, outcome: 'done', details });
  else audit.record({ action: command, subject, outcome: 'failed', code: 'HALT_NOT_PERSISTED', details: { ...details, persistError: state.persistError ?? null } });
  await audit.close();
  if (!persisted) {
    env.stderr.write(`qsen-admin: HALT_NOT_PERSISTED: the halt file could not be written (${state.persistError ?? 'unknown error'}); free space in ${config.paths.data} or halt through the API (POST /qsen/v1/halt holds the halt in memory)\n`);
    if (json) env.stdout.write(`${stringifyJsonLossless({ error: { code: 'HALT_NOT_PERSISTED', message: 'the halt file could not be written' }, state })}\n`);
    return 1;
  }
  if (!cancelRequest || request.waitSeconds === undefined) {
    print(env, json, state, renderKillSwitch(state));
    if (cancelRequest) env.stderr.write(`qsen-admin: mass cancel ${cancelRequest.run} asked for: the running qsen starts it within a second (or at its next start); follow it with qsen-admin status\n`);
    return 0;
  }
  const massCancel = await waitForRun(config.paths.data, cancelRequest.run, request.waitSeconds);
  print(env, json, { ...state, massCancel }, renderKillSwitch(state) + renderMassCancel(massCancel));
  if (massCancel?.state !== 'done') {
    env.stderr.write(`qsen-admin: mass cancel ${cancelRequest.run} not done after ${request.waitSeconds} s (is qsen running?); the halt is in force, the request stays in the halt marker\n`);
    return 1;
  }
  return massCancel.failed.length > 0 || massCancel.orphans.some((o) => o.result === 'failed') ? 1 : 0;
}

/** Runs one qsen-admin command line (without node and the script); resolves with the exit code. */
export async function runAdmin(argv: readonly string[], env: AdminEnvironment): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' }, reason: { type: 'string' }, id: { type: 'string', multiple: true },
        'cancel-open': { type: 'boolean', default: false }, wait: { type: 'string' },
        json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    env.stderr.write(`qsen-admin: ${errorMessage(err)}\nRun \`qsen-admin --help\` for the commands and options.\n`);
    return 2;
  }
  const [command, action, ...extra] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    env.stdout.write(ADMIN_USAGE);
    return 0;
  }
  const json = parsed.values.json;
  try {
    if (command !== 'halt' && command !== 'resume' && command !== 'status' && command !== 'journal') {
      throw new UsageError(command === undefined ? 'missing command' : `unknown command: ${command}`);
    }
    if ((command !== 'journal' && action !== undefined) || extra.length > 0) throw new UsageError(`unexpected argument: ${command === 'journal' ? extra[0] ?? '' : action ?? ''}`);
    const cancelOpen = parsed.values['cancel-open'] === true;
    const waitText = parsed.values.wait;
    const waitSeconds = waitText === undefined ? undefined : Number(waitText);
    if ((cancelOpen || waitText !== undefined) && command !== 'halt') throw new UsageError('--cancel-open and --wait go with halt');
    if (waitText !== undefined && (!cancelOpen || waitSeconds === undefined || !Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > 3600)) throw new UsageError('--wait takes whole seconds 1..3600 and goes with --cancel-open');
    const file = chooseConfigFile(parsed.values.config, env.qsenHome);
    let config: QsenConfig;
    try {
      config = loadConfig(file, { checkFiles: false });
    } catch (err) {
      const hint = parsed.values.config === undefined ? ` (from ${env.qsenHome ? 'QSEN_HOME' : 'the default'}; pass --config FILE or set QSEN_HOME)` : '';
      env.stderr.write(`qsen-admin: ${err instanceof ConfigError ? err.message : errorMessage(err)}${hint}\n`);
      return 2;
    }
    if (command === 'journal') return await runJournal(config, action, parsed.values.id ?? [], json, env);
    return await runKillSwitch(config, command, { reason: parsed.values.reason, cancelOpen, waitSeconds }, json, env);
  } catch (err) {
    if (err instanceof UsageError) {
      env.stderr.write(`qsen-admin: ${err.message}\nRun \`qsen-admin --help\` for the commands and options.\n`);
      return 2;
    }
    throw err;
  }
}
