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
import type { QsenConfig } from '@qsen/core/config';
import { createMtlsServer, openTrustStore, type MtlsServer } from '@qsen/core/http';
import type { AuditSink } from '@qsen/core/logging';
import { buildMetricName, createMetricsRegistry, createTlsMetrics, TLS_REJECTED_CONNECTIONS_SUFFIX } from '@qsen/core/metrics';
import type { Uint64 } from '@qsen/core/ids';
import { localDateOf, systemClock, type Clock } from '@qsen/core/schedule';
import { ApiError, httpErrors, errorMessage } from '@qsen/core/errors';
import { loadConfig, releaseConfigValidator } from '@qsen/core/config/load';
import { createApp } from './app.js';
import { isJsonObject } from './senebi/wire.js';
import { QsenStartupError, qsenErrors } from './errors.js';
import { describeCertificateFile, openIdentity } from './identity/identity.js';
import { JOURNAL_FILE, JournalCorruptError, JournalTruncatedError, openJournal, type Journal } from './journal/journal.js';
import { openDeadman, type DeadmanSwitch } from './deadman/switch.js';
import { createHalting } from './killswitch/halting.js';
import { openKillSwitch } from './killswitch/killswitch.js';
import { verdictOfCancel } from './killswitch/cancel-verdict.js';
import { createOrphanCancel } from './killswitch/orphans.js';
import { countOutcomes, createMassCancel, type MassCancel } from './killswitch/mass-cancel.js';
import { openMassCancelLog } from './killswitch/mass-cancel-log.js';
import { MASS_CANCEL_OUTCOMES, registerQsenMetrics, registerSenebiHistogram } from './metrics/metrics.js';
import { applyRecord, createOrderBook, markDamage } from './orders/book.js';
import { createMarketHours } from './orders/market.js';
import { createOrderDesk, type OrderDesk } from './orders/desk.js';
import { createCancelDesk, type CancelDesk } from './orders/cancel.js';
import { createRiskControls, type RiskControls } from './risk/controls.js';
import { createSenebiClient, type SenebiClient } from './senebi/client.js';
import { judgeAcceptance } from './status/acceptance.js';
import type { CertificateName, QsenFacts } from './status/report.js';
import { createQsenStats } from './status/stats.js';

export { JOURNAL_FILE } from './journal/journal.js';

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
  /** The cancels of resting orders (cancelOrder; the kill switch's mass cancel). */
  readonly cancels: CancelDesk;
  readonly senebi: SenebiClient;
  readonly registry: Registry;
  readonly journal: Journal;
  /** The pre-trade risk controls (SIGHUP reloads them). */
  readonly risk: RiskControls;
  /** The kill switch's mass cancel and the dead man's switch. */
  readonly massCancel: MassCancel;
  readonly deadman: DeadmanSwitch;
  /** Resolves when start-up reconciliation is done. */
  readonly reconciled: Promise<void>;
  /** Re-reads the cluster TLS files (SIGHUP). */
  reload(): { ok: boolean; error?: string };
  /** Graceful stop: stop accepting, finish (or journal) what is in flight, close. */
  shutdown(): Promise<void>;
}

/** The codes an order outcome may be counted under besides SENEBI's (qsen's registry and the shared HTTP codes). */
const OUTCOME_CODES: ReadonlySet<string> = new Set([...Object.keys(qsenErrors.specs), ...Object.keys(httpErrors.specs)]);

/** notAfter of the first certificate in a PEM file, unix seconds; undefined when it cannot be read. */
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
  // The order book is built as the journal is read (no array of every record of the day).
  const book = createOrderBook();
  let replayed = 0;
  try {
    journalOpened = await openJournal(journalFile, {
      clock,
      onRecord: (record) => {
        replayed += 1;
        applyRecord(book, record);
      },
    });
  } catch (err) {
    if (err instanceof JournalCorruptError) throw new QsenStartupError('JOURNAL_CORRUPT', err.message, { cause: err });
    if (err instanceof JournalTruncatedError) throw new QsenStartupError('JOURNAL_TRUNCATED', err.message, { cause: err });
    throw new QsenStartupError('JOURNAL_UNREADABLE', `cannot open the journal ${journalFile}: ${errorMessage(err)}`, { cause: err });
  }
  const { journal, tornBytes, tornIds, damaged } = journalOpened;
  if (tornBytes > 0 && tornIds.length === 0) logger.warn('journal: torn last record cut off (crash during a write; it shows no order id, so it was never acknowledged nor forwarded)', { file: journalFile, bytes: tornBytes });
  if (tornIds.length > 0) logger.warn('journal: torn last record cut off; the order ids it shows count as possibly forwarded and are reconciled with SENEBI', { file: journalFile, bytes: tornBytes, orderIds: tornIds });
  if (damaged.length > 0) logger.error('journal: damaged records; their orders count as possibly forwarded and are reconciled with SENEBI (docs/qsen.md "Journal damage")', { file: journalFile, lines: damaged.map((d) => d.line), orderIds: damaged.map((d) => d.id) });
  markDamage(book, journalOpened, new Date(clock.now()).toISOString());
  logger.info('journal opened', { file: journalFile, records: replayed, orders: book.size, settled: book.settledCount() });

  const registry = createMetricsRegistry();
  const tlsMetrics = createTlsMetrics(registry, buildMetricName('qsen', TLS_REJECTED_CONNECTIONS_SUFFIX));
  const killSwitch = openKillSwitch(config.paths.data);
  const stats = createQsenStats({ outcomeCodes: OUTCOME_CODES, senebiHistogram: registerSenebiHistogram(registry) });
  const isMarketOpen = createMarketHours(config.schedule);
  // Risk: the limits of [risk] and the reference prices; today's usage rebuilt from the journal's
  // orders (the book), so it survives kill -9 without a file of its own.
  let controls: RiskControls;
  try {
    controls = createRiskControls({
      risk: config.risk,
      timezone: config.schedule.timezone,
      clock,
      readRiskConfig: () => loadConfig(config.file).risk,
      audit,
      // The ledger's ids are the ids of the orders the desk admitted (Uint64 text).
      orderOf: (id) => book.get(id as Uint64)?.order,
    });
  } catch (err) {
    const problems = err instanceof ApiError && Array.isArray(err.details?.['problems']) ? (err.details['problems'] as string[]).join('; ') : String(err);
    throw new QsenStartupError('RISK_REFERENCE_PRICES', `reference prices: ${problems}`, { cause: err });
  }
  // conf.toml and the reference prices file are read at start and at each reload only: their
  // parsers (zod, @iarna/toml) go in between, loaded again by the next reload (docs/qsen.md, "Memory").
  releaseConfigValidator();
  const risk: RiskControls = {
    ...controls,
    reload(actor, reason) {
      try {
        return controls.reload(actor, reason);
      } finally {
        releaseConfigValidator();
      }
    },
  };
  risk.rebuild([...book.values()].flatMap((e) => (e.order ? [{ order: e.order, state: e.state, receivedAt: e.receivedAt }] : [])));

  const senebi = createSenebiClient({
    url: config.senebi.url,
    ca: readFileSync(config.senebi.ca, 'utf8'),
    cert: identity.certPem,
    key: identity.keyPem,
    timeoutMs: config.senebi.timeout_ms,
    maxAnswerBytes: config.senebi.max_answer_bytes,
    onCall: (operation, ms, outcome) => stats.recordSenebiCall(operation, ms, outcome),
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
    // After a duplicate-id refusal, SENEBI's record is read for up to two call timeouts.
    recordReadMs: 2 * config.senebi.timeout_ms,
    onContradiction: (kind) => stats.recordContradiction(kind),
    onOutcome: (status, reason) => {
      const label = stats.recordOrderOutcome(status, reason);
      if (reason.startsWith('SENEBI:')) logger.info('order rejected by SENEBI', { code: label, reason: reason.slice('SENEBI:'.length) });
    },
    log: logger,
    risk,
  });
  const cancels = createCancelDesk({
    journal,
    book,
    senebi,
    desk,
    range: config.id_range,
    isMarketOpen,
    clock,
    reconcileWaitMs: config.senebi.timeout_ms,
    onResult: (result) => stats.recordCancelResult(result),
    onContradiction: (kind) => stats.recordContradiction(kind),
    log: logger,
  });

  // The kill switch's mass cancel and the dead man's switch (docs/qsen.md, "Pulling resting
  // orders", "Dead man's switch"): halting from every channel goes through `halting`.
  const tradingDayOf = (ms: number): string => localDateOf(config.schedule.timezone, ms);
  const massCancelLog = openMassCancelLog(config.paths.data);
  const massCancel: MassCancel = createMassCancel({
    log: massCancelLog,
    // The same journaled, idempotent path as cancelOrder.
    cancelOne: async (id) => verdictOfCancel(await cancels.cancel(id)),
    // An in-range order SENEBI lists resting that the journal does not know: straight at SENEBI (docs/api.md, "Orphans").
    cancelOrphan: createOrphanCancel({ range: config.id_range, cancelOrder: (id) => senebi.cancelOrder(id) }),
    listOrders: async (day) => (await senebi.listOrders(day)).flatMap((o) => (isJsonObject(o) ? [{ id: o['id'], status: o['status'] }] : [])),
    // A final cancel result closes the order for the selection; any other cancel state leaves it to the cancel path.
    journalOrders: () => [...book].map(([id, entry]) => ({
      id,
      state: entry.cancel?.state === 'cancelled' || entry.cancel?.state === 'matched' ? entry.cancel.state : entry.state,
      receivedAt: entry.receivedAt,
      tradingDay: tradingDayOf(Date.parse(entry.receivedAt)),
    })),
    inFlight: () => desk.inFlightCount(),
    range: config.id_range,
    tradingDayOf,
    clock,
    audit,
    logger,
    inFlightWaitMs: 2 * config.senebi.timeout_ms + 1000,
    onOutcome: (outcome) => stats.recordMassCancelOutcome(MASS_CANCEL_OUTCOMES[outcome]),
    onRun: (channel, resumed) => stats.recordMassCancelRun(channel, resumed),
  });
  const halting = createHalting({ killSwitch, massCancel, clock, audit, log: logger });
  const deadman = openDeadman({
    settings: config.deadman,
    clock,
    isMarketOpen,
    tradingDayOf,
    dataDir: config.paths.data,
    audit,
    log: logger,
    onTrip: async (trip) => {
      stats.recordDeadmanTrip();
      await halting.halt({
        by: 'deadman',
        channel: 'deadman',
        reason: `no heartbeat from the platform for ${trip.intervalSeconds} s`,
        cancelOpen: trip.cancelOpen,
        details: { armedAt: trip.armedAt ?? null, lastHeartbeatAt: trip.lastHeartbeatAt ?? null, deadline: trip.deadline ?? null },
      });
    },
  });

  const trust = openTrustStore(config.tls, { logger, clock });
  // The agent certificate is read once at start (the SENEBI adapter keeps it until a restart); the
  // cluster files are re-read at every scrape, so a TLS reload shows at the next scrape.
  const agentNotAfter = identity.check.certificate ? Date.parse(identity.check.certificate.notAfter) / 1000 : undefined;
  const facts: QsenFacts = {
    config,
    version: options.version ?? '0.1.0',
    startedAtMs,
    stats,
    isHalted: () => killSwitch.isHalted(),
    killSwitch: () => killSwitch.read(),
    isReconciling: () => desk.isReconciling(),
    inFlight: () => desk.inFlightCount(),
    journal: () => journal.figures(),
    journalHealth: () => journal.health(),
    acceptance: () => judgeAcceptance({
      journalWritable: journal.health().writable,
      halted: killSwitch.isHalted(),
      reconciling: desk.isReconciling(),
      stopping: desk.isStopped(),
      marketOpen: isMarketOpen(clock.now()),
    }),
    isMarketOpen: () => isMarketOpen(clock.now()),
    risk,
    certificateExpiries: () => {
      const now = new Date(clock.now());
      const entries: Array<[CertificateName, number | undefined]> = [
        ['server', readNotAfterSeconds(config.tls.cert, now)],
        ['client_ca', readNotAfterSeconds(config.tls.ca, now)],
        ['senebi_agent', agentNotAfter],
      ];
      return entries.flatMap(([certificate, notAfterSeconds]) => (notAfterSeconds === undefined ? [] : [{ certificate, notAfterSeconds }]));
    },
    tls: trust.status,
    // The last mass cancel as status shows it: its counts, not its lists (`GET /qsen/v1/massCancel` has them).
    massCancel: () => {
      const report = massCancel.report();
      return report ? { ...report, ...countOutcomes(report) } : null;
    },
    isMassCancelRunning: () => massCancel.isRunning(),
    deadman: () => deadman.view(),
    deadmanDeadlineMs: () => deadman.deadlineMs(),
  };
  registerQsenMetrics(registry, facts);
  const app = createApp({ config, logger, clock, desk, cancels, senebi, killSwitch, halting, massCancel, deadman, audit, registry, risk, pid, facts });
  const server: MtlsServer = createMtlsServer({ trust, app, logger, metrics: tlsMetrics, watchFiles: options.watchTlsFiles ?? true });
  const port = await server.listen(options.port ?? config.server.qsen_port, options.host ?? config.server.listen);
  logger.info('qsen listening', { port, host: options.host ?? config.server.listen, pid });

  let markerWatch: NodeJS.Timeout | undefined;
  const reconciled = Promise.all([desk.reconcile(), cancels.reconcile()]).then(async () => {
    logger.info('reconciliation done; accepting orders');
    // A mass cancel a crash interrupted goes on; one the halt marker asks for (the shell command,
    // or a crash before it began) starts; then the marker is looked at every half second.
    await massCancel.resume();
    await halting.pickUpRequests();
    if (desk.isStopped()) return;
    markerWatch = setInterval(() => void halting.pickUpRequests(), 500);
    markerWatch.unref();
    deadman.start();
  });

  let stopping: Promise<void> | undefined;
  return {
    port,
    desk,
    cancels,
    senebi,
    registry,
    journal,
    risk,
    massCancel,
    deadman,
    reconciled,
    reload: () => server.reload(),
    shutdown() {
      stopping ??= (async () => {
        logger.info('shutting down: no new orders; finishing the ones in flight', { inFlight: desk.inFlightCount() });
        desk.stop();
        clearInterval(markerWatch);
        deadman.close();
        // A mass cancel stops between two orders and is resumed at the next start.
        await massCancel.stop(2 * config.senebi.timeout_ms);
        server.server.close();
        server.server.closeIdleConnections();
        await cancels.drain();
        await desk.drain();
        await server.close();
        senebi.close();
        await journal.close();
        await massCancelLog.close();
        killSwitch.close();
        logger.info('qsen stopped');
      })();
      return stopping;
    },
  };
}
