#!/usr/bin/env node
/**
 * qsen-admin: the agent's commands on the server shell, with no network call.
 *   qsen-admin halt [--reason TEXT] --config FILE
 *   qsen-admin resume [--reason TEXT] --config FILE
 *   qsen-admin status --config FILE
 *   qsen-admin journal check --config FILE
 *   qsen-admin journal repair [--id ID ...] --config FILE      (qsen stopped)
 * halt writes the same halt marker in `[paths] data` that the running qsen reads on every
 * sendOrder, so it takes effect at once (run it as the service user), and records the action
 * in the audit log as `local:<user>`, channel `local`, with the reason (chain `qsen-admin`).
 * The journal commands are described in docs/qsen.md, "Repairing the journal".
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, createAuditLog, loadConfig, parseUint64, type QsenConfig, type Uint64 } from '@qsen/core';
import { JOURNAL_FILE } from '../journal/journal.js';
import { checkJournal, repairJournal } from '../journal/repair.js';
import { openKillSwitch } from '../killswitch/killswitch.js';

const USAGE = 'usage: qsen-admin halt [--reason TEXT] | resume [--reason TEXT] | status | journal check | journal repair [--id ID ...]  --config FILE   (default /etc/qsen/conf.toml)';

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
      options: { config: { type: 'string', default: '/etc/qsen/conf.toml' }, reason: { type: 'string' }, id: { type: 'string', multiple: true } },
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
    console.log(JSON.stringify(killSwitch.read()));
    return 0;
  }
  const subject = `local:${userInfo().username}`;
  const reason = parsed.values.reason;
  const state = command === 'halt' ? killSwitch.halt(subject, reason, new Date()) : killSwitch.resume();
  const persisted = state.persisted !== false;
  // qsen-admin keeps its own chain (audit-qsen-admin-*.log): the running qsen owns audit-qsen-*.
  // Without a qsen process to hold it in memory, a halt the disk refused did not take effect: `failed`.
  const audit = createAuditLog({ dir: config.paths.logs, chain: 'qsen-admin', retentionDays: config.logging.audit_retention_days });
  const details = { channel: 'local', reason: reason ?? null, via: 'qsen-admin' };
  if (persisted) audit.record({ action: command, subject, outcome: 'done', details });
  else audit.record({ action: command, subject, outcome: 'failed', code: 'HALT_NOT_PERSISTED', details: { ...details, persistError: state.persistError ?? null } });
  await audit.close();
  if (!persisted) {
    console.error(`qsen-admin: HALT_NOT_PERSISTED: the halt file could not be written (${state.persistError ?? 'unknown error'}); free space in ${config.paths.data} or halt through the API (POST /qsen/v1/halt holds the halt in memory)`);
    return 1;
  }
  console.log(JSON.stringify(state));
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`qsen-admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
