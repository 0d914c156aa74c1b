// @qsen/simulator: the SENEBI simulator (docs/api.md §8) with faults on demand.
export { createSimulator, type Simulator, type SimulatorOptions } from './app.js';
export {
  startSimulator, simulatorPathsOf, portOfSenebiUrl, DEFAULT_SIMULATOR_PORT,
  type StartSimulatorOptions, type RunningSimulator, type SimulatorPaths,
} from './service/start.js';
export { SIMULATOR_MAIN_PATH } from './service/entry.js';
export { parseArgs, USAGE, type SimulatorArgs } from './cli/args.js';
export { simulatorErrors, type SimulatorErrorCode } from './errors.js';
export { createSimulatorStore, emptyStoreSnapshot, type SimulatorStore, type StoreChange, type StoreSnapshot, type OrderEvent, type MatchingSettings, type SubmitOutcome } from './store/store.js';
export { createSimulatorCounters, type SimulatorCounters, type CounterChange, type CountersSnapshot } from './counters/counters.js';
export { createFaultEngine, isSelected, type FaultEngine, type FaultDecision } from './faults/engine.js';
export { parseFaultSettings, faultSettingsSchema, FAULT_KINDS, OUTCOME_FAULTS, type FaultSettings, type OutcomeFault } from './faults/settings.js';
export { loadSimulatorSettings, parseSimulatorSettings, DEFAULT_SETTINGS, type SimulatorSettings } from './config/settings.js';
export { createStateStorage, writeFileAtomic, type StateStorage } from './store/state-file.js';
export { parseState, renderState, parseChangeLine, renderChangeLine, type SimulatorStateData, type StateChange } from './store/state-schema.js';
export { validateOrder, isSameAgentCode, type OrderValidation } from './orders/validate.js';
export { LISTED_INSTRUMENTS, LISTED_SYMBOLS, type Instrument } from './orders/instruments.js';
export type { OrderFields, StoredOrder, AcceptedOrder, RejectedOrder, StoredOperation } from './orders/types.js';
export { planSeededBusiness, seedIdCandidates, type SeededBusiness, type SeedInput } from './business/seed.js';
export { tradeDateOf, isTradeDate, previousDate, EXCHANGE_TIME_ZONE, type TradeDate } from './trade-date/trade-date.js';
export { createPrng, hashSeed, type Prng } from './random/prng.js';
export { describeTrustedAgent, isTrustedAgent, type TrustedAgent } from './http/tls-server.js';
