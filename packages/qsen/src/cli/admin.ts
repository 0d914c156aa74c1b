#!/usr/bin/env node
/**
 * qsen-admin: the agent's commands on the server shell, with no network call (`qsen-admin --help`;
 * the runner is admin-run.ts). halt writes the same halt marker in `[paths] data` that the
 * running qsen reads on every sendOrder, so it takes effect at once (run it as the service user:
 * the installed /usr/local/sbin/qsen-admin does), and records the action in the audit log as
 * `local:<user>`, channel `local`, with the reason (chain `qsen-admin`). The journal commands are
 * described in docs/qsen.md, "Repairing the journal".
 */
import { userInfo } from 'node:os';
import { systemClock } from '@qsen/core/schedule';
import { runAdmin } from './admin-run.js';
import { errorMessage } from '@qsen/core/errors';

runAdmin(process.argv.slice(2), {
  stdout: process.stdout, stderr: process.stderr, qsenHome: process.env['QSEN_HOME'], user: userInfo().username, clock: systemClock,
}).then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`qsen-admin: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
