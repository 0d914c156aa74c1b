#!/usr/bin/env node
/** qsenctl: the operators' mutual-TLS client of the qsen and kan APIs (see `qsenctl help`). */
import { runCli } from './cli/run.js';

const controller = new AbortController();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
}
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

try {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    qsenHome: process.env['QSEN_HOME'],
    home: process.env['HOME'],
    xdgConfigHome: process.env['XDG_CONFIG_HOME'],
    signal: controller.signal,
  });
} catch (err) {
  process.stderr.write(`qsenctl: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 70;
}
