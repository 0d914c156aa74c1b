#!/usr/bin/env node
/**
 * qsen-admin: the agent's commands on the server shell, with no network call.
 *   qsen-admin halt [--reason TEXT] [--cancel-open [--wait SECONDS]] --config FILE
 *   qsen-admin resume [--reason TEXT] --config FILE
 *   qsen-admin status --config FILE
 *   qsen-admin journal check --config FILE
 *   qsen-admin journal repair [--id ID ...] --config FILE      (qsen stopped)
 * halt writes the same halt marker in `[paths] data` that the running qsen reads on every
 * sendOrder, so it takes effect at once (run it as the service user), and records the action
 * in the audit log as `local:<user>`, channel `local`, with the reason (chain `qsen-admin`).
 * With --cancel-open the marker also asks for the mass cancel of every resting in-range order
 * (with a run id); the running qsen picks the request up within a second (or at its next start)
 * and journals its progress in `mass-cancel.log`, which `status` and `--wait` read: still no
 * network call from this command, and no second cancel path (docs/qsen.md, "Pulling resting orders").
 * The journal commands are described in docs/qsen.md, "Repairing the journal".
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, createAuditLog, loadConfig, parseUint64, type QsenConfig, type Uint64 } from '@qsen/core';
import { JOURNAL_FILE } from '../journal/journal.js';
import { checkJournal, repairJournal } from '../journal/repair.js';
import { openKillSwitch } from '../killswitch/killswitch.js';
import { describeLoggedRun, type MassCancelReport } from '../killswitch/mass-cancel.js';
import { openMassCancelLog } from '../killswitch/mass-cancel-log.js';

const USAGE = 'usage: qsen-admin halt [--reason TEXT] [--cancel-open [--wait SECONDS]] | resume [--reason TEXT] | status | journal check | journal repair [--id ID ...]  --config FILE   (default /etc/qsen/conf.toml)';

/** The last mass cancel as its journal in the data folder holds it. */
function readMassCancel(dataDir: string): MassCancelReport | null {
  const logged = openMassCancelLog(dataDir).read();
  return logged ? describeLoggedRun(logged) : null;
}

/** Waits (reading the data folder twice a second) until the run is journaled as done, up to `seconds`. */
async function waitForRun(dataDir: string, run: string, seconds: number): Promise<MassCancelReport | null> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const report = readMassCancel(dataDir);
    if ((report?.run === run && report.state === 'done') || Date.now() >= deadline) return report?.run === run ? report : null;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function runJournal(config: QsenConfig, action: string | undefined, ids: readonly string[]): Promise<number> {
  const file = join(config.paths.data, JOURNAL_FILE);
  if (action === 'check') {
    const report = await checkJournal(file);
    console.log(JSON.stringify(report, null, 2));
    return report.verdict === 'refuse' ? 1 : 0;
  }
  if (action === 'repair') {
    const parsed: Uint64[] = [];
    for (const text of ids) {
      const id = parseUint64(text);
      if (!id.ok) {
        console.error(`qsen-admin: --id ${text} is not an unsigned 64-bit order id`);
        return 2;
      }
      parsed.push(id.value);
    }
    const result = await repairJournal(file, parsed, new Date());
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.error(USAGE);
  return 2;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: { config: { type: 'string', default: '/etc/qsen/conf.toml' }, reason: { type: 'string' }, id: { type: 'string', multiple: true }, 'cancel-open': { type: 'boolean' }, wait: { type: 'string' } },
    });
  } catch (err) {
    console.error(`qsen-admin: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  const [command, action] = parsed.positionals;
  if (command !== 'halt' && command !== 'resume' && command !== 'status' && command !== 'journal') {
    console.error(USAGE);
    return 2;
  }
  const cancelOpen = parsed.values['cancel-open'] === true;
  const waitText = parsed.values.wait;
  const waitSeconds = waitText === undefined ? undefined : Number(waitText);
  if ((cancelOpen || waitText !== undefined) && command !== 'halt') {
    console.error(`qsen-admin: --cancel-open and --wait go with halt\n${USAGE}`);
    return 2;
  }
  if (waitText !== undefined && (!cancelOpen || waitSeconds === undefined || !Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > 3600)) {
    console.error(`qsen-admin: --wait takes whole seconds 1..3600 and goes with --cancel-open\n${USAGE}`);
    return 2;
  }
  let config: QsenConfig;
  try {
    config = loadConfig(parsed.values.config, { checkFiles: false });
  } catch (err) {
    console.error(`qsen-admin: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  if (command === 'journal') return runJournal(config, action, parsed.values.id ?? []);
  // No persist retries: this process ends at once, so a halt that cannot be written is reported.
  const killSwitch = openKillSwitch(config.paths.data, { retryMs: 0 });
  if (command === 'status') {
    console.log(JSON.stringify({ ...killSwitch.read(), massCancel: readMassCancel(config.paths.data) }));
    return 0;
  }
  const subject = `local:${userInfo().username}`;
  const reason = parsed.values.reason;
  const cancelRequest = cancelOpen ? { run: randomUUID(), requestedAt: new Date().toISOString(), channel: 'local' as const } : undefined;
  const state = command === 'halt' ? killSwitch.halt(subject, reason, new Date(), cancelRequest) : killSwitch.resume();
  const persisted = state.persisted !== false;
  // qsen-admin keeps its own chain (audit-qsen-admin-*.log): the running qsen owns audit-qsen-*.
  // Without a qsen process to hold it in memory, a halt the disk refused did not take effect: `failed`.
  const audit = createAuditLog({ dir: config.paths.logs, chain: 'qsen-admin', retentionDays: config.logging.audit_retention_days });
  const details = { channel: 'local', reason: reason ?? null, via: 'qsen-admin', ...(command === 'halt' ? { cancelOpen } : {}), ...(cancelRequest ? { run: cancelRequest.run } : {}) };
  if (persisted) audit.record({ action: command, subject, outcome: 'done', details });
  else audit.record({ action: command, subject, outcome: 'failed', code: 'HALT_NOT_PERSISTED', details: { ...details, persistError: state.persistError ?? null } });
  await audit.close();
  if (!persisted) {
    console.error(`qsen-admin: HALT_NOT_PERSISTED: the halt file could not be written (${state.persistError ?? 'unknown error'}); free space in ${config.paths.data} or halt through the API (POST /qsen/v1/halt holds the halt in memory)`);
    return 1;
  }
  console.log(JSON.stringify(state));
  if (!cancelRequest) return 0;
  if (waitSeconds === undefined) {
    console.error(`qsen-admin: mass cancel ${cancelRequest.run} asked for: the running qsen starts it within a second (or at its next start); follow it with qsen-admin status`);
    return 0;
  }
  const report = await waitForRun(config.paths.data, cancelRequest.run, waitSeconds);
  console.log(JSON.stringify({ massCancel: report }));
  if (report?.state !== 'done') {
    console.error(`qsen-admin: mass cancel ${cancelRequest.run} not done after ${waitSeconds} s (is qsen running?); the halt is in force, the request stays in the halt marker`);
    return 1;
  }
  return report.failed.length > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`qsen-admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
