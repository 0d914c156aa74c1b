/**
 * Runs one parsed qsenctl command against the nodes. Kept apart from cli/run.ts so that help,
 * version and completion never load the client, the profile reader or the command modules.
 */
import type { QsenClient } from '../client/client.js';
import type { Command } from '../cli/parse.js';
import type { ProgressOutput } from '../render/progress.js';
import { runAuditQuery, runAuditVerify } from './audit.js';
import { runFixedCommand, runKanVersion, runMetrics, runRestart } from './kan.js';
import { runLogsGet, runLogsList, runLogsTail, runLogsTruncate } from './logs.js';
import type { createOutput } from './output.js';
import { runCertInfo, runConfig, runDecrypt, runKillSwitch, runListing, runOrderSend, runPingSenebi } from './qsen.js';
import { runOrderCancel } from './cancel.js';
import { runHaltCancelOpen } from './mass-cancel.js';
import { runRisk, runRiskOverride, runRiskPrice, runRiskReload } from './risk.js';
import { runStatus } from './status.js';
import type { Clock } from '@qsen/core/schedule';

/** What the commands need from the surroundings besides the client. */
export interface DispatchEnvironment {
  readonly cwd: string;
  /** Where `logs get` draws its progress bar (stderr). */
  readonly progress: ProgressOutput;
  /** Ends `logs tail -f`. */
  readonly signal: AbortSignal | undefined;
}

/** Runs `command` (every kind but help, version and completion). */
export async function dispatch(command: Command, client: QsenClient, out: ReturnType<typeof createOutput>, env: DispatchEnvironment, clock: Clock): Promise<void> {
  switch (command.kind) {
    case 'status': return runStatus(client, out, new Date(clock.now()));
    case 'restart': return runRestart(client, out, command.target === 'qsen' ? { target: 'qsen' } : { target: 'kan', node: command.node }, command.via);
    case 'logs-ls': return runLogsList(client, out, command.via);
    case 'logs-get': return runLogsGet(client, out, { file: command.file, output: command.output, via: command.via, cwd: env.cwd, progress: env.progress });
    case 'logs-tail': return runLogsTail(client, out, { ...command, signal: env.signal });
    case 'logs-truncate': return runLogsTruncate(client, out, command);
    case 'metrics': return runMetrics(client, out, { target: command.target, via: command.via });
    case 'cert-info': return runCertInfo(client, out, new Date(clock.now()));
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
    case 'completion':
      return;
  }
}

