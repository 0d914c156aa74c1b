#!/usr/bin/env node
/**
 * qsen's process entry: `qsen --config FILE` (or QSEN_CONFIG, default /etc/qsen/conf.toml).
 * Loads the configuration, makes the logger and audit log, starts the node. SIGTERM / SIGINT:
 * graceful stop (no new orders, the ones in flight finish and are journaled). SIGHUP: re-read
 * the cluster TLS files, conf.toml's [risk] and the reference prices file. A bad config, a wrong SENEBI passphrase or a corrupt journal stops it
 * with one clear line on stderr and a non-zero exit.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, type QsenConfig } from '@qsen/core/config';
import { closeLogger, createAuditLog, createProcessLogger } from '@qsen/core/logging';
import { heartbeatFile, startHeartbeat } from '@qsen/core/liveness';
import { loadConfig } from '@qsen/core/config/load';
import { QsenStartupError } from './errors.js';
import { startQsen } from './node.js';
import { errorMessage } from '@qsen/core/errors';

const DEFAULT_CONFIG = '/etc/qsen/conf.toml';

/** The configuration file: --config (node:util parseArgs, as every QSen command), QSEN_CONFIG, or the default. */
function readConfigPath(argv: readonly string[]): string {
  try {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' } }, strict: true, allowPositionals: false });
    return values.config ?? process.env['QSEN_CONFIG'] ?? DEFAULT_CONFIG;
  } catch (err) {
    console.error(`qsen: ${errorMessage(err)} (usage: qsen [--config FILE])`);
    process.exit(2);
  }
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function main(): Promise<void> {
  const file = readConfigPath(process.argv.slice(2));
  let config: QsenConfig;
  try {
    config = loadConfig(file);
  } catch (err) {
    console.error(`qsen: ${err instanceof ConfigError ? err.message : `cannot read ${file}: ${errorMessage(err)}`}`);
    process.exit(2);
  }
  const logger = createProcessLogger({ dir: config.paths.logs, name: 'qsen', level: config.logging.level, maxSizeMb: config.logging.max_size_mb, maxFiles: config.logging.max_files });
  const audit = createAuditLog({ dir: config.paths.logs, chain: 'qsen', retentionDays: config.logging.audit_retention_days });

  let node;
  try {
    node = await startQsen({ config, logger, audit, version: readVersion() });
  } catch (err) {
    // The stable code first (docs/errors.md, "Start-up problems of qsen"), then what to do.
    const message = err instanceof QsenStartupError ? `${err.problem}: ${err.message}` : errorMessage(err);
    console.error(`qsen: cannot start: ${message}`);
    logger.error('cannot start', { error: message, problem: err instanceof QsenStartupError ? err.problem : 'UNEXPECTED' });
    await Promise.allSettled([audit.close(), closeLogger(logger)]);
    process.exit(1);
  }
  const running = node;
  // Evidence of progress beside the public listener: the kans read it when a probe times out (docs/kan.md, "Busy is not hung").
  startHeartbeat({ file: heartbeatFile(config.paths.run, 'qsen') });

  process.on('SIGHUP', () => {
    const result = running.reload();
    if (result.ok) logger.info('SIGHUP: TLS files reloaded');
    else logger.warn('SIGHUP: TLS reload failed; the current certificates stay in force', { error: result.error });
    const risk = running.risk.reload({ subject: 'SIGHUP', requestId: '' }, 'SIGHUP');
    if (risk.ok) logger.info('SIGHUP: [risk] and reference prices reloaded', { changes: risk.changes });
    else logger.warn('SIGHUP: [risk] reload failed; the limits in force are kept', { problems: risk.problems });
  });
  let exiting = false;
  const stop = (signal: string): void => {
    if (exiting) return;
    exiting = true;
    logger.info('stop requested', { signal });
    void (async () => {
      try {
        await running.shutdown();
      } finally {
        await Promise.allSettled([audit.close(), closeLogger(logger)]);
        process.exit(0);
      }
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('uncaughtException', (err) => {
    logger.error('uncaught exception', { error: err.message, stack: err.stack });
    void closeLogger(logger).finally(() => process.exit(1));
  });
}

void main();
