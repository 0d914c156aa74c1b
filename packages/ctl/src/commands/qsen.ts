/** The qsen commands: orders, operations, order send, kill switch, SENEBI checks, certificates, config. */
import type { QsenClient } from '../client/client.js';
import type { OrderFields } from '../cli/parse.js';
import { CtlError } from '../errors.js';
import { renderPairs, renderTable } from '../render/table.js';
import { asArray, asRecord, flattenForDisplay, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';
import { describeClientCertificate } from './status.js';

const ORDER_COLUMNS = ['id', 'instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty', 'status', 'time'] as const;
const OPERATION_COLUMNS = ['id', 'orderId', 'counterOrderId', 'instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty', 'time'] as const;

/** `orders list` / `operations list`. */
export async function runListing(client: QsenClient, out: CommandOutput, what: 'orders' | 'operations', date: string | undefined): Promise<void> {
  const path = what === 'orders' ? '/qsen/v1/getBilateralOrders' : '/qsen/v1/getBilateralOperations';
  const answer = asRecord(await client.callJson(client.qsen, path, { method: 'POST', json: date === undefined ? {} : { date } }));
  if (out.json) {
    out.data(answer);
    return;
  }
  const columns = what === 'orders' ? ORDER_COLUMNS : OPERATION_COLUMNS;
  const rows = asArray(answer[what]).map(asRecord);
  out.text(`${what} of ${formatScalar(answer['date'])}: ${rows.length}`);
  if (rows.length > 0) out.text(renderTable(columns.map((c) => c.toUpperCase()), rows.map((r) => columns.map((c) => formatScalar(r[c])))));
}

/** `order send`: the order exactly as typed (ids, quantity and price as strings). */
export async function runOrderSend(client: QsenClient, out: CommandOutput, order: OrderFields): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/sendOrder', { method: 'POST', json: { ...order } }));
  if (out.json) {
    out.data(answer);
    return;
  }
  const stored = asRecord(answer['order']);
  out.text(`order ${formatScalar(stored['id'])}: ${formatScalar(stored['status'])}`);
  out.text(renderPairs(flattenForDisplay(stored)));
}

/** `halt` / `resume`. */
export async function runKillSwitch(client: QsenClient, out: CommandOutput, action: 'halt' | 'resume', reason: string | undefined): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, `/qsen/v1/${action}`, { method: 'POST', json: reason === undefined ? {} : { reason } }));
  if (out.json) {
    out.data(answer);
    return;
  }
  if (answer['halted'] === true) out.text(`halted since ${formatScalar(answer['since'])} by ${formatScalar(answer['by'])}: every sendOrder answers 423 HALTED`);
  else out.text('running: orders are accepted again');
}

/** Prints a JSON answer as `path  value` lines (or JSON). */
function printRecord(out: CommandOutput, answer: unknown): void {
  if (out.json) out.data(answer);
  else out.text(renderPairs(flattenForDisplay(answer)));
}

/** `ping senebi`. */
export async function runPingSenebi(client: QsenClient, out: CommandOutput): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/ping/senebi', { method: 'POST', json: {} }));
  if (out.json) out.data(answer);
  else out.text(`SENEBI at ${formatScalar(answer['url'])} ${answer['ok'] === true ? 'answers' : 'does NOT answer'} (${formatScalar(answer['latencyMs'])} ms)`);
}

/** `config`. */
export async function runConfig(client: QsenClient, out: CommandOutput): Promise<void> {
  printRecord(out, await client.callJson(client.qsen, '/qsen/v1/config'));
}

/** `decrypt`. */
export async function runDecrypt(client: QsenClient, out: CommandOutput): Promise<void> {
  printRecord(out, await client.callJson(client.qsen, '/qsen/v1/decrypt', { method: 'POST', json: {} }));
}

/**
 * `cert info`: qsen's certificates in use plus this client's. When qsen is down (outside the
 * window) the cluster certificates come from kan 0's status instead.
 */
export async function runCertInfo(client: QsenClient, out: CommandOutput, now: Date): Promise<void> {
  let certificates: Record<string, unknown>;
  let source = 'qsen';
  try {
    certificates = asRecord(await client.callJson(client.qsen, '/qsen/v1/cert/info', { method: 'POST', json: {} }));
  } catch (err) {
    if (!(err instanceof CtlError) || err.kind !== 'connection' || err.code === 'CLIENT_CERTIFICATE_REFUSED') throw err;
    certificates = asRecord(asRecord(await client.callJson(client.kan(0), '/kan/v1/status'))['certificates']);
    source = 'kan 0';
  }
  const clientCert = describeClientCertificate(client.target.certFile, now);
  if (out.json) {
    out.data({ source, certificates, client: clientCert });
    return;
  }
  const rows = Object.entries(certificates).map(([name, v]) => {
    const c = asRecord(v);
    return [name, formatScalar(c['subject']), formatScalar(c['notAfter']), formatScalar(c['daysLeft'])];
  });
  if (clientCert) rows.push(['this client', clientCert.subject, clientCert.notAfter, String(clientCert.daysLeft)]);
  out.text(renderTable(['CERTIFICATE', 'SUBJECT', 'NOT AFTER', 'DAYS LEFT'], rows));
  if (source !== 'qsen') out.note('qsenctl: qsen did not answer; cluster certificates as kan 0 reports them');
}
