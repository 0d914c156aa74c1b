import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toUint64 } from '@qsen/core';
import { httpsCall, waitFor } from '@qsen/testkit';
import { encodeRecord } from '../src/journal/records.js';
import type { OrderContent } from '../src/orders/order.js';
import { orderJson, startHarness } from './support/node.js';
import { startSenebiDouble } from './support/senebi-double.js';
import { makeTestState } from './support/state.js';

const order = (id: string): OrderContent => ({ id: toUint64(id), instrument: 'AL30', side: 'buy', quantity: '1000', price: '1234.5', currency: 'ARS', settlement: 'T1', counterparty: '210' });

test('orders left in flight are reconciled by id before sendOrder answers; meanwhile the internal ping says so and sendOrder is 503 RECONCILING', async () => {
  const state = makeTestState({ senebiPort: 0 });
  const tls = { ...state.senebiServer, clientCa: state.agentCa };
  const down = await startSenebiDouble(tls);
  const senebiPort = down.port;
  await down.close(); // SENEBI is unreachable while qsen starts
  const inFlight = '9999000000000000301'; // forwarded before the crash, SENEBI has it
  const neverArrived = '9999000000000000302'; // journaled, the crash came before SENEBI got it
  mkdirSync(join(state.home, 'data'), { recursive: true });
  writeFileSync(join(state.home, 'data', 'journal.log'), Buffer.concat([
    encodeRecord({ type: 'order', id: toUint64(inFlight), order: order(inFlight), at: '2026-11-20T14:00:00.000Z' }),
    encodeRecord({ type: 'state', id: toUint64(inFlight), state: 'sent', at: '2026-11-20T14:00:00.001Z' }),
    encodeRecord({ type: 'order', id: toUint64(neverArrived), order: order(neverArrived), at: '2026-11-20T14:00:00.002Z' }),
  ]));
  const placeholder = { port: senebiPort, posts: new Map<string, number>(), orders: new Map(), fault: 'none' as const, delayMs: 0, processingMs: [], tamper: new Map(), extraOrdersJson: [], operationsJson: [], close: async () => undefined };
  const h = await startHarness({ state, senebi: placeholder, settings: { timeoutMs: 1500 } });
  let up: Awaited<ReturnType<typeof startSenebiDouble>> | undefined;
  try {
    const ping = JSON.parse((await httpsCall(`https://127.0.0.1:${h.node.port}/qsen/v1/ping`, { ca: state.ca })).body) as Record<string, unknown>;
    assert.equal(ping['reconciling'], true);
    const early = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000303'));
    assert.equal(early.status, 503);
    assert.equal((early.json['error'] as Record<string, unknown>)['code'], 'RECONCILING');
    const senebiDown = await h.call('POST', '/qsen/v1/ping/senebi', '{}');
    assert.equal(senebiDown.status, 502);
    assert.equal(((senebiDown.json['error'] as Record<string, unknown>)['details'] as Record<string, unknown>)['delivery'], 'not_sent');

    up = await startSenebiDouble(tls, senebiPort);
    up.orders.set(inFlight, { ...order(inFlight), status: 'accepted' });
    await waitFor(() => !h.node.desk.isReconciling(), { timeoutMs: 10_000, what: 'reconciliation' });

    const known = await h.call('POST', '/qsen/v1/sendOrder', orderJson(inFlight));
    assert.equal(known.status, 200);
    assert.equal((known.json['order'] as Record<string, unknown>)['status'], 'accepted');
    assert.equal(up.posts.get(inFlight), undefined, 'the in-flight order was not sent again');
    const retried = await h.call('POST', '/qsen/v1/sendOrder', orderJson(neverArrived));
    assert.equal(retried.status, 200);
    assert.equal(up.posts.get(neverArrived), 1, 'the order SENEBI never got goes through once on the retry');
  } finally {
    await h.close();
    await up?.close();
    state.remove();
  }
});
