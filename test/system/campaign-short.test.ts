/**
 * The short fault campaign of the main suite (docs/reliability.md): seed 6, 400 orders over 20 s
 * through the real system while the nemesis opens SENEBI windows (processing held past
 * timeout_ms, latency, accepted_no_answer, resets, slow cancels), kills qsen with -9 and fills its
 * data disk, while the clients cancel about a third of their accepted orders (some racing the
 * counterparty's match); then a halt with cancelOpen pulls every resting order and qsen is killed
 * with -9 in the middle of that mass cancel; every answer to a send or a cancel, and the mass
 * cancel's report, is compared with SENEBI's records. About 40 s on the 2-core machine. The long campaign (3 seeds x 1700 orders)
 * is in the slow suite: test/chaos/campaign.test.ts.
 */
import { test } from 'node:test';
import { assertCampaignHeld, runCampaign } from '../support/campaign/index.js';

test('short fault campaign, seed 6: 400 orders and their cancels under SENEBI faults, kill -9 (also mid mass cancel) and a full data disk, every answer as SENEBI holds it', { timeout: 300_000 }, async () => {
  const report = await runCampaign({ seed: 6, orders: 400, log: (line) => console.log(line) });
  assertCampaignHeld(report);
});
