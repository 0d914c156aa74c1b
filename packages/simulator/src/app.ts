/**
 * createSimulator: the SENEBI simulator as an express app plus its store, fault engine and
 * counters. It never listens and never reads the environment; service/start.ts serves it over
 * mutual TLS, tests build it directly.
 */
import express, { type Express } from 'express';
import type { Socket } from 'node:net';
import { systemClock, type Clock, type IdRange } from '@qsen/core';
import { createSimulatorStore, emptyStoreSnapshot, type SimulatorStore } from './store/store.js';
import { createSimulatorCounters, type SimulatorCounters } from './counters/counters.js';
import { createFaultEngine, type FaultEngine } from './faults/engine.js';
import { DEFAULT_SETTINGS, type SimulatorSettings } from './config/settings.js';
import { renderChangeLine, renderState, type SimulatorStateData, type StateChange } from './store/state-schema.js';
import type { StateStorage } from './store/state-file.js';
import { readJsonBody } from './http/body.js';
import { cancelledOrderId, createFaultMiddleware, submittedOrderId } from './http/faults.js';
import { createLaterMatches } from './business/later-matches.js';
import { endpointOf } from './http/endpoints.js';
import { createErrorHandler, notFound } from './http/errors.js';
import { createSenebiRoutes } from './routes/senebi.js';
import { createAdminRoutes } from './routes/admin.js';
import { createProcessingTracker, type ProcessingTracker } from './records/processing.js';
import { createIdSequencer } from './records/sequencer.js';
import { setProcessingEnd } from './http/respond.js';
import { requestPath, type LogSink, SILENT_LOG, errorMessage } from '@qsen/core';

/** Buffered journal lines that trigger a write even if no answer waits for it. */
const BACKGROUND_COMMIT_LINES = 1000;
/** Journal lines per order held that the journal must pass before a compaction (on top of compactAfterLines). */
const COMPACT_LINES_PER_ORDER = 4;

/** What createSimulator needs. */
export interface SimulatorOptions {
  /** qsen's reserved id range (the seeded business lies outside it). */
  readonly range: IdRange;
  /** simulator.toml's content (default: agent 210, every order matched, no faults). */
  readonly settings?: SimulatorSettings;
  /** The clock (trade dates, order times; default the system clock). */
  readonly clock?: Clock;
  /** The snapshot read from state.json at start. */
  readonly initialState?: SimulatorStateData;
  /** Journaled changes to replay over the snapshot (sequence numbers above its lastSeq). */
  readonly initialChanges?: readonly { readonly seq: bigint; readonly change: StateChange }[];
  /** Where changes are saved (absent: memory only). */
  readonly storage?: StateStorage;
  /** Compact the journal into a new snapshot after this many lines, or 4 per order held when more (default 50000). */
  readonly compactAfterLines?: number;
  readonly logger?: LogSink;
}

/** A built simulator. */
export interface Simulator {
  readonly app: Express;
  readonly store: SimulatorStore;
  readonly faults: FaultEngine;
  readonly counters: SimulatorCounters;
  /** Order submissions received and not yet committed (the processing window). */
  readonly processing: ProcessingTracker;
  readonly settings: SimulatorSettings;
  /** Resolves once every change so far is durable. */
  persist(): Promise<void>;
  /** Writes a new snapshot and empties the journal. */
  checkpoint(): Promise<void>;
  /** Puts everything back to a first start: store reseeded, counters cleared, faults and matching from the settings. */
  reset(): Promise<void>;
  /** Destroys the sockets held open by the hang fault and disarms the later matches. */
  releaseHanging(): void;
}

/** Builds the simulator (no listening, no environment). */
export function createSimulator(options: SimulatorOptions): Simulator {
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? SILENT_LOG;
  const initialChanges = options.initialChanges ?? [];
  // Nothing is journaled while the store is built and the journal replayed.
  let seq = BigInt(options.initialState?.lastSeq ?? '0');
  let replaying = true;
  const snapshot = options.initialState?.store
    ?? (initialChanges.length > 0 ? emptyStoreSnapshot(settings.business.seed) : undefined);
  const store = createSimulatorStore({
    range: options.range,
    agentCode: settings.business.agent_code,
    businessSeed: settings.business.seed,
    matching: settings.matching,
    clock,
    onChange: (change) => journal(change),
  }, snapshot);
  const counters = createSimulatorCounters(options.initialState?.counters);
  const faults = createFaultEngine(settings.faults);
  const hanging = new Set<Socket>();
  const processing = createProcessingTracker();

  // Replay, then journal every change from here on; a fresh or replayed start is checkpointed first.
  let needsCheckpoint = options.initialState === undefined || initialChanges.length > 0;
  for (const { seq: lineSeq, change } of initialChanges) {
    if (lineSeq <= seq) continue;
    seq = lineSeq;
    if (change.t === 'count' || change.t === 'count_clear') counters.apply(change);
    else store.apply(change);
  }
  replaying = false;
  function journal(change: StateChange): void {
    if (replaying || !options.storage) return;
    seq += 1n;
    options.storage.append(renderChangeLine(seq, change));
    // Changes no answer waits for (e.g. ping counters) are written in batches.
    if (options.storage.pendingLines >= BACKGROUND_COMMIT_LINES) {
      void options.storage.commit().catch((err: unknown) => logger.error('state journal write failed', { error: errorMessage(err) }));
    }
  }
  counters.onChange(journal);

  const compactAfter = options.compactAfterLines ?? 50_000;
  const render = (): string => renderState({ version: 1, lastSeq: seq.toString(), store: store.snapshot(), counters: counters.snapshot() });
  let compacting: Promise<void> | undefined;
  const checkpoint = (): Promise<void> => {
    if (!options.storage) return Promise.resolve();
    needsCheckpoint = false;
    const run = options.storage.compact(render).finally(() => {
      if (compacting === run) compacting = undefined;
    });
    compacting = run;
    return run;
  };
  const persist = async (): Promise<void> => {
    const storage = options.storage;
    if (!storage) return;
    if (needsCheckpoint) {
      await checkpoint();
      return;
    }
    await storage.commit();
    // The snapshot costs O(state) to render: compacting only once the journal outgrows a share of
    // the state keeps that cost O(1) per change (amortised) however many orders are held.
    if (compacting === undefined && storage.journalLines > Math.max(compactAfter, COMPACT_LINES_PER_ORDER * store.sizes().orders)) {
      void checkpoint().catch((err: unknown) => logger.error('state checkpoint failed', { error: errorMessage(err) }));
    }
  };
  const laterMatches = createLaterMatches({ store, persist, logger });
  const reset = async (): Promise<void> => {
    laterMatches.stop();
    store.reset();
    counters.clear();
    faults.replace(settings.faults);
    logger.info('simulator reset', { ...store.sizes() });
    await persist();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/senebi', (req, _res, next) => {
    counters.countRequest(endpointOf(req.method, requestPath(req)));
    next();
  });
  app.post('/senebi/v1/orders', readJsonBody, (req, _res, next) => {
    const id = submittedOrderId(req);
    if (id !== undefined) {
      counters.countOrder(id);
      store.recordEvent(id, 'received');
      // In process until the handler commits it or a fault ends it without a commit. A client
      // that gives up (closes its socket) does not end it: the exchange still commits it.
      setProcessingEnd(req, processing.begin(id));
    }
    next();
  });
  app.post('/senebi/v1/orders/:id/cancel', readJsonBody, (req, _res, next) => {
    const id = cancelledOrderId(req);
    if (id !== undefined) {
      counters.countCancel(id);
      store.recordEvent(id, 'cancel_received');
    }
    next();
  });
  app.use('/senebi', (req, res, next) => {
    res.on('finish', () => logger.info('request', { method: req.method, path: req.originalUrl, status: res.statusCode }));
    next();
  });
  app.use('/senebi', createFaultMiddleware({ engine: faults, counters, store, logger, hanging, persist }));
  const sequencer = createIdSequencer();
  app.use(createSenebiRoutes({ store, clock, persist, sequencer, laterMatches }));
  app.use(createAdminRoutes({ store, counters, processing, engine: faults, logger, persist, reset }));
  app.use(notFound);
  app.use(createErrorHandler(logger));

  return {
    app,
    store,
    faults,
    counters,
    processing,
    settings,
    persist,
    checkpoint,
    reset,
    releaseHanging: () => {
      for (const socket of hanging) socket.destroy();
      hanging.clear();
      laterMatches.stop();
    },
  };
}
