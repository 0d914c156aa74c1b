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

/** Copies the known fields of `source` whose value is plain (text, boolean, null, number) into `target`. */
function copyFields(source: Record<string, unknown>, fields: readonly string[], target: WireObject): WireObject {
  for (const key of fields) {
    const value = source[key];
    if (typeof value === 'string' || typeof value === 'boolean' || value === null || isLosslessNumber(value)) target[key] = toWireValue(value);
  }
  return target;
}

/** Reads an id field and tells whether it is a valid id inside the range. */
function inRangeId(value: unknown, range: IdRange): string | undefined {
  const parsed = parseUint64(value);
  return parsed.ok && isInRange(parsed.value, range) ? parsed.value : undefined;
}

/** Keeps the SENEBI records whose `key` field is an id inside the range, each in the wire form `shape` makes of it. */
function fenceBy(records: readonly unknown[], key: string, range: IdRange, shape: (record: Record<string, unknown>, id: string) => WireObject): WireObject[] {
  const out: WireObject[] = [];
  for (const record of records) {
    if (!isJsonObject(record)) continue;
    const id = inRangeId(record[key], range);
    if (id !== undefined) out.push(shape(record, id));
  }
  return out;
}

/** Keeps SENEBI orders whose id is inside the range, in wire form (ids as strings). */
export function fenceOrders(orders: readonly unknown[], range: IdRange): WireObject[] {
  return fenceBy(orders, 'id', range, (order, id) => copyFields(order, ORDER_FIELDS, { id }));
}

/** Keeps SENEBI operations whose orderId is inside the range; drops counterOrderId when outside. */
export function fenceOperations(operations: readonly unknown[], range: IdRange): WireObject[] {
  return fenceBy(operations, 'orderId', range, (operation, orderId) => {
    const operationId = parseUint64(operation['id']);
    const wire: WireObject = {};
    if (operationId.ok) wire['id'] = operationId.value;
    else if (typeof operation['id'] === 'string') wire['id'] = operation['id'];
    wire['orderId'] = orderId;
    const counterOrderId = inRangeId(operation['counterOrderId'], range);
    if (counterOrderId !== undefined) wire['counterOrderId'] = counterOrderId;
    return copyFields(operation, OPERATION_FIELDS, wire);
  });
}

/**
 * sendOrder's answer, field-filtered: qsen's stored order as it is, and of SENEBI's echo only the
 * fields a listing passes on, with its id only when it is the order's own in-range id.
 */
export function fenceOrderAnswer(order: WireObject, range: IdRange): WireObject {
  const out: WireObject = {};
  for (const [key, value] of Object.entries(order)) if (key !== 'senebi') out[key] = value;
  const echo = order['senebi'];
  if (isJsonObject(echo)) {
    const id = inRangeId(echo['id'], range);
    out['senebi'] = copyFields(echo, ORDER_FIELDS, id !== undefined && id === order['id'] ? { id } : {});
  }
  return out;
}
