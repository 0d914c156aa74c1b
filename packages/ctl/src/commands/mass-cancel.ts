/**
 * `halt --cancel-open`: the kill switch that also pulls every resting in-range order
 * (docs/operator.md, "The kill switch"). The halt answers once the mass cancel is done or after
 * qsen's wait; while it still runs, `GET /qsen/v1/massCancel` is polled until it is done.
 */
import type { QsenClient } from '../client/client.js';
import { asArray, asRecord, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** How long the client follows a mass cancel still running after the halt's answer. */
const FOLLOW_MS = 300_000;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The lines that tell a mass cancel's result (counts, then each failure with its code, then each orphan with its result). */
export function describeMassCancel(report: Record<string, unknown>): string[] {
  const count = (key: string): number => asArray(report[key]).length;
  const lines = [
    `mass cancel ${formatScalar(report['run'])} ${formatScalar(report['state'])}: cancelled ${count('cancelled')}, already matched ${count('alreadyMatched')}, not open ${count('notOpen')}, failed ${count('failed')}${count('orphans') > 0 ? `, orphans ${count('orphans')}` : ''}${report['state'] === 'running' ? `, pending ${formatScalar(report['pending'])}` : ''}${report['listing'] === 'unavailable' ? " (SENEBI's listing unavailable: chosen from qsen's journal)" : ''}`,
  ];
  for (const failure of asArray(report['failed']).map(asRecord)) {
    lines.push(`  failed ${formatScalar(failure['id'])}: ${formatScalar(failure['code'])}${failure['delivery'] !== undefined ? ` (delivery ${formatScalar(failure['delivery'])})` : ''}`);
  }
  // Orphans: resting in-range orders qsen's journal did not know, cancelled straight at SENEBI (docs/api.md, "Orphans").
  for (const orphan of asArray(report['orphans']).map(asRecord)) {
    lines.push(`  orphan ${formatScalar(orphan['id'])}: ${formatScalar(orphan['result'])}${orphan['code'] !== undefined ? ` ${formatScalar(orphan['code'])}` : ''}${orphan['delivery'] !== undefined ? ` (delivery ${formatScalar(orphan['delivery'])})` : ''}`);
  }
  return lines;
}

/** `halt --cancel-open [--reason TEXT]`. */
export async function runHaltCancelOpen(client: QsenClient, out: CommandOutput, reason: string | undefined): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/halt', { method: 'POST', json: { ...(reason === undefined ? {} : { reason }), cancelOpen: true } }));
  if (!out.json) out.text(`halted since ${formatScalar(answer['since'])} by ${formatScalar(answer['by'])}: every sendOrder answers 423 HALTED; pulling the resting orders`);
  let report = asRecord(answer['massCancel']);
  const deadline = Date.now() + FOLLOW_MS;
  while (report['state'] === 'running' && Date.now() < deadline) {
    await pause(1000);
    const followed = asRecord(asRecord(await client.callJson(client.qsen, '/qsen/v1/massCancel'))['massCancel']);
    if (followed['run'] === report['run']) report = followed;
  }
  if (out.json) {
    out.data({ ...answer, massCancel: report });
    return;
  }
  for (const line of describeMassCancel(report)) out.text(line);
}
