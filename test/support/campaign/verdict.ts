/**
 * The campaign's assertions, shared by the slow suite's long campaign and the main suite's short
 * one: zero violations of every property (the message names them with their counts, the seed and
 * the command that replays it), and proof that the run exercised what it claims to.
 */
import assert from 'node:assert/strict';
import { CANCEL_PROPERTIES, type CancelProperty } from './cancel-checker.js';
import { PROPERTIES, type Property } from './checker.js';
import type { CampaignReport } from './run.js';

/** Asserts a campaign's report. */
export function assertCampaignHeld(report: CampaignReport): void {
  const { seed } = report.plan;
  const orders = report.plan.orders.length;
  const failing = (Object.keys(PROPERTIES) as Property[]).filter((p) => report.check.violations[p] > 0);
  assert.deepEqual(
    failing.map((p) => `${PROPERTIES[p]}: ${report.check.violations[p]}`),
    [],
    `seed ${seed} (digest ${report.digest.slice(0, 16)}) violates properties; replay with QSEN_CAMPAIGN_SEED=${seed} QSEN_CAMPAIGN_ORDERS=${orders}`,
  );
  const cancelFailing = (Object.keys(CANCEL_PROPERTIES) as CancelProperty[]).filter((p) => report.cancelCheck.violations[p] > 0);
  assert.deepEqual(
    cancelFailing.map((p) => `${CANCEL_PROPERTIES[p]}: ${report.cancelCheck.violations[p]}`),
    [],
    `seed ${seed} (digest ${report.digest.slice(0, 16)}) violates cancel properties; replay with QSEN_CAMPAIGN_SEED=${seed} QSEN_CAMPAIGN_ORDERS=${orders}`,
  );
  assert.ok(report.cancelCheck.cancels > 0 && report.cancelCheck.finals.cancelled > 0, 'some orders were cancelled by the platform');
  assert.ok(report.cancelCheck.finals.matched > 0, 'some cancels met a match');
  assert.ok((report.cancelCheck.massCancel?.cancelled ?? 0) > 0, 'the mass cancel pulled resting orders');
  if (process.env['CI'] === 'true') assert.equal(report.diskSkipped, undefined, 'CI runs as root: the data disk must be mounted');
  assert.equal(report.check.orders, orders);
  assert.ok(report.retries > 0, 'some attempts were retried');
  assert.ok(report.deliberateResends > 0, 'some orders were sent twice on purpose');
  assert.ok((report.nemesis.done['kill'] ?? 0) + (report.nemesis.done['pause'] ?? 0) > 0 || report.plan.process.every((e) => e.fault === 'disk_full'), 'qsen was killed or paused');
  assert.ok(Object.values(report.injected).some((n) => n > 0), 'SENEBI injected faults');
}
