/** `order cancel ID`: POST /qsen/v1/cancelOrder (platform role), the id exactly as typed. */
import type { QsenClient } from '../client/client.js';
import { renderPairs } from '../render/table.js';
import { asRecord, flattenForDisplay, formatScalar } from '../render/values.js';
import type { CommandOutput } from './output.js';

/** Cancels one resting order and prints qsen's answer (errors such as 409 ORDER_NOT_CANCELLABLE come out as any qsen error). */
export async function runOrderCancel(client: QsenClient, out: CommandOutput, id: string): Promise<void> {
  const answer = asRecord(await client.callJson(client.qsen, '/qsen/v1/cancelOrder', { method: 'POST', json: { id } }));
  if (out.json) {
    out.data(answer);
    return;
  }
  const order = asRecord(answer['order']);
  out.text(`order ${formatScalar(order['id'])}: ${formatScalar(order['status'])} at ${formatScalar(order['cancelledAt'])}`);
  out.text(renderPairs(flattenForDisplay(order)));
}
