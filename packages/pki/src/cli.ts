#!/usr/bin/env node
// qsen-pki: the operators' PKI command (init, issue-client, revoke, renew, info, crl). The process edge: the only
// place of this package that reads the environment.
import { runCli } from './cli/run.js';

process.exitCode = runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  defaultHome: process.env['QSEN_HOME'] || '.qsen-local',
});
