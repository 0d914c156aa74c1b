import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orderJson, startHarness } from './support/node.js';

test('a journal that cannot be written refuses the order (503 JOURNAL_UNAVAILABLE) and nothing reaches SENEBI; a stopping node answers 503 SHUTTING_DOWN', async () => {
  const h = await startHarness();
  try {
    await h.node.journal.close();
    const refused = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000401'));
    assert.equal(refused.status, 503);
    assert.equal((refused.json['error'] as Record<string, unknown>)['code'], 'JOURNAL_UNAVAILABLE');
    assert.equal(h.senebi.posts.size, 0);
    h.node.desk.stop();
    const stopping = await h.call('POST', '/qsen/v1/sendOrder', orderJson('9999000000000000402'));
    assert.equal(stopping.status, 503);
    assert.equal((stopping.json['error'] as Record<string, unknown>)['code'], 'SHUTTING_DOWN');
    assert.equal(h.senebi.posts.size, 0);
  } finally {
    await h.close();
  }
});
