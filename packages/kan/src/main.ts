/**
 * kan's entry point: `node main.js --config FILE --index N` (or QSEN_CONFIG / QSEN_KAN_INDEX).
 * Loads the configuration, makes the logger and audit log, builds the node, listens, and runs
 * the watchdog. The configuration is validated once, in this thread (a worker thread saved 2.5 MiB
 * but cost 0.6-0.7 s of warm start: docs/kan.md, "Memory"), and the validator is then let go. SIGTERM/SIGINT: graceful stop. SIGHUP: reload the TLS files. An uncaught
 * exception: crash.ts (log once, flush within a bound, exit 70).
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, type QsenConfig } from '@qsen/core/config';
import { loadConfig, releaseConfigValidator } from '@qsen/core/config/load';
import { errorMessage } from '@qsen/core/errors';

function fail(message: string): never {
  process.stderr.write(`kan: ${message}\n`);
  process.exit(2);
}

const values = ((): { config?: string; index?: string } => {
  try {
    return parseArgs({ options: { config: { type: 'string' }, index: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return fail(`${errorMessage(err)} (usage: kan [--config FILE] --index N)`);
  }
})();
const configFile = values.config ?? process.env['QSEN_CONFIG'] ?? '/etc/qsen/conf.toml';
const indexText = values.index ?? process.env['QSEN_KAN_INDEX'];
if (indexText === undefined || !/^[0-2]$/.test(indexText)) fail('--index must be 0, 1 or 2');
const index = Number(indexText);

const configRead = Promise.resolve().then(() => loadConfig(configFile)).then((value): { ok: true; value: QsenConfig } => ({ ok: true, value }), (err: unknown) => ({ ok: false as const, err }));
const [{ closeLogger, createAuditLog, createProcessLogger }, { createKanNode }, { kanListenHost }, { createFatalHandler, exitAfterFlush }] = await Promise.all([
  import('@qsen/core/logging'), import('./node.js'), import('./cluster/nodes.js'), import('./crash.js'),
]);
const read = await configRead;
// Validated once: zod and @iarna/toml go (about 4 MiB of an idle kan; docs/kan.md, "Memory").
releaseConfigValidator();
if (!read.ok) {
  const { err } = read;
  fail(err instanceof ConfigError ? `bad configuration ${configFile}:\n${err.message}` : `cannot read ${configFile}: ${errorMessage(err)}`);
}
const config = read.value;

const logger = createProcessLogger({
  dir: config.paths.logs, name: `kan${index}`, level: config.logging.level, maxSizeMb: config.logging.max_size_mb, maxFiles: config.logging.max_files,
});
const audit = createAuditLog({ dir: config.paths.logs, chain: `kan${index}`, retentionDays: config.logging.audit_retention_days });
const stderr = (text: string): void => {
  try {
    writeSync(2, text); // synchronous: throws (caught) instead of emitting an error when stderr is gone
  } catch {
    // stderr is gone: the log has the line
  }
};
const flushLogs = (): Promise<unknown> => Promise.all([audit.close().catch(() => undefined), closeLogger(logger)]);
const node = createKanNode({
  index, config, logger, audit,
  // The API could not be loaded: the reason on stderr (the launcher shows it as the exit's line), the logs flushed, then exit.
  exit: (code, reason) => {
    stderr(`kan: ${reason}\n`);
    exitAfterFlush({ flush: flushLogs, exit: (c) => process.exit(c) }, code, stderr);
  },
});

process.on('uncaughtException', createFatalHandler({
  log: (err) => logger.error('uncaught exception', { error: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }),
  logWritable: () => !logger.writableEnded && !logger.destroyed,
  flush: flushLogs,
  stderr: (text) => writeSync(2, text), // synchronous: throws (caught) instead of emitting an error when stderr is gone
  exit: (code) => process.exit(code),
}));

try {
  const port = await node.listen();
  logger.info('kan listening', { index, port, host: kanListenHost(config, index), cluster: config.cluster.mode, control: config.control.mode, pid: process.pid });
} catch (err) {
  logger.error('kan could not listen', { error: errorMessage(err) });
  await closeLogger(logger);
  fail(`cannot listen: ${errorMessage(err)}`);
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!logger.writableEnded) logger.info('kan stopping', { signal });
  const guard = setTimeout(() => process.exit(0), 5_000);
  guard.unref();
  await node.close().catch(() => undefined);
  await audit.close().catch(() => undefined);
  await closeLogger(logger).catch(() => undefined);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGHUP', () => {
  const result = node.server.reload();
  if (result.ok) logger.info('TLS files reloaded');
  else logger.error('TLS reload failed; the previous certificates stay in use', { error: result.error });
});
