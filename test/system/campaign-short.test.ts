/**
 * The short fault campaign of the main suite (docs/reliability.md): seed 6, 400 orders over 20 s
 * through the real system while the nemesis opens SENEBI windows (processing held past
 * timeout_ms, latency, accepted_no_answer, resets), kills qsen with -9 and fills its data disk;
 * then every answer is compared with SENEBI's records. The long campaign (3 seeds x 1700 orders)
 * is in the slow suite: test/chaos/campaign.test.ts.
 */
import { test } from 'node:test';
import { assertCampaignHeld, runCampaign } from '../support/campaign/index.js';

test('short fault campaign, seed 6: 400 orders under SENEBI faults, kill -9 and a full data disk, every answer as SENEBI holds it', { timeout: 300_000 }, async () => {
  const report = await runCampaign({ seed: 6, orders: 400, log: (line) => console.log(line) });
  assertCampaignHeld(report);
});
