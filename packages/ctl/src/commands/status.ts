/**
 * `qsenctl status`: one table of the four nodes from qsen's and the kans' own status answers.
 * Building the report is a plain function of the answers (tested with literal inputs).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatLocalInstant } from '@qsen/core/schedule';
import type { QsenClient } from '../client/client.js';
import { CtlError } from '../errors.js';
import { renderTable } from '../render/table.js';
import { asArray, asRecord, asSmallNumber, formatDuration } from '../render/values.js';
import { describeMassCancel } from './mass-cancel.js';
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
  /** How its owner saw its last invocation end (from the kans' status), null when it never exited or no kan answered. */
  readonly lastExit: LastExit | null;
}

/** A last exit as the kans report it. */
export interface LastExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** ISO instant. */
  readonly at: string;
  /** The stderr line that explains it (local mode); null under systemd (see journalctl -u UNIT). */
  readonly line: string | null;
}

/** The trading window as the report shows it. */
export interface WindowReport {
  readonly open: boolean | null;
  readonly reason: string | null;
  /** ISO instant (UTC) of the next change; null when unknown or when the window never closes. */
  readonly nextChangeAt: string | null;
  /** The schedule's time zone, when a node told it. */
  readonly timezone: string | null;
  /** Open all day, every day: no next change to show. */
  readonly continuous: boolean;
  /** The next change on the zone's clock with UTC alongside ("2026-12-01 17:00 -03:00 (20:00Z)"). */
  readonly nextChangeLocal: string | null;
}

/** The dead man's switch as qsen's status tells it (`status.deadman`), when it is enabled. */
export interface DeadmanReport {
  readonly state: string;
  readonly secondsLeft: number | null;
  readonly cancelOpen: boolean;
}

/** The whole status. */
export interface StatusReport {
  readonly nodes: NodeReport[];
  readonly window: WindowReport;
  readonly halted: boolean | null;
  readonly deadman: DeadmanReport | null;
  /** The mass cancel going on or the last one, as qsen's status tells it (`status.massCancel`). */
  readonly massCancel: Record<string, unknown> | null;
  readonly client: { file: string; subject: string; notAfter: string; daysLeft: number } | null;
}

const DAY_MS = 86_400_000;

function failureOf(o: Outcome): { code: string; message: string } | null {
  return o.ok ? null : { code: o.error.code, message: o.error.message };
}

/**
 * The health cell of a node that did not answer: a node that refused this client's certificate
 * is up (it runs the handshake), a refused connection means nothing listens, anything else is down.
 */
export function healthOfFailure(error: CtlError): string {
  if (error.code === 'CLIENT_CERTIFICATE_REFUSED') return 'refused my certificate';
  if (error.code === 'TIMEOUT') return 'not answering (TIMEOUT)';
  return `down (${error.code})`;
}

/** The window's fields from a qsen status `window` or a kan status `schedule` (+ its `window`). */
function readWindow(source: Record<string, unknown>, extra: Record<string, unknown>): WindowReport {
  const pick = (key: string): unknown => source[key] ?? extra[key];
  const open = typeof source['open'] === 'boolean' ? source['open'] : null;
  const reason = typeof source['reason'] === 'string' ? source['reason'] : null;
  const continuous = pick('continuous') === true;
  const nextChange = source['nextChangeAt'];
  const nextChangeAt = continuous ? null : typeof nextChange === 'string' ? nextChange
    : asSmallNumber(nextChange) !== undefined ? new Date(asSmallNumber(nextChange) ?? 0).toISOString() : null;
  const timezone = pick('timezone');
  const local = pick('nextChangeLocal');
  return {
    open, reason, nextChangeAt, continuous,
    timezone: typeof timezone === 'string' ? timezone : null,
    nextChangeLocal: !continuous && typeof local === 'string' ? local : null,
  };
}

/** "opens at 2026-12-02 10:00 -03:00 (13:00Z)", or with an older node the UTC instant alone. */
export function describeNextChange(window: WindowReport): string | null {
  if (window.continuous) return window.open ? `open all day, every day${window.timezone ? ` (${window.timezone})` : ''}` : null;
  const when = window.nextChangeLocal ?? window.nextChangeAt;
  if (when === null || window.open === null) return null;
  return `${window.open ? 'closes' : 'opens'} at ${when}`;
}

function nullable(n: number | undefined): number | null {
  return n === undefined ? null : n;
}

/** The dead man's switch of a qsen status answer; null when absent or off. */
export function readDeadman(value: unknown): DeadmanReport | null {
  const d = asRecord(value);
  if (d['enabled'] !== true || typeof d['state'] !== 'string') return null;
  return { state: d['state'], secondsLeft: nullable(asSmallNumber(d['secondsLeft'])), cancelOpen: d['cancelOpen'] === true };
}

/** "dead man's switch: armed, 12 s left (a trip also cancels resting orders)". */
export function describeDeadman(d: DeadmanReport): string {
  const left = d.state === 'armed' && d.secondsLeft !== null ? `, ${d.secondsLeft} s left` : '';
  return `dead man's switch: ${d.state}${left}${d.cancelOpen ? ' (a trip also cancels resting orders)' : ''}`;
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
  const lastExitOf = (name: string): LastExit | null => {
    for (const view of targetViews(name)) {
      const e = asRecord(view['lastExit']);
      if (typeof e['at'] !== 'string') continue;
      return {
        code: typeof e['code'] === 'number' ? e['code'] : null, signal: typeof e['signal'] === 'string' ? e['signal'] : null,
        at: e['at'], line: typeof e['line'] === 'string' ? e['line'] : null,
      };
    }
    return null;
  };

  const qsen = input.qsen.ok ? asRecord(input.qsen.value) : undefined;
  const kanSchedule = asRecord(firstKan?.['schedule']);
  const window = qsen ? readWindow(asRecord(qsen['window']), kanSchedule) : readWindow(asRecord(kanSchedule['window']), kanSchedule);
  const windowOpen = window.open;
  const windowReason = window.reason;
  const halted = qsen && typeof qsen['halted'] === 'boolean' ? qsen['halted'] : null;
  const windowText = windowOpen === null ? null : windowOpen ? 'open' : `closed${windowReason && windowReason !== 'closed' ? ` (${windowReason})` : ''}`;

  let qsenHealth: string;
  if (qsen) qsenHealth = qsen['reconciling'] === true ? 'up (reconciling)' : 'up';
  else if (!input.qsen.ok && input.qsen.error.code !== 'CONNECTION_REFUSED') qsenHealth = healthOfFailure(input.qsen.error);
  else if (windowOpen === false) qsenHealth = 'stopped (outside the trading window)';
  else {
    const verdict = targetViews('qsen').map((t) => t['verdict']).find((v) => typeof v === 'string');
    qsenHealth = `down${typeof verdict === 'string' ? ` (kans: ${verdict})` : input.qsen.ok ? '' : ` (${input.qsen.error.code})`}`;
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
    lastExit: lastExitOf('qsen'),
  }];
  input.kans.forEach((outcome, i) => {
    const kan = kanValues[i];
    const self = asRecord(kan?.['node']);
    const name = `kan${i}`;
    rows.push({
      node: `kan ${i}`,
      port: input.kanPorts[i] ?? 0,
      health: kan ? 'up' : outcome.ok ? 'down' : healthOfFailure(outcome.error),
      pid: nullable(asSmallNumber(self['pid'])),
      uptimeSeconds: nullable(asSmallNumber(self['uptimeSeconds'])),
      restarts: restartsOf(name),
      crashLoop: crashLoopOf(name),
      window: null,
      halted: null,
      certDaysLeft: nullable(asSmallNumber(asRecord(asRecord(kan?.['certificates'])['server'])['daysLeft'])),
      crlNumber: nullable(asSmallNumber(asRecord(kan?.['tls'])['crlNumber'])),
      error: failureOf(outcome),
      lastExit: lastExitOf(name),
    });
  });
  return { nodes: rows, window, halted, deadman: readDeadman(qsen?.['deadman']), massCancel: typeof asRecord(qsen?.['massCancel'])['state'] === 'string' ? asRecord(qsen?.['massCancel']) : null };
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

/** "code 2" / "signal SIGKILL", then the time (on the zone's clock when known) and the explaining line. */
export function describeLastExit(exit: LastExit, timezone: string | null): string {
  const how = exit.signal !== null ? `signal ${exit.signal}` : exit.code !== null ? `code ${exit.code}` : 'could not be started';
  const ms = Date.parse(exit.at);
  const when = timezone !== null && Number.isFinite(ms) ? formatLocalInstant(timezone, ms) : exit.at;
  return `${how} at ${when}${exit.line === null ? '' : `: ${exit.line}`}`;
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
  const next = describeNextChange(report.window);
  if (next !== null) lines.push(`trading window: ${next}`);
  if (report.deadman !== null) lines.push(describeDeadman(report.deadman));
  if (report.massCancel !== null) lines.push(...describeMassCancel(report.massCancel).slice(0, 1));
  if (report.client) lines.push(`this client: ${report.client.subject}, certificate ${report.client.daysLeft} days left (until ${report.client.notAfter.slice(0, 10)})`);
  for (const n of report.nodes) if (n.error && !n.health.startsWith('stopped')) lines.push(`${n.node}: ${n.error.message}`);
  // The last exit of a node that is not up now, or that the kans see crash-looping: what explains it.
  for (const n of report.nodes) {
    if (n.lastExit !== null && (n.health !== 'up' || n.crashLoop || (n.restarts ?? 0) > 0)) lines.push(`${n.node} last exit: ${describeLastExit(n.lastExit, report.window.timezone)}`);
  }
  const qsen = report.nodes.find((n) => n.node === 'qsen');
  if (qsen?.health.startsWith('stopped') && report.window.open === false) {
    lines.push(`qsen is stopped outside the trading window by design (docs/integrator.md, "Outside the trading window")${next === null ? '' : `; it ${next}`}`);
  }
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
  const report: StatusReport = {
    ...buildStatusReport({ qsenPort: client.qsen.port, kanPorts: kanNodes.map((k) => k.port), qsen, qsenCerts, kans }),
    client: describeClientCertificate(client.target.certFile, now),
  };
  const answered = [qsen, ...kans].filter((o) => o.ok).length;
  if (answered === 0) {
    const first = [qsen, ...kans].find((o): o is { ok: false; error: CtlError } => !o.ok);
    if (first) {
      // The table still tells each node's case apart (down, refused my certificate); the exit code is the first failure's.
      if (!out.json) out.text(renderStatusReport(report));
      throw first.error;
    }
  }
  if (out.json) out.data(report);
  else out.text(renderStatusReport(report));
}
