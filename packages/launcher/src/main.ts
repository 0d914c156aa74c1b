#!/usr/bin/env node
/**
 * The launcher's command line (`npm run init`, `npm start`):
 *   node packages/launcher/dist/src/main.js init|start [--home DIR] [--host NAME]...
 * The state folder is --home, else $QSEN_HOME, else `.qsen-local/` in the repository. Port
 * overrides for a newly generated conf.toml come from QSEN_QSEN_PORT, QSEN_KAN_PORTS (a,b,c),
 * QSEN_SENEBI_PORT and QSEN_NODE_EXPORTER_PORT. Exit codes: 0 done, 1 failure, 2 usage.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closeLogger, createProcessLogger } from '@qsen/core/logging';
import { ApiError, errorMessage } from '@qsen/core/errors';
import { loadConfig } from '@qsen/core/config/load';
import { describeInit, describeLocalSystem } from './console/summary.js';
import { describeReady, paintReady, wantsColor } from './console/ready.js';
import { createEventPrinter } from './console/event-printer.js';
import { createProgress } from './console/progress.js';
import type { OwnedProcessName } from '@qsen/kan';
import { initStateFolder, parsePortOverrides } from './state/init.js';
import { startLocalSystem, type LocalSystem } from './system/local-system.js';
import { buildReadinessProbes, waitUntilAnswering } from './system/readiness.js';
import type { SupervisorEvent } from './supervise/supervisor.js';

const USAGE = 'usage: node packages/launcher/dist/src/main.js init|start [--home DIR] [--host NAME]...';
const REPOSITORY = fileURLToPath(new URL('../../../../', import.meta.url));
const READINESS_TIMEOUT_MS = 60_000;

function describeEvent(event: SupervisorEvent): string | null {
  switch (event.type) {
    case 'started': return `launcher: ${event.name} started (pid ${event.pid}, invocation ${event.invocation})`;
    case 'exited': return event.requested ? null
      : `launcher: ${event.name} exited (pid ${event.pid}, ${event.exit.signal ? `signal ${event.exit.signal}` : `code ${event.exit.code}`})`;
    case 'restart-scheduled': return `launcher: restarting ${event.name} in ${event.delayMs} ms (exit ${event.consecutiveCrashes} in a row)`;
    case 'start-failed': return `launcher: ${event.name} could not be started: ${event.reason}`;
  }
}

async function runStart(home: string, hosts: string[], ports: ReturnType<typeof parsePortOverrides>): Promise<number> {
  const report = initStateFolder({ home, hosts, ports, installDir: REPOSITORY });
  for (const line of describeInit(report)) console.log(line);
  const config = loadConfig(report.configFile);
  const logger = createProcessLogger({ dir: config.paths.logs, name: 'launcher', level: config.logging.level });

  let system: LocalSystem | null = null;
  let startupDone = false;
  // One line per step; a spinner on a terminal, plain lines in a pipe (console/progress.ts).
  const progress = createProgress(process.stdout);
  const startedAt = Date.now();
  // Lines about failures before the summary is out wait for it; 'started' lines before it are
  // dropped (the summary shows the pids).
  const early: string[] = [];
  const printer = createEventPrinter({
    print: (line) => { if (startupDone) progress.line(line); else early.push(line); },
    describe: (event) => {
      // Before the summary each start is a progress line of its own (the summary repeats the pids).
      if (event.type === 'started' && !startupDone) {
        progress.line(`launcher: ${event.name} started (pid ${event.pid})`);
        return null;
      }
      return describeEvent(event);
    },
    configFile: config.file, logsDir: config.paths.logs,
  });
  // The supervisor logs each child's stderr line with { process, stream: 'stderr' }: the printer
  // reads them too, to say why a child exited.
  const tap = (message: string, meta?: Record<string, unknown>): void => {
    if (meta?.['stream'] === 'stderr' && typeof meta['process'] === 'string') printer.stderr(meta['process'] as OwnedProcessName, message);
  };
  const supervisorLogger = {
    info: (message: string, meta?: Record<string, unknown>) => { tap(message, meta); return logger.info(message, meta ?? {}); },
    warn: (message: string, meta?: Record<string, unknown>) => { tap(message, meta); return logger.warn(message, meta ?? {}); },
    error: (message: string, meta?: Record<string, unknown>) => { tap(message, meta); return logger.error(message, meta ?? {}); },
    debug: (message: string, meta?: Record<string, unknown>) => logger.debug(message, meta ?? {}),
  };
  let stopSignal: NodeJS.Signals | null = null;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolveStop) => { wake = resolveStop; });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopSignal) {
      console.log(`launcher: ${signal} again; still stopping every process`);
      return;
    }
    stopSignal = signal;
    console.log(`\nlauncher: ${signal}: stopping every process (kans first)`);
    logger.info(`${signal}: stopping every process`);
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  progress.step('launcher: starting the processes');
  try {
    system = await startLocalSystem({
      home, logger: supervisorLogger,
      onEvent: (event) => printer.event(event),
    });
  } catch (err) {
    progress.stop();
    const message = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
    console.error(`launcher: cannot start: ${message}`);
    logger.error('cannot start', { error: message });
    await closeLogger(logger);
    return 1;
  }
  progress.done(`launcher: processes started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  for (const orphan of system.orphans) {
    if (orphan.outcome !== 'gone') console.log(`launcher: stopped ${orphan.name} (pid ${orphan.pid}) left behind by an earlier launcher (${orphan.outcome})`);
  }
  console.log('');
  for (const line of describeLocalSystem({
    home, config: system.config, controlSocket: system.controlSocket, window: system.windowDescription,
    processes: system.supervisor.list(), nodeExporter: system.nodeExporter, launcherPid: process.pid,
  })) console.log(line);
  console.log('');
  startupDone = true;
  for (const line of early.splice(0)) console.log(line);

  if (!stopSignal) {
    // Running, or waiting out a back-off after an early exit (a busy port): READY waits for those too.
    const running = system.supervisor.list().filter((s) => s.state === 'running' || s.restartAt !== null).map((s) => s.name);
    const ready: string[] = [];
    const probes = buildReadinessProbes(system.config, running);
    const waitingText = (): string => `launcher: waiting for ${running.filter((n) => !ready.includes(n)).join(', ') || 'nothing'} to answer`;
    const watch = {
      onReady: (name: string) => { ready.push(name); progress.update(waitingText()); },
      isCancelled: () => stopSignal !== null,
    };
    progress.step(waitingText());
    let silent = await waitUntilAnswering(probes, { timeoutMs: READINESS_TIMEOUT_MS, ...watch });
    if (!stopSignal && silent.length > 0) {
      progress.done(`launcher: answering: ${ready.join(', ') || 'none'}`);
      console.log(`launcher: not answering after ${READINESS_TIMEOUT_MS / 1000} s: ${silent.join(', ')} (see ${system.config.paths.logs}); READY follows once they answer`);
      // Keep asking (a freed port, a fixed file): READY is printed whenever the last one answers.
      silent = await waitUntilAnswering(probes.filter((p) => silent.includes(p.name)), { timeoutMs: Number.POSITIVE_INFINITY, ...watch });
    }
    if (!stopSignal && silent.length === 0) {
      progress.done(`launcher: every process answers, ${((Date.now() - startedAt) / 1000).toFixed(1)} s after the start`);
      const order = running.filter((name) => ready.includes(name));
      console.log(paintReady(describeReady({ home, config: system.config, window: system.windowDescription, answering: order }), wantsColor(process.stdout, process.env)));
    }
  }

  await stopped;
  progress.stop();
  await system.stop();
  console.log('launcher: every process stopped');
  logger.info('every process stopped');
  await closeLogger(logger);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { home: { type: 'string' }, host: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    console.error(`${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  const command = parsed.positionals[0];
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((command !== 'init' && command !== 'start') || parsed.positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const home = resolve(parsed.values.home ?? process.env['QSEN_HOME'] ?? resolve(REPOSITORY, '.qsen-local'));
  const hosts = parsed.values.host ?? [];
  try {
    const ports = parsePortOverrides({
      QSEN_QSEN_PORT: process.env['QSEN_QSEN_PORT'],
      QSEN_KAN_PORTS: process.env['QSEN_KAN_PORTS'],
      QSEN_SENEBI_PORT: process.env['QSEN_SENEBI_PORT'],
      QSEN_NODE_EXPORTER_PORT: process.env['QSEN_NODE_EXPORTER_PORT'],
    });
    if (command === 'init') {
      const report = initStateFolder({ home, hosts, ports, installDir: REPOSITORY });
      for (const line of describeInit(report)) console.log(line);
      console.log(`configuration: ${report.configFile}`);
      return 0;
    }
    return await runStart(home, hosts, ports);
  } catch (err) {
    const message = err instanceof ApiError ? `${err.code}: ${err.message}` : errorMessage(err);
    console.error(`launcher: ${message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
