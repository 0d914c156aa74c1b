#!/usr/bin/env node
/**
 * qsen-admin: the agent's kill switch from the server shell, with no network call.
 *   qsen-admin halt [--reason TEXT] --config FILE
 *   qsen-admin resume --config FILE
 *   qsen-admin status --config FILE
 * It writes the same halt marker in `[paths] data` that the running qsen reads on every
 * sendOrder, so it takes effect at once (run it as the service user), and records the action
 * in the audit log as `local:<user>`, channel `local`, with the reason (chain `qsen-admin`).
 */
import { userInfo } from 'node:os';
import { ConfigError, createAuditLog, loadConfig, type QsenConfig } from '@qsen/core';
import { openKillSwitch } from '../killswitch/killswitch.js';

const USAGE = 'usage: qsen-admin halt [--reason TEXT] | resume [--reason TEXT] | status  --config FILE   (default /etc/qsen/conf.toml)';

function option(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  if (index !== -1) return argv[index + 1];
  const inline = argv.find((a) => a.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const command = argv[0];
  if (command !== 'halt' && command !== 'resume' && command !== 'status') {
    console.error(USAGE);
    return 2;
  }
  const file = option(argv, '--config') ?? '/etc/qsen/conf.toml';
  let config: QsenConfig;
  try {
    config = loadConfig(file, { checkFiles: false });
  } catch (err) {
    console.error(`qsen-admin: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  const killSwitch = openKillSwitch(config.paths.data);
  if (command === 'status') {
    console.log(JSON.stringify(killSwitch.read()));
    return 0;
  }
  const subject = `local:${userInfo().username}`;
  const reason = option(argv, '--reason');
  const state = command === 'halt' ? killSwitch.halt(subject, reason, new Date()) : killSwitch.resume();
  // qsen-admin keeps its own chain (audit-qsen-admin-*.log): the running qsen owns audit-qsen-*.
  const audit = createAuditLog({ dir: config.paths.logs, chain: 'qsen-admin', retentionDays: config.logging.audit_retention_days });
  audit.record({ action: command, subject, outcome: 'done', details: { channel: 'local', reason: reason ?? null, via: 'qsen-admin' } });
  await audit.close();
  console.log(JSON.stringify(state));
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(`qsen-admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

