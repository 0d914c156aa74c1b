/**
 * createSimulator: the SENEBI simulator as an express app plus its store, fault engine and
 * counters. It never listens and never reads the environment; service/start.ts serves it over
 * mutual TLS, tests build it directly.
 */
import express, { type Express } from 'express';
import type { Socket } from 'node:net';
import type { IdRange } from '@qsen/core';
import { SimulatorStore } from './store/store.js';
import { SimulatorCounters } from './counters/counters.js';
import { FaultEngine } from './faults/engine.js';
import { DEFAULT_SETTINGS, type SimulatorSettings } from './config/settings.js';
import { renderState, type SimulatorStateData } from './store/state-schema.js';
import type { StateFile } from './store/state-file.js';
import { SILENT_LOGGER, type SimulatorLogger } from './logger.js';
import { readJsonBody } from './http/body.js';
import { createFaultMiddleware, requestPath, submittedOrderId } from './http/faults.js';
import { endpointOf } from './http/endpoints.js';
import { createErrorHandler, notFound } from './http/errors.js';
import { createSenebiRouter } from './routes/senebi.js';
import { createAdminRouter } from './routes/admin.js';

/** What createSimulator needs. */
export interface SimulatorOptions {
  /** qsen's reserved id range (the seeded business lies outside it). */
  readonly range: IdRange;
  /** simulator.toml's content (default: agent 210, every order matched, no faults). */
  readonly settings?: SimulatorSettings;
  /** The clock (trade dates, order times). */
  readonly now?: () => Date;
  /** State read from state.json at start (absent: a first start, seeded afresh). */
  readonly initialState?: SimulatorStateData;
  /** Where changes are saved (absent: memory only). */
  readonly stateFile?: StateFile;
  readonly logger?: SimulatorLogger;
}

/** A built simulator. */
export interface Simulator {
  readonly app: Express;
  readonly store: SimulatorStore;
  readonly faults: FaultEngine;
  readonly counters: SimulatorCounters;
  readonly settings: SimulatorSettings;
  /** Saves the state if it changed; resolves when it is durable. */
  persist(): Promise<void>;
  /** Puts everything back to a first start: store reseeded, counters cleared, faults and matching from the settings. */
  reset(): Promise<void>;
  /** Destroys the sockets held open by the hang fault. */
  releaseHanging(): void;
}

/** Builds the simulator (no listening, no environment). */
export function createSimulator(options: SimulatorOptions): Simulator {
  const settings = options.settings ?? DEFAULT_SETTINGS;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? SILENT_LOGGER;
  const store = new SimulatorStore({
    range: options.range,
    agentCode: settings.business.agent_code,
    businessSeed: settings.business.seed,
    matching: settings.matching,
    now,
  }, options.initialState?.store);
  const counters = options.initialState ? SimulatorCounters.fromSnapshot(options.initialState.counters) : new SimulatorCounters();
  const faults = new FaultEngine(settings.faults);
  const hanging = new Set<Socket>();

  let savedVersion = -1;
  let countersDirty = true;
  const persist = async (): Promise<void> => {
    if (!options.stateFile) return;
    if (store.version === savedVersion && !countersDirty) return;
    countersDirty = false;
    await options.stateFile.save(() => {
      savedVersion = store.version;
      return renderState({ version: 1, store: store.snapshot(), counters: counters.snapshot() });
    });
  };
  const reset = async (): Promise<void> => {
    store.reset();
    counters.clear();
    faults.replace(settings.faults);
    countersDirty = true;
    logger.info('simulator reset', { ...store.sizes() });
    await persist();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/senebi', (req, _res, next) => {
    counters.countRequest(endpointOf(req.method, requestPath(req)));
    countersDirty = true;
    next();
  });
  app.post('/senebi/v1/orders', readJsonBody, (req, _res, next) => {
    const id = submittedOrderId(req);
    if (id !== undefined) {
      counters.countOrder(id);
      store.recordEvent(id, 'received');
    }
    next();
  });
  app.use('/senebi', (req, res, next) => {
    res.on('finish', () => logger.info('request', { method: req.method, path: req.originalUrl, status: res.statusCode }));
    next();
  });
  app.use('/senebi', createFaultMiddleware({ engine: faults, counters, store, logger, hanging, persist }));
  app.use(createSenebiRouter({ store, now, persist }));
  app.use(createAdminRouter({ store, counters, engine: faults, logger, persist, reset }));
  app.use(notFound);
  app.use(createErrorHandler(logger));

  return {
    app,
    store,
    faults,
    counters,
    settings,
    persist,
    reset,
    releaseHanging: () => {
      for (const socket of hanging) socket.destroy();
      hanging.clear();
    },
  };
}
