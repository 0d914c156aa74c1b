// Order state and cancellation on the wire (docs/api.md §8 extension) over real mutual TLS:
// resting orders, cancel (idempotent), refusals, the admin match, later matches, the cancel
// faults (slow_cancel, cancel_race, accepted_no_answer on a cancel) and the admin records.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLosslessNumber } from '@qsen/core';
import { waitFor } from '@qsen/testkit';
import { startSimulator, type RunningSimulator } from '../src/index.js';
import { makeClient, makeTestHome, makeTestPki, orderBody, type SimClient, type TestHome, type TestPki } from './support/home.js';

let tick = Date.parse('2026-03-10T15:00:00.000Z');
const clock = { now: (): number => tick++ };

const orderOf = (body: Record<string, unknown>): Record<string, unknown> => body['order'] as Record<string, unknown>;
const errorOf = (body: Record<string, unknown>): { code: unknown; details: Record<string, unknown> } => {
  const error = body['error'] as Record<string, unknown>;
  return { code: error['code'], details: (error['details'] ?? {}) as Record<string, unknown> };
};

describe('SENEBI order state and cancel', () => {
  let pki: TestPki;
  let home: TestHome;
  let sim: RunningSimulator;
  let client: SimClient;

  const put = async (path: string, body: unknown): Promise<void> => {
    const answer = await client.call('PUT', path, JSON.stringify(body));
    assert.equal(answer.status, 200, answer.body);
  };
  const send = async (id: string, overrides: Record<string, string> = {}): Promise<Record<string, unknown>> => {
    const answer = await client.json('POST', '/senebi/v1/orders', orderBody(id, overrides));
    assert.equal(answer.status, 200);
    return orderOf(answer.body);
  };
  const cancel = (id: string, body = '{}') => client.json('POST', `/senebi/v1/orders/${id}/cancel`, body);
  const stateOf = async (id: string): Promise<unknown> => orderOf((await client.json('GET', `/senebi/v1/orders/${id}`)).body)['status'];
  const recordOf = async (id: string): Promise<Record<string, unknown>> => (await client.json('GET', `/admin/v1/orders/${id}`)).body;

  before(async () => {
    pki = makeTestPki();
    home = makeTestHome(pki);
    sim = await startSimulator({ home: home.path, port: 0, clock });
    client = makeClient(sim.url, pki);
  });
  after(async () => {
    await sim.close();
    home.remove();
  });
  beforeEach(async () => {
    await put('/admin/v1/faults', {});
    await put('/admin/v1/matching', { probability: 0, seed: 1 });
  });

  test('an order that did not match rests; a cancel withdraws it, and a second cancel answers the same', async () => {
    const id = '9999000000000003001';
    assert.equal((await send(id))['status'], 'accepted');
    assert.equal(await stateOf(id), 'accepted', 'resting');
    const first = await client.call('POST', `/senebi/v1/orders/${id}/cancel`, '{}');
    assert.equal(first.status, 200);
    assert.match(first.body, /"id":9999000000000003001[,}]/, 'the id is a bare JSON number');
    const { body } = await cancel(id);
    const order = orderOf(body);
    assert.ok(isLosslessNumber(order['id']));
    assert.equal(order['status'], 'cancelled');
    assert.match(String(order['cancelledAt']), /^2026-03-10T/);
    assert.equal(await stateOf(id), 'cancelled');
    const listed = (await client.json('GET', '/senebi/v1/orders?date=2026-03-10')).body['orders'] as Record<string, unknown>[];
    const mine = listed.find((o) => String(o['id']) === id);
    assert.equal(mine?.['status'], 'cancelled');
    assert.equal(mine?.['cancelledAt'], order['cancelledAt']);
    const record = await recordOf(id);
    assert.equal(String(record['cancels']), '2');
    assert.equal(String(record['cancelled']), '1', 'the repeated cancel changed nothing');
    assert.equal(record['status'], 'cancelled');
    const match = await client.json('POST', `/admin/v1/orders/${id}/match`);
    assert.equal(match.status, 409);
    assert.deepEqual({ code: errorOf(match.body).code, status: errorOf(match.body).details['status'] }, { code: 'ORDER_NOT_RESTING', status: 'cancelled' });
  });

  test('the two answers of an idempotent cancel are byte-identical', async () => {
    const id = '9999000000000003002';
    await send(id);
    const a = await client.call('POST', `/senebi/v1/orders/${id}/cancel`, '{}');
    const b = await client.call('POST', `/senebi/v1/orders/${id}/cancel`, '');
    assert.equal(a.status, 200);
    assert.equal(b.body, a.body);
  });

  test('a matched order cannot be cancelled: 409 ORDER_NOT_CANCELLABLE with details.status', async () => {
    await put('/admin/v1/matching', { probability: 1, seed: 1 });
    const id = '9999000000000003003';
    assert.equal((await send(id))['status'], 'accepted', 'the submission answer stays accepted');
    assert.equal(await stateOf(id), 'matched');
    const answer = await cancel(id);
    assert.equal(answer.status, 409);
    const error = errorOf(answer.body);
    assert.equal(error.code, 'ORDER_NOT_CANCELLABLE');
    assert.equal(error.details['status'], 'matched');
    assert.equal(String(error.details['id']), id);
    assert.ok(isLosslessNumber(error.details['id']));
    assert.equal(String((await recordOf(id))['cancelRefused']), '1');
  });

  test('a rejected order cannot be cancelled; an unknown id is not found; a body with fields is refused', async () => {
    const rejected = '9999000000000003004';
    assert.equal((await send(rejected, { instrument: 'NOPE' }))['status'], 'rejected');
    const refused = await cancel(rejected);
    assert.equal(refused.status, 409);
    assert.equal(errorOf(refused.body).details['status'], 'rejected');
    const unknown = await cancel('9999000000000003099');
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown.body).code, 'ORDER_NOT_FOUND');
    assert.equal(String(errorOf(unknown.body).details['id']), '9999000000000003099');
    const resting = '9999000000000003005';
    await send(resting);
    const bad = await cancel(resting, '{"reason": "x"}');
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad.body).code, 'INVALID_REQUEST');
    assert.equal((await cancel(resting, '[]')).status, 400);
    assert.equal((await cancel('not-a-number')).status, 400);
    assert.equal((await client.call('GET', `/senebi/v1/orders/${resting}/cancel`)).status, 405);
    assert.equal(await stateOf(resting), 'accepted', 'refused requests changed nothing');
  });

  test('the admin match makes the counterparty enter its side now; the order then refuses a cancel', async () => {
    const id = '9999000000000003006';
    await send(id);
    const before = (await client.json('GET', '/senebi/v1/operations?date=2026-03-10')).body['operations'] as unknown[];
    const match = await client.json('POST', `/admin/v1/orders/${id}/match`);
    assert.equal(match.status, 200);
    assert.equal(orderOf(match.body)['status'], 'matched');
    const operations = match.body['operations'] as Record<string, unknown>[];
    assert.equal(operations.length, 1);
    assert.equal(String(operations[0]?.['orderId']), id);
    const after = (await client.json('GET', '/senebi/v1/operations?date=2026-03-10')).body['operations'] as unknown[];
    assert.equal(after.length, before.length + 1);
    assert.equal((await cancel(id)).status, 409);
    assert.equal((await client.json('POST', '/admin/v1/orders/9999000000000003098/match')).status, 404);
  });

  test('match_after_ms matches a resting order later, unless a cancel commits first', async () => {
    // Order, not a stopwatch: `cancelled` is accepted and cancelled first, then `later` is
    // accepted with the same delay, so its timer fires after `cancelled`'s (Node runs timers of
    // equal delay in the order they were set). Once `later` is matched, `cancelled`'s timer has
    // fired too, and found it cancelled. The cancel must commit within the delay: on a machine
    // so loaded that it did not (the match won, 409 matched: a legitimate outcome, checked),
    // the case runs again with twice the delay.
    const ids = [['9999000000000003007', '9999000000000003008'], ['9999000000000003016', '9999000000000003017'], ['9999000000000003018', '9999000000000003019'], ['9999000000000003020', '9999000000000003021']] as const;
    let delayMs = 1000;
    for (const [later, cancelled] of ids) {
      await put('/admin/v1/matching', { probability: 0, seed: 1, match_after_ms: delayMs });
      assert.equal((await send(cancelled))['status'], 'accepted', 'rests: no match at acceptance');
      const answer = await cancel(cancelled);
      if (answer.status === 409) {
        assert.equal(errorOf(answer.body).details['status'], 'matched', 'the later match committed before the cancel');
        assert.equal(await stateOf(cancelled), 'matched');
        delayMs *= 2;
        continue;
      }
      assert.equal(answer.status, 200);
      assert.equal((await send(later))['status'], 'accepted', 'rests: no match at acceptance');
      await waitFor(async () => (await stateOf(later)) === 'matched', { timeoutMs: 15_000 + delayMs, what: 'the later match' });
      const order = orderOf((await client.json('GET', `/senebi/v1/orders/${later}`)).body);
      assert.ok(String(order['matchedAt']) > String(order['time']), 'matched after its acceptance');
      assert.equal(await stateOf(cancelled), 'cancelled', 'the cancel committed first: its match never happened');
      assert.equal(String((await recordOf(cancelled))['cancelled']), '1');
      return;
    }
    assert.fail(`the cancel never committed before a later match of up to ${delayMs / 2} ms`);
  });

  test('cancel_race: the match commits during the cancel, which answers 409 matched', async () => {
    await put('/admin/v1/faults', { cancel_race: { probability: 1 } });
    const id = '9999000000000003009';
    await send(id);
    const answer = await cancel(id);
    assert.equal(answer.status, 409);
    assert.equal(errorOf(answer.body).details['status'], 'matched');
    assert.equal(await stateOf(id), 'matched');
    const record = await recordOf(id);
    assert.equal(String((record['faults'] as Record<string, unknown>)['cancel_race']), '1');
  });

  test('slow_cancel: a match entered while the cancel is held commits first', async () => {
    await put('/admin/v1/faults', { slow_cancel: { probability: 1, fixed_ms: 1500 } });
    const id = '9999000000000003010';
    await send(id);
    const pending = cancel(id);
    await waitFor(async () => String(((await recordOf(id))['faults'] as Record<string, unknown>)['slow_cancel'] ?? '') === '1', { what: 'the held cancel' });
    assert.equal((await client.json('POST', `/admin/v1/orders/${id}/match`)).status, 200);
    const answer = await pending;
    assert.equal(answer.status, 409);
    assert.equal(errorOf(answer.body).details['status'], 'matched');
  });

  test('slow_cancel without a match: the cancel commits after the hold', async () => {
    await put('/admin/v1/faults', { slow_cancel: { probability: 1, fixed_ms: 300 } });
    const id = '9999000000000003011';
    await send(id);
    const started = Date.now();
    const answer = await cancel(id);
    assert.equal(answer.status, 200);
    assert.ok(Date.now() - started >= 250, 'held before it answered');
  });

  test('accepted_no_answer on a cancel: cancelled and journaled, no answer; the retry answers 200 with the same cancelledAt', async () => {
    const id = '9999000000000003012';
    await send(id);
    await put('/admin/v1/faults', { accepted_no_answer: { probability: 1, paths: ['POST /senebi/v1/orders/'] } });
    await assert.rejects(client.call('POST', `/senebi/v1/orders/${id}/cancel`, '{}'));
    await put('/admin/v1/faults', {});
    const stored = orderOf((await client.json('GET', `/senebi/v1/orders/${id}`)).body);
    assert.equal(stored['status'], 'cancelled');
    const retry = await cancel(id);
    assert.equal(retry.status, 200);
    assert.equal(orderOf(retry.body)['cancelledAt'], stored['cancelledAt']);
  });

  test('http_5xx and reset on a cancel commit nothing', async () => {
    const id = '9999000000000003013';
    await send(id);
    await put('/admin/v1/faults', { http_5xx: { probability: 1, status: 503, paths: ['POST /senebi/v1/orders/'] } });
    assert.equal((await cancel(id)).status, 503);
    await put('/admin/v1/faults', { reset: { probability: 1, paths: ['POST /senebi/v1/orders/'] } });
    await assert.rejects(client.call('POST', `/senebi/v1/orders/${id}/cancel`, '{}'));
    await put('/admin/v1/faults', {});
    assert.equal(await stateOf(id), 'accepted');
    const record = await recordOf(id);
    assert.equal(String(record['cancels']), '2');
    assert.equal(String(record['cancelled']), '0');
  });

  test('order states survive a restart of the simulator (journal replay)', async () => {
    const cancelledId = '9999000000000003014';
    const restingId = '9999000000000003015';
    await send(cancelledId);
    await send(restingId);
    assert.equal((await cancel(cancelledId)).status, 200);
    await sim.close();
    sim = await startSimulator({ home: home.path, port: 0, clock });
    client = makeClient(sim.url, pki);
    assert.equal(await stateOf(cancelledId), 'cancelled');
    assert.equal(await stateOf(restingId), 'accepted');
    assert.equal(String((await recordOf(cancelledId))['cancels']), '1');
  });
});
