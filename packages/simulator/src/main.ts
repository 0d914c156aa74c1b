#!/usr/bin/env node
/**
 * The simulator process: `node packages/simulator/dist/src/main.js --home DIR [--port N]`;
 * with an admin command first (`faults`, `counters`, ...) it drives a running one instead.
 * Logs to DIR/logs/simulator-*.log; SIGTERM or SIGINT flushes the state and exits 0.
 */
import { closeLogger, createProcessLogger, errorMessage } from '@qsen/core';
import { ADMIN_COMMANDS, runAdminCommand } from './cli/admin-client.js';
import { parseArgs } from './cli/args.js';
import { simulatorPathsOf, startSimulator } from './service/start.js';

async function main(): Promise<void> {
  // `senebi-sim faults|matching|counters|records|order|reset --home DIR`: the admin API from the shell.
  const first = process.argv[2];
  if (first !== undefined && (ADMIN_COMMANDS as readonly string[]).includes(first)) {
    process.exitCode = await runAdminCommand(process.argv.slice(2), { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
    return;
  }
  let args;
  try {
    args = parseArgs(process.argv.slice(2), process.cwd());
  } catch (err) {
    console.error(errorMessage(err));
    process.exit(2);
  }
  const logger = createProcessLogger({ dir: simulatorPathsOf(args.home).logs, name: 'simulator' });
  let running;
  try {
    running = await startSimulator({ home: args.home, port: args.port, logger });
  } catch (err) {
    const message = errorMessage(err);
    logger.error('simulator failed to start', { error: message });
    console.error(`senebi simulator: ${message}`);
    await closeLogger(logger);
    process.exit(1);
  }
  const started = running;
  console.log(`senebi simulator listening on ${started.url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void started.close().then(
      async () => {
        await closeLogger(logger);
        process.exit(0);
      },
      async (err: unknown) => {
        logger.error('stop failed', { error: errorMessage(err) });
        await closeLogger(logger);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
