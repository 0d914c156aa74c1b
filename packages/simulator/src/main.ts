#!/usr/bin/env node
/**
 * The simulator process: `node packages/simulator/dist/src/main.js --home DIR [--port N]`.
 * Logs to DIR/logs/simulator-*.log; SIGTERM or SIGINT flushes the state and exits 0.
 */
import { closeLogger, createProcessLogger } from '@qsen/core';
import { parseArgs } from './cli/args.js';
import { simulatorPathsOf, startSimulator } from './service/start.js';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), process.cwd());
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  const logger = createProcessLogger({ dir: simulatorPathsOf(args.home).logs, name: 'simulator' });
  let running;
  try {
    running = await startSimulator({ home: args.home, port: args.port, logger });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
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
        logger.error('stop failed', { error: err instanceof Error ? err.message : String(err) });
        await closeLogger(logger);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
