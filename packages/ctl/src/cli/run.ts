/**
 * Runs one qsenctl command line and returns its exit code (0 ok, 1 API error, 2 usage,
 * 3 connection/TLS, 4 profile/identity). Never reads process.env: main.ts passes it in.
 */
import { readFileSync } from 'node:fs';
import { createClient } from '../client/client.js';
import { runAuditQuery, runAuditVerify } from '../commands/audit.js';
import { runFixedCommand, runKanVersion, runMetrics, runRestart } from '../commands/kan.js';
import { runLogsGet, runLogsList, runLogsTail, runLogsTruncate } from '../commands/logs.js';
import { createOutput, type TextOutput } from '../commands/output.js';
import { runHaltCancelOpen } from '../commands/mass-cancel.js';
import { runCertInfo, runConfig, runDecrypt, runKillSwitch, runListing, runOrderSend, runPingSenebi } from '../commands/qsen.js';
import { runOrderCancel } from '../commands/cancel.js';
import { runRisk, runRiskOverride, runRiskPrice, runRiskReload } from '../commands/risk.js';
import { runStatus } from '../commands/status.js';
import { CtlError, EXIT_CODES } from '../errors.js';
import { resolveTarget } from '../profile/profile.js';
import { parseCommandLine, USAGE, type Command, type Invocation } from './parse.js';

/** What a run needs from its surroundings. */
export interface CliEnvironment {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput & { readonly columns?: number };
  readonly cwd: string;
  /** QSEN_HOME, HOME, XDG_CONFIG_HOME as main.ts read them. */
  readonly qsenHome?: string | undefined;
  readonly home?: string | undefined;
  readonly xdgConfigHome?: string | undefined;
  readonly now?: () => Date;
  /** Ends `logs tail -f` (main.ts aborts it on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

/** qsenctl's own version (from its package.json). */
export function readCtlVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

async function execute(invocation: Invocation, env: CliEnvironment): Promise<void> {
  const { global, command } = invocation;
  const out = createOutput(global.json, env.stdout, env.stderr);
  const now = env.now ?? (() => new Date());
  if (command.kind === 'help') {
    env.stdout.write(USAGE);
    return;
  }
  if (command.kind === 'version') {
    if (global.json) out.data({ version: readCtlVersion() });
    else out.text(`qsenctl ${readCtlVersion()}`);
    return;
  }
  const target = resolveTarget({
    profileFile: global.profile, as: global.as, host: global.host, qsenHome: env.qsenHome, home: env.home, xdgConfigHome: env.xdgConfigHome, cwd: env.cwd,
  });
  const client = createClient(target, { timeoutMs: global.timeoutMs, now });
  await dispatch(command, client, out, env, now);
}

async function dispatch(command: Command, client: ReturnType<typeof createClient>, out: ReturnType<typeof createOutput>, env: CliEnvironment, now: () => Date): Promise<void> {
  switch (command.kind) {
    case 'status': return runStatus(client, out, now());
    case 'restart': return runRestart(client, out, command.target === 'qsen' ? { target: 'qsen' } : { target: 'kan', node: command.node }, command.via);
    case 'logs-ls': return runLogsList(client, out, command.via);
    case 'logs-get': return runLogsGet(client, out, { file: command.file, output: command.output, via: command.via, cwd: env.cwd, progress: env.stderr });
    case 'logs-tail': return runLogsTail(client, out, { ...command, signal: env.signal });
    case 'logs-truncate': return runLogsTruncate(client, out, command);
    case 'metrics': return runMetrics(client, out, { target: command.target, via: command.via });
    case 'cert-info': return runCertInfo(client, out, now());
    case 'ping-senebi': return runPingSenebi(client, out);
    case 'halt': return command.cancelOpen ? runHaltCancelOpen(client, out, command.reason) : runKillSwitch(client, out, 'halt', command.reason);
    case 'resume': return runKillSwitch(client, out, 'resume', command.reason);
    case 'risk': return runRisk(client, out);
    case 'risk-reload': return runRiskReload(client, out, command.reason);
    case 'risk-override': return runRiskOverride(client, out, command);
    case 'risk-price': return runRiskPrice(client, out, command.prices, command.reason);
    case 'orders-list': return runListing(client, out, 'orders', command.date);
    case 'operations-list': return runListing(client, out, 'operations', command.date);
    case 'order-send': return runOrderSend(client, out, command.order);
    case 'order-cancel': return runOrderCancel(client, out, command.id);
    case 'kan-version': return runKanVersion(client, out, command.via);
    case 'config': return runConfig(client, out);
    case 'decrypt': return runDecrypt(client, out);
    case 'cmd': return runFixedCommand(client, out, command.command, command.via);
    case 'audit': return runAuditQuery(client, out, command.filters, command.via);
    case 'audit-verify': return runAuditVerify(client, out, { chain: command.chain, via: command.via });
    case 'help':
    case 'version':
      return;
  }
}

/** Writes a failure: words on stderr, and with --json the error object on stdout. */
function reportFailure(err: CtlError, json: boolean, env: CliEnvironment): void {
  const status = err.status === undefined ? '' : ` (HTTP ${err.status})`;
  env.stderr.write(`qsenctl: ${err.kind === 'api' ? `${err.code}${status}: ` : ''}${err.message}\n`);
  if (err.kind === 'usage') env.stderr.write('Run `qsenctl help` for the commands and options.\n');
  if (json) {
    createOutput(true, env.stdout, env.stderr).data({
      error: { code: err.code, message: err.message, ...(err.status === undefined ? {} : { status: err.status }), ...(err.details === undefined ? {} : { details: err.details }) },
      exitCode: err.exitCode,
    });
  }
}

/** Runs qsenctl with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], env: CliEnvironment): Promise<number> {
  const json = argv.includes('--json');
  try {
    await execute(parseCommandLine(argv), env);
    return EXIT_CODES.ok;
  } catch (err) {
    if (err instanceof CtlError) {
      reportFailure(err, json, env);
      return err.exitCode;
    }
    throw err;
  }
}
