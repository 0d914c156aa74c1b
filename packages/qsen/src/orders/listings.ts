/**
 * The id fence on SENEBI listings (docs/api.md §4): no order id outside the range leaves qsen,
 * in any field. Orders pass only when their id is inside; operations only when their `orderId`
 * is inside, with `counterOrderId` left out unless it is inside too. Only known fields are copied,
 * so an unexpected SENEBI field cannot carry an out-of-range id out.
 */
import { isInRange, parseUint64, type IdRange } from '@qsen/core/ids';
import { isLosslessNumber } from '@qsen/core/json';
import { isJsonObject, toWireValue, type WireObject } from '../senebi/wire.js';

const ORDER_FIELDS = ['instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty', 'status', 'reason', 'time', 'date', 'matchedAt', 'cancelledAt'] as const;
const OPERATION_FIELDS = ['instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty', 'time', 'date'] as const;

function copyFields(source: Record<string, unknown>, fields: readonly string[], target: WireObject): void {
  for (const key of fields) {
    const value = source[key];
    if (typeof value === 'string' || typeof value === 'boolean' || value === null || isLosslessNumber(value)) target[key] = toWireValue(value);
  }
}

/** Reads an id field and tells whether it is a valid id inside the range. */
function inRangeId(value: unknown, range: IdRange): string | undefined {
  const parsed = parseUint64(value);
  return parsed.ok && isInRange(parsed.value, range) ? parsed.value : undefined;
}

/** Keeps SENEBI orders whose id is inside the range, in wire form (ids as strings). */
export function fenceOrders(orders: readonly unknown[], range: IdRange): WireObject[] {
  const out: WireObject[] = [];
  for (const order of orders) {
    if (!isJsonObject(order)) continue;
    const id = inRangeId(order['id'], range);
    if (id === undefined) continue;
    const wire: WireObject = { id };
    copyFields(order, ORDER_FIELDS, wire);
    out.push(wire);
  }
  return out;
}

/** Keeps SENEBI operations whose orderId is inside the range; drops counterOrderId when outside. */
export function fenceOperations(operations: readonly unknown[], range: IdRange): WireObject[] {
  const out: WireObject[] = [];
  for (const operation of operations) {
    if (!isJsonObject(operation)) continue;
    const orderId = inRangeId(operation['orderId'], range);
    if (orderId === undefined) continue;
    const operationId = parseUint64(operation['id']);
    const wire: WireObject = {};
    if (operationId.ok) wire['id'] = operationId.value;
    else if (typeof operation['id'] === 'string') wire['id'] = operation['id'];
    wire['orderId'] = orderId;
    const counterOrderId = inRangeId(operation['counterOrderId'], range);
    if (counterOrderId !== undefined) wire['counterOrderId'] = counterOrderId;
    copyFields(operation, OPERATION_FIELDS, wire);
    out.push(wire);
  }
  return out;
}

/** The fields of SENEBI's echo of one order that sendOrder passes on (like the listings). */
const ECHO_FIELDS = ['instrument', 'side', 'quantity', 'price', 'currency', 'settlement', 'counterparty', 'status', 'reason', 'time', 'date', 'matchedAt', 'cancelledAt'] as const;

/**
 * sendOrder's answer, field-filtered: qsen's stored order as it is, and of SENEBI's echo only the
 * known fields, with its id only when it is the order's own in-range id.
 */
export function fenceOrderAnswer(order: WireObject, range: IdRange): WireObject {
  const out: WireObject = {};
  for (const [key, value] of Object.entries(order)) if (key !== 'senebi') out[key] = value;
  const echo = order['senebi'];
  if (isJsonObject(echo)) {
    const wire: WireObject = {};
    const id = inRangeId(echo['id'], range);
    if (id !== undefined && id === order['id']) wire['id'] = id;
    copyFields(echo, ECHO_FIELDS, wire);
    out['senebi'] = wire;
  }
  return out;
}
