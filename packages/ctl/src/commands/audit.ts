/**
 * `qsenctl audit [--from T] [--to T] [--action A[,B]] [--subject S] [--id ID] [--limit N]`: the
 * audit trail's matching entries from a kan (GET /kan/v1/audit, NDJSON, read as it streams), as
 * a table or, with --json, one JSON object per line. `qsenctl audit verify [--chain C]`: the hash
 * chains' verdict (GET /kan/v1/audit/verify); a broken chain exits 1 with AUDIT_CHAIN_BROKEN.
 */
import type { QsenClient } from '../client/client.js';
import { createCtlError } from '../errors.js';
import { renderTable } from '../render/table.js';
import { asArray, asRecord, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** The filters of `audit`, as typed (the kan validates them). */
export interface AuditFilters {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly action?: string | undefined;
  readonly subject?: string | undefined;
  readonly id?: string | undefined;
  readonly limit?: number | undefined;
}

/** One table row of an entry (pure). */
export function auditRow(entry: Record<string, unknown>): string[] {
  const details = asRecord(entry['details'] ?? {});
  const id = details['orderId'] ?? details['target'] ?? '';
  const extra = [details['reason'] !== undefined && details['reason'] !== null ? `reason=${formatScalar(details['reason'])}` : '', details['channel'] !== undefined ? `channel=${formatScalar(details['channel'])}` : '', details['originalTime'] !== undefined ? `original=${formatScalar(details['originalTime'])}` : '']
    .filter((s) => s !== '').join(' ');
  return [
    formatScalar(entry['timestamp']), formatScalar(entry['chain']), formatScalar(entry['action']), formatScalar(entry['outcome']),
    entry['code'] === undefined ? '' : formatScalar(entry['code']), formatScalar(entry['subject']), formatScalar(id), extra,
  ];
}

/** Splits streamed NDJSON text into complete lines, keeping the unfinished rest (pure). */
export function splitLines(buffered: string): { lines: string[]; rest: string } {
  const parts = buffered.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.filter((l) => l !== ''), rest };
}

/** `audit`. */
export async function runAuditQuery(client: QsenClient, out: CommandOutput, filters: AuditFilters, via: number): Promise<void> {
  const res = await client.openStream(client.kan(via), '/kan/v1/audit', { query: { ...filters } });
  res.setEncoding('utf8');
  const rows: string[][] = [];
  let truncated = false;
  let rest = '';
  const take = (line: string): void => {
    let entry: Record<string, unknown>;
    try {
      entry = asRecord(JSON.parse(line));
    } catch (err) {
      throw createCtlError('UNEXPECTED_ANSWER', 'the audit answer is not NDJSON', { cause: err });
    }
    if (entry['truncated'] === true) {
      truncated = true;
      out.note(`qsenctl: more entries match; only the first ${formatScalar(entry['limit'])} are shown (use --limit or narrow the query)`);
      return;
    }
    if (out.json) out.data(entry);
    else rows.push(auditRow(entry));
  };
  for await (const chunk of res as AsyncIterable<string>) {
    const split = splitLines(rest + chunk);
    rest = split.rest;
    for (const line of split.lines) take(line);
  }
  if (rest.trim() !== '') take(rest);
  if (!out.json) {
    out.text(renderTable(['TIME', 'CHAIN', 'ACTION', 'OUTCOME', 'CODE', 'SUBJECT', 'ID', 'DETAILS'], rows));
    if (rows.length === 0 && !truncated) out.note('qsenctl: no audit entry matches');
  }
}

/** The human lines of a verify report (pure). */
export function describeVerifyReport(report: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const chain of asArray(report['chains']).map(asRecord)) {
    const name = formatScalar(chain['chain']);
    const head = asRecord(chain['head'] ?? {});
    const brk = chain['firstBreak'] === null || chain['firstBreak'] === undefined ? undefined : asRecord(chain['firstBreak']);
    if (brk === undefined) {
      lines.push(`${name}: ok, ${formatScalar(chain['lines'])} lines in ${asArray(chain['files']).length} files; head ${formatScalar(head['hash'])} (${formatScalar(head['file'])}:${formatScalar(head['line'])})`);
    } else {
      lines.push(`${name}: BROKEN at ${formatScalar(brk['file'])}:${formatScalar(brk['line'])} (${formatScalar(brk['kind'])}): expected ${formatScalar(brk['expected'])}, found ${formatScalar(brk['found'])}`);
    }
    for (const t of asArray(chain['torn']).map(asRecord)) lines.push(`${name}: torn line (crash leftover, recorded) at ${formatScalar(t['file'])}:${formatScalar(t['line'])}, ${formatScalar(t['bytes'])} bytes`);
    const incomplete = chain['incomplete'] === null || chain['incomplete'] === undefined ? undefined : asRecord(chain['incomplete']);
    if (incomplete) lines.push(`${name}: incomplete last line at ${formatScalar(incomplete['file'])}:${formatScalar(incomplete['line'])} (being written, or a crash)`);
    const anchor = chain['anchor'] === null || chain['anchor'] === undefined ? undefined : asRecord(chain['anchor']);
    if (anchor && anchor['genesis'] === false) lines.push(`${name}: starts after ${formatScalar(anchor['prevFile'])}, expired by retention`);
  }
  if (lines.length === 0) lines.push('no audit files');
  return lines.join('\n');
}

/** `audit verify`. */
export async function runAuditVerify(client: QsenClient, out: CommandOutput, opts: { chain?: string | undefined; via: number }): Promise<void> {
  const report = asRecord(await client.callJson(client.kan(opts.via), '/kan/v1/audit/verify', { query: { chain: opts.chain } }));
  if (out.json) out.data(report);
  else out.text(describeVerifyReport(report));
  if (report['ok'] !== true) {
    const broken = asArray(report['chains']).map(asRecord).filter((c) => c['ok'] !== true).map((c) => formatScalar(c['chain']));
    throw createCtlError('AUDIT_CHAIN_BROKEN', `the audit trail is broken in: ${broken.join(', ')}`, { details: { chains: broken } });
  }
}
