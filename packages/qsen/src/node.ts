/**
 * Wiring of one qsen node: opens the SENEBI identity (a wrong passphrase stops here), the journal
 * (torn tail cut, corruption stops here), the kill switch and the SENEBI adapter; builds the
 * desk and the app; listens; then reconciles uncertain orders in the background while the
 * internal ping already answers. `shutdown()` is the graceful SIGTERM path.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type winston from 'winston';
import { buildMetricName, createMetricsRegistry, createMtlsServer, createTlsMetrics, httpErrors, openTrustStore, systemClock, TLS_REJECTED_CONNECTIONS_SUFFIX, type Clock, type MtlsServer, type QsenConfig } from '@qsen/core';
import { createApp } from './app.js';
import type { AuditSink } from './audit/audit.js';
import { rejectionLabel } from './senebi/reasons.js';
import { QsenStartupError, qsenErrors } from './errors.js';
import { describeCertificateFile, openIdentity } from './identity/identity.js';
import { JournalCorruptError, openJournal, type Journal } from './journal/journal.js';
import { openKillSwitch } from './killswitch/killswitch.js';
import { registerQsenMetrics, type CertificateExpiry, type CertificateName } from './metrics/metrics.js';
import { buildOrderBook } from './orders/book.js';
import { createMarketHours } from './orders/market.js';
import { createOrderDesk, type OrderDesk } from './orders/desk.js';
import { createSenebiClient, type SenebiClient } from './senebi/client.js';
import { OrderFigures, SenebiFigures } from './status/figures.js';

/** File name of the journal inside `[paths] data`. */
export const JOURNAL_FILE = 'journal.log';

/** How to start a node. */
export interface StartOptions {
  readonly config: QsenConfig;
  readonly logger: winston.Logger;
  readonly audit: AuditSink;
  readonly clock?: Clock;
  /** Port to listen on (default: config.server.qsen_port; 0 in tests). */
  readonly port?: number;
  /** Address to listen on (default: config.server.listen). */
  readonly host?: string;
  /** Reload the TLS files when they change (default true: a revocation reaches every node within 2 s). */
  readonly watchTlsFiles?: boolean;
  readonly version?: string;
  readonly pid?: number;
}

/** A running node. */
export interface QsenNode {
  readonly port: number;
  readonly desk: OrderDesk;
  readonly senebi: SenebiClient;
  readonly registry: Registry;
  readonly journal: Journal;
  /** Resolves when start-up reconciliation is done. */
  readonly reconciled: Promise<void>;
  /** Re-reads the cluster TLS files (SIGHUP). */
  reload(): { ok: boolean; error?: string };
  /** Graceful stop: stop accepting, finish (or journal) what is in flight, close. */
  shutdown(): Promise<void>;
}

/** notAfter of the first certificate in a PEM file, unix seconds; undefined when it cannot be read. */
/** The codes an order outcome may be counted under besides SENEBI's (qsen's registry and the shared HTTP codes). */
const OUTCOME_CODES: ReadonlySet<string> = new Set([...Object.keys(qsenErrors.specs), ...Object.keys(httpErrors.specs)]);

function readNotAfterSeconds(file: string, now: Date): number | undefined {
  const described = describeCertificateFile(file, now);
  return 'notAfter' in described ? Date.parse(described.notAfter) / 1000 : undefined;
}

/** Starts a qsen node; throws QsenStartupError for the problems that must stop it. */
export async function startQsen(options: StartOptions): Promise<QsenNode> {
  const { config, logger, audit } = options;
  const clock = options.clock ?? systemClock;
  const pid = options.pid ?? process.pid;
  const startedAtMs = clock.now();

  const opened = openIdentity(config.senebi, new Date(clock.now()));
  if (!opened.identity) {
    const problem = opened.check.problem ?? 'UNKNOWN';
    const hint = problem === 'WRONG_PASSPHRASE'
      ? `the passphrase in ${config.senebi.passphrase_file} does not open ${config.senebi.key}`
      : problem === 'KEY_CERTIFICATE_MISMATCH'
        ? `the key ${config.senebi.key} does not belong to the certificate ${config.senebi.cert}`
        : `cannot open the SENEBI identity (${config.senebi.cert}, ${config.senebi.key}, ${config.senebi.passphrase_file})`;
    throw new QsenStartupError('SENEBI_IDENTITY', `SENEBI identity: ${problem}: ${hint}`);
  }
  const { identity } = opened;
  if (identity.check.certificate && identity.check.certificate.daysLeft < 30) {
    logger.warn('the SENEBI agent certificate expires soon', { daysLeft: identity.check.certificate.daysLeft, notAfter: identity.check.certificate.notAfter });
  }

  let journalOpened;
  const journalFile = join(config.paths.data, JOURNAL_FILE);
  try {
    journalOpened = await openJournal(journalFile);
  } catch (err) {
    if (err instanceof JournalCorruptError) throw new QsenStartupError('JOURNAL_CORRUPT', err.message, { cause: err });
    throw new QsenStartupError('JOURNAL_UNREADABLE', `cannot open the journal ${journalFile}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const { journal, records, tornBytes } = journalOpened;
  if (tornBytes > 0) logger.warn('journal: torn last record cut off (crash during a write; that record was never acknowledged nor forwarded)', { file: journalFile, bytes: tornBytes });
  const book = buildOrderBook(records);
  logger.info('journal opened', { file: journalFile, records: records.length, orders: book.size });

  const registry = createMetricsRegistry({ prefix: 'qsen' });
  const tlsMetrics = createTlsMetrics(registry, buildMetricName('qsen', TLS_REJECTED_CONNECTIONS_SUFFIX));
  const killSwitch = openKillSwitch(config.paths.data);
  const senebiFigures = new SenebiFigures();
  const orderFigures = new OrderFigures();
  let reconciling = (): boolean => false;
  let inFlight = (): number => 0;
  const isMarketOpen = createMarketHours(config.schedule);
  // The agent certificate is read once at start (the SENEBI adapter keeps it until a restart); the
  // cluster files are re-read at every scrape, so a TLS reload shows at the next scrape.
  const agentNotAfter = identity.check.certificate ? Date.parse(identity.check.certificate.notAfter) / 1000 : undefined;
  const certificateExpiries = (): CertificateExpiry[] => {
    const now = new Date(clock.now());
    const entries: Array<[CertificateName, number | undefined]> = [
      ['server', readNotAfterSeconds(config.tls.cert, now)],
      ['client_ca', readNotAfterSeconds(config.tls.ca, now)],
      ['senebi_agent', agentNotAfter],
    ];
    return entries.flatMap(([certificate, notAfterSeconds]) => (notAfterSeconds === undefined ? [] : [{ certificate, notAfterSeconds }]));
  };
  const metrics = registerQsenMetrics(registry, {
    isHalted: () => killSwitch.isHalted(),
    isReconciling: () => reconciling(),
    journalFigures: () => journal.figures(),
    inFlight: () => inFlight(),
    certificateExpiries,
    isTradingWindowOpen: () => isMarketOpen(clock.now()),
  });

  const senebi = createSenebiClient({
    url: config.senebi.url,
    ca: readFileSync(config.senebi.ca, 'utf8'),
    cert: identity.certPem,
    key: identity.keyPem,
    timeoutMs: config.senebi.timeout_ms,
    onCall: (operation, ms, outcome) => {
      senebiFigures.record(operation, ms, outcome);
      metrics.senebiDuration.observe({ operation, outcome }, ms / 1000);
      metrics.senebiRequests.inc({ operation, outcome });
    },
  });

  const desk = createOrderDesk({
    journal,
    book,
    senebi,
    range: config.id_range,
    killSwitch,
    isMarketOpen,
    clock,
    reconcileWaitMs: config.senebi.timeout_ms,
    onOutcome: (status, reason) => {
      // Metric labels and status keys come from closed sets; SENEBI's free text stays in the log.
      const label = status === 'accepted' ? '' : rejectionLabel(reason, OUTCOME_CODES);
      if (status === 'accepted') orderFigures.recordAccepted();
      else orderFigures.recordRejected(label);
      if (reason.startsWith('SENEBI:')) logger.info('order rejected by SENEBI', { code: label, reason: reason.slice('SENEBI:'.length) });
      metrics.orders.inc({ status, reason: label });
    },
    log: { info: (m, meta) => logger.info(m, meta), warn: (m, meta) => logger.warn(m, meta) },
  });
  reconciling = () => desk.isReconciling();
  inFlight = () => desk.inFlightCount();

  const trust = openTrustStore(config.tls, { logger, now: () => new Date(clock.now()) });
  const app = createApp({
    config,
    logger,
    clock,
    desk,
    senebi,
    killSwitch,
    audit,
    registry,
    pid,
    status: {
      config,
      startedAtMs,
      senebiFigures,
      orderFigures,
      killSwitch: () => killSwitch.read(),
      isReconciling: () => desk.isReconciling(),
      inFlight: () => desk.inFlightCount(),
      journal: () => journal.figures(),
      version: options.version ?? '0.1.0',
      tls: trust.status,
    },
  });
  const server: MtlsServer = createMtlsServer({ trust, app, logger, metrics: tlsMetrics, watchFiles: options.watchTlsFiles ?? true });
  const port = await server.listen(options.port ?? config.server.qsen_port, options.host ?? config.server.listen);
  logger.info('qsen listening', { port, host: options.host ?? config.server.listen, pid });

  const reconciled = desk.reconcile().then(() => {
    logger.info('reconciliation done; accepting orders');
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
    desk,
    senebi,
    registry,
    journal,
    reconciled,
    reload: () => server.reload(),
    shutdown() {
      stopping ??= (async () => {
        logger.info('shutting down: no new orders; finishing the ones in flight', { inFlight: desk.inFlightCount() });
        desk.stop();
        server.server.close();
        server.server.closeIdleConnections();
        await desk.drain();
        await server.close();
        senebi.close();
        await journal.close();
        logger.info('qsen stopped');
      })();
      return stopping;
    },
  };
}
