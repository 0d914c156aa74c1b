/**
 * `qsenctl status`: one table of the four nodes from qsen's and the kans' own status answers.
 * Building the report is a plain function of the answers (tested with literal inputs).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { QsenClient } from '../client/client.js';
import { CtlError } from '../errors.js';
import { renderTable } from '../render/table.js';
import { asArray, asRecord, asSmallNumber, formatDuration } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** One answer or the failure instead. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: CtlError };

/** One row of the table. */
export interface NodeReport {
  readonly node: string;
  readonly port: number;
  readonly health: string;
  readonly pid: number | null;
  readonly uptimeSeconds: number | null;
  readonly restarts: number | null;
  readonly crashLoop: boolean;
  readonly window: string | null;
  readonly halted: boolean | null;
  readonly certDaysLeft: number | null;
  /** The CRL number the node enforces (its status answer's tls.crlNumber). */
  readonly crlNumber: number | null;
  readonly error: { code: string; message: string } | null;
}

/** The whole status. */
export interface StatusReport {
  readonly nodes: NodeReport[];
  readonly window: { open: boolean | null; reason: string | null; nextChangeAt: string | null };
  readonly halted: boolean | null;
  readonly client: { file: string; subject: string; notAfter: string; daysLeft: number } | null;
}

const DAY_MS = 86_400_000;

function failureOf(o: Outcome): { code: string; message: string } | null {
  return o.ok ? null : { code: o.error.code, message: o.error.message };
}

function nullable(n: number | undefined): number | null {
  return n === undefined ? null : n;
}

/** Builds the report from the answers of qsen (status, cert/info) and the three kans (status). */
export function buildStatusReport(input: {
  qsenPort: number; kanPorts: readonly number[]; qsen: Outcome; qsenCerts: Outcome; kans: readonly Outcome[];
}): Omit<StatusReport, 'client'> {
  const kanValues = input.kans.map((k) => (k.ok ? asRecord(k.value) : undefined));
  const firstKan = kanValues.find((k) => k !== undefined);
  const history = asRecord(firstKan?.['restartHistory']);
  const restartsOf = (name: string): number | null => {
    if (!firstKan) return null;
    return asArray(asRecord(history[name])['events']).filter((e) => asRecord(e)['action'] === 'restart').length;
  };
  const targetViews = (name: string): Record<string, unknown>[] => kanValues.flatMap((k) => asArray(k?.['targets']).map(asRecord).filter((t) => t['name'] === name));
  const crashLoopOf = (name: string): boolean => targetViews(name).some((t) => asRecord(t['backoff'])['crashLoop'] === true);

  const qsen = input.qsen.ok ? asRecord(input.qsen.value) : undefined;
  const qsenWindow = asRecord(qsen?.['window']);
  const kanWindow = asRecord(asRecord(firstKan?.['schedule'])['window']);
  const windowSource = qsen ? qsenWindow : kanWindow;
  const windowOpen = typeof windowSource['open'] === 'boolean' ? windowSource['open'] : null;
  const windowReason = typeof windowSource['reason'] === 'string' ? windowSource['reason'] : null;
  const nextChange = windowSource['nextChangeAt'];
  const nextChangeAt = typeof nextChange === 'string' ? nextChange
    : asSmallNumber(nextChange) !== undefined ? new Date(asSmallNumber(nextChange) ?? 0).toISOString() : null;
  const halted = qsen && typeof qsen['halted'] === 'boolean' ? qsen['halted'] : null;
  const windowText = windowOpen === null ? null : windowOpen ? 'open' : `closed${windowReason && windowReason !== 'closed' ? ` (${windowReason})` : ''}`;

  let qsenHealth: string;
  if (qsen) qsenHealth = qsen['reconciling'] === true ? 'up (reconciling)' : 'up';
  else if (windowOpen === false) qsenHealth = 'stopped (window closed)';
  else {
    const verdict = targetViews('qsen').map((t) => t['verdict']).find((v) => typeof v === 'string');
    qsenHealth = `down${typeof verdict === 'string' ? ` (kans: ${verdict})` : ''}`;
  }
  const qsenPid = qsen ? asSmallNumber(qsen['pid']) : asSmallNumber(targetViews('qsen').map((t) => t['pid']).find((p) => p !== null && p !== undefined));
  const rows: NodeReport[] = [{
    node: 'qsen',
    port: input.qsenPort,
    health: qsenHealth,
    pid: qsen ? nullable(qsenPid) : null,
    uptimeSeconds: nullable(asSmallNumber(qsen?.['uptimeSeconds'])),
    restarts: restartsOf('qsen'),
    crashLoop: crashLoopOf('qsen'),
    window: windowText,
    halted,
    certDaysLeft: input.qsenCerts.ok ? nullable(asSmallNumber(asRecord(asRecord(input.qsenCerts.value)['server'])['daysLeft'])) : null,
    crlNumber: nullable(asSmallNumber(asRecord(qsen?.['tls'])['crlNumber'])),
    error: failureOf(input.qsen),
  }];
  input.kans.forEach((outcome, i) => {
    const kan = kanValues[i];
    const self = asRecord(kan?.['node']);
    const name = `kan${i}`;
    rows.push({
      node: `kan ${i}`,
      port: input.kanPorts[i] ?? 0,
      health: kan ? 'up' : `down${outcome.ok ? '' : ` (${outcome.error.code})`}`,
      pid: nullable(asSmallNumber(self['pid'])),
      uptimeSeconds: nullable(asSmallNumber(self['uptimeSeconds'])),
      restarts: restartsOf(name),
      crashLoop: crashLoopOf(name),
      window: null,
      halted: null,
      certDaysLeft: nullable(asSmallNumber(asRecord(asRecord(kan?.['certificates'])['server'])['daysLeft'])),
      crlNumber: nullable(asSmallNumber(asRecord(kan?.['tls'])['crlNumber'])),
      error: failureOf(outcome),
    });
  });
  return { nodes: rows, window: { open: windowOpen, reason: windowReason, nextChangeAt }, halted };
}

/** Reads the client certificate's subject and days left. */
export function describeClientCertificate(file: string, now: Date): StatusReport['client'] {
  try {
    const cert = new X509Certificate(readFileSync(file));
    const notAfter = new Date(cert.validTo);
    return { file, subject: cert.subject.split('\n').join(', '), notAfter: notAfter.toISOString(), daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS) };
  } catch {
    return null;
  }
}

/** The CRL cell: the number, marked "(behind)" when another node already enforces a higher one. */
function crlCell(crlNumber: number | null, highest: number): string {
  if (crlNumber === null) return '-';
  return crlNumber < highest ? `${crlNumber} (behind)` : String(crlNumber);
}

/** Renders the report as the status table plus two summary lines. */
export function renderStatusReport(report: StatusReport): string {
  const yesNo = (b: boolean | null): string => (b === null ? '-' : b ? 'HALTED' : 'no');
  const highestCrl = Math.max(0, ...report.nodes.map((n) => n.crlNumber ?? 0));
  const table = renderTable(
    ['NODE', 'PORT', 'HEALTH', 'PID', 'UPTIME', 'RESTARTS', 'WINDOW', 'HALTED', 'CERT DAYS', 'CRL'],
    report.nodes.map((n) => [
      n.node, String(n.port), n.health, n.pid === null ? '-' : String(n.pid), formatDuration(n.uptimeSeconds ?? undefined),
      n.restarts === null ? '-' : `${n.restarts}${n.crashLoop ? ' (crash loop)' : ''}`,
      n.window ?? '-', yesNo(n.halted), n.certDaysLeft === null ? '-' : String(n.certDaysLeft), crlCell(n.crlNumber, highestCrl),
    ]),
  );
  const lines = [table.trimEnd()];
  if (report.window.nextChangeAt) lines.push(`trading window ${report.window.open ? 'closes' : 'opens'} at ${report.window.nextChangeAt}`);
  if (report.client) lines.push(`this client: ${report.client.subject}, certificate ${report.client.daysLeft} days left (until ${report.client.notAfter.slice(0, 10)})`);
  for (const n of report.nodes) if (n.error && !n.health.startsWith('stopped')) lines.push(`${n.node}: ${n.error.message}`);
  return `${lines.join('\n')}\n`;
}

async function settle(p: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    if (err instanceof CtlError) return { ok: false, error: err };
    throw err;
  }
}

/** Runs `status`: exit 0 when at least one node answered; the first failure otherwise. */
export async function runStatus(client: QsenClient, out: CommandOutput, now: Date): Promise<void> {
  const kanNodes = [0, 1, 2].map((i) => client.kan(i));
  const [qsen, qsenCerts, ...kans] = await Promise.all([
    settle(client.callJson(client.qsen, '/qsen/v1/status')),
    settle(client.callJson(client.qsen, '/qsen/v1/cert/info', { method: 'POST', json: {} })),
    ...kanNodes.map((k) => settle(client.callJson(k, '/kan/v1/status'))),
  ]) as [Outcome, Outcome, ...Outcome[]];
  const answered = [qsen, ...kans].filter((o) => o.ok).length;
  if (answered === 0) {
    const first = [qsen, ...kans].find((o): o is { ok: false; error: CtlError } => !o.ok);
    if (first) throw first.error;
  }
  const report: StatusReport = {
    ...buildStatusReport({ qsenPort: client.qsen.port, kanPorts: kanNodes.map((k) => k.port), qsen, qsenCerts, kans }),
    client: describeClientCertificate(client.target.certFile, now),
  };
  if (out.json) out.data(report);
  else out.text(renderStatusReport(report));
}
