/**
 * What `npm start` and `npm run init` print: where everything is, which process runs where, and
 * one working curl command with the platform certificate. Pure text builders.
 */
import { join } from 'node:path';
import type { QsenConfig } from '@qsen/core/config';
import type { WindowDescription } from '@qsen/core/schedule';
import type { ProcessStatus } from '@qsen/kan';
import type { InitStateFolderReport } from '../state/init.js';

/** Lines describing what `initStateFolder` created and kept. */
export function describeInit(report: InitStateFolderReport): string[] {
  const lines = [`state folder ${report.home}`];
  lines.push(report.created.length > 0 ? `  created: ${report.created.join(', ')}` : '  created: nothing (everything was already there)');
  if (report.kept.length > 0) lines.push(`  kept:    ${report.kept.join(', ')}`);
  return lines;
}

/** The curl command that asks a node for its status with the platform's client certificate. */
export function buildCurlCommand(home: string, url: string): string {
  const pki = join(home, 'pki');
  return `curl --cacert ${join(pki, 'ca.crt')} --cert ${join(pki, 'clients', 'platform.crt')} --key ${join(pki, 'clients', 'platform.key')} ${url}`;
}

/** What the start summary needs. */
export interface SystemSummaryInput {
  readonly home: string;
  readonly config: QsenConfig;
  readonly controlSocket: string;
  /** The window at start, in words (core's describeWindow). */
  readonly window: WindowDescription;
  readonly processes: readonly ProcessStatus[];
  /** The node_exporter binary, or null when it is not installed. */
  readonly nodeExporter: string | null;
  readonly launcherPid: number;
}

function pidOf(processes: readonly ProcessStatus[], name: string): string {
  const status = processes.find((p) => p.name === name);
  if (!status) return 'not supervised';
  return status.pid === null ? status.state : `pid ${status.pid}`;
}

/** Lines describing the running local system. */
export function describeLocalSystem(input: SystemSummaryInput): string[] {
  const { config, processes, window } = input;
  const qsenUrl = `https://localhost:${config.server.qsen_port}`;
  const qsenLine = window.open
    ? `  qsen           ${qsenUrl}  (${pidOf(processes, 'qsen')})`
    : `  qsen           ${qsenUrl}  DOWN: outside the trading window (${window.reason}); the kans start it${window.nextChangeLocal === null ? ' when it opens' : ` at ${window.nextChangeLocal}`}`;
  const lines = [
    `QSen local system (launcher pid ${input.launcherPid})`,
    `  state folder   ${input.home}`,
    `  configuration  ${config.file}`,
    `  logs           ${config.paths.logs}  (launcher-*.log also holds every child's stdout/stderr)`,
    `  control socket ${input.controlSocket}`,
    `  simulator      ${config.senebi.url}  (${pidOf(processes, 'simulator')}; SENEBI stand-in, mutual TLS with senebi/agent.crt)`,
    qsenLine,
    `  trading window ${window.summary}`,
    ...config.server.kan_ports.map((port, i) => `  kan ${i}          https://localhost:${port}  (${pidOf(processes, `kan${i}`)})`),
    input.nodeExporter
      ? `  node_exporter  ${config.node_exporter.url}  (${pidOf(processes, 'node_exporter')})`
      : '  node_exporter  NOT STARTED: /usr/bin/prometheus-node-exporter is not installed (apt-get install prometheus-node-exporter); /kan/v1/metrics/system answers 502',
    '',
    'Try (platform certificate):',
    window.open
      ? `  ${buildCurlCommand(input.home, `${qsenUrl}/qsen/v1/status`)}`
      : `  ${buildCurlCommand(input.home, `https://localhost:${config.server.kan_ports[0]}/kan/v1/status`)}`,
    '',
    'Ctrl-C (or SIGTERM to the launcher) stops everything.',
  ];
  return lines;
}
