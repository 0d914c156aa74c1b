/** The risk commands: `risk` (limits, usage bars), `risk reload`, `risk override`, `risk price`. */
import type { QsenClient } from '../client/client.js';
import { renderTable } from '../render/table.js';
import { asArray, asRecord, asSmallNumber, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** A usage bar: `[#######.............]  35%` (ratios over 1 fill the bar and show the percent). */
export function renderUsageBar(ratio: number, width = 20): string {
  const clamped = Math.max(0, Math.min(1, Number.isFinite(ratio) ? ratio : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%`;
}

/** The bar of a usage ratio as the server wrote it (a lossless JSON number), '' without one. */
function barOf(value: unknown): string {
  const ratio = asSmallNumber(value);
  return ratio === undefined ? '' : renderUsageBar(ratio);
}

/** The human view of GET /qsen/v1/risk: one row per limit (and per instrument of the per-instrument limits), then lists, collar, last reload. */
export function renderRiskView(view: Record<string, unknown>): string {
  const lines: string[] = [];
  lines.push(`risk limits of ${formatScalar(view['day'])} (${formatScalar(view['timezone'])})${view['active'] === true ? '' : ': none in force'}`);
  const rows: string[][] = [];
  for (const item of asArray(view['limits']).map(asRecord)) {
    const override = item['override'] === undefined ? undefined : asRecord(item['override']);
    const source = override ? `override until ${formatScalar(override['expiresAt'])} (${formatScalar(override['reason'])})` : 'file';
    const used = item['used'] === undefined ? '-' : formatScalar(item['used']);
    const headroom = item['headroom'] === undefined ? '-' : formatScalar(item['headroom']);
    const bar = barOf(item['usageRatio']);
    rows.push([formatScalar(item['limit']), formatScalar(item['max']), used, headroom, bar, source]);
    for (const instrument of asArray(item['instruments']).map(asRecord)) {
      rows.push([`  ${formatScalar(instrument['instrument'])}`, '', formatScalar(instrument['used']), formatScalar(instrument['headroom']), barOf(instrument['usageRatio']), '']);
    }
  }
  if (rows.length > 0) lines.push(renderTable(['LIMIT', 'MAX', 'USED', 'HEADROOM', 'USAGE', 'SOURCE'], rows).trimEnd());
  const lists = asRecord(view['lists']);
  for (const name of ['instruments', 'counterparties', 'currencies', 'settlements']) {
    const list = asRecord(lists[name]);
    const allow = Array.isArray(list['allow']) ? (list['allow'] as unknown[]).map(formatScalar).join(', ') : 'all';
    const deny = asArray(list['deny']).map(formatScalar).join(', ');
    if (allow !== 'all' || deny !== '') lines.push(`${name}: allow ${allow}${deny === '' ? '' : `; deny ${deny}`}`);
  }
  const collar = asRecord(view['collar']);
  if (collar['bandPercent'] !== null && collar['bandPercent'] !== undefined) {
    lines.push(`price band: ${formatScalar(collar['bandPercent'])}% around the reference; without one: ${formatScalar(collar['unreferenced'])}`);
  }
  const prices = asArray(collar['referencePrices']).map(asRecord);
  if (prices.length > 0) lines.push(renderTable(['INSTRUMENT', 'REFERENCE', 'SOURCE'], prices.map((p) => [formatScalar(p['instrument']), formatScalar(p['price']), formatScalar(p['source'])])).trimEnd());
  const reload = asRecord(view['lastReload']);
  const problems = asArray(reload['problems']).map(formatScalar);
  lines.push(`last reload: ${formatScalar(reload['at'])} by ${formatScalar(reload['by'])}: ${reload['ok'] === true ? 'ok' : `FAILED (limits kept): ${problems.join('; ')}`}`);
  return `${lines.join('\n')}\n`;
}

/** `risk`. */
export async function runRisk(client: QsenClient, out: CommandOutput): Promise<void> {
  const view = asRecord(await client.callJson(client.qsen, '/qsen/v1/risk'));
  if (out.json) out.data(view);
  else out.text(renderRiskView(view));
}

/** `risk reload [--reason TEXT]`. */
export async function runRiskReload(client: QsenClient, out: CommandOutput, reason: string | undefined): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/risk/reload', { method: 'POST', json: reason === undefined ? {} : { reason } }));
  if (out.json) {
    out.data(answer);
    return;
  }
  const changes = asArray(answer['changes']).map(asRecord);
  out.text(changes.length === 0 ? 'reloaded: no change' : `reloaded: ${changes.length} change(s)`);
  if (changes.length > 0) out.text(renderTable(['KEY', 'BEFORE', 'AFTER'], changes.map((c) => [formatScalar(c['key']), c['before'] === null ? '-' : formatScalar(c['before']), c['after'] === null ? '-' : formatScalar(c['after'])])));
}

/** `risk override LIMIT VALUE|none --reason TEXT [--expires ISO]`. */
export async function runRiskOverride(client: QsenClient, out: CommandOutput, request: { limit: string; value: string | null; reason: string; expiresAt: string | undefined }): Promise<void> {
  const json = { limit: request.limit, value: request.value, reason: request.reason, ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt }) };
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/risk/override', { method: 'POST', json }));
  if (out.json) {
    out.data(answer);
    return;
  }
  const o = asRecord(answer['override']);
  if (o['lifted'] === true) out.text(`${formatScalar(o['limit'])}: override lifted; the file's value is in force`);
  else out.text(`${formatScalar(o['limit'])}: ${formatScalar(o['max'])} until ${formatScalar(asRecord(o['override'])['expiresAt'])}`);
}

/** `risk price INSTRUMENT=PRICE... --reason TEXT`. */
export async function runRiskPrice(client: QsenClient, out: CommandOutput, prices: Readonly<Record<string, string>>, reason: string): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/risk/reference-prices', { method: 'POST', json: { prices, reason } }));
  if (out.json) out.data(answer);
  else out.text(`reference prices set: ${formatScalar(answer['updated'])}`);
}
