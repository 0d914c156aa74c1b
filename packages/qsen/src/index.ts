// @qsen/qsen: the order node (docs/api.md §4). The process entry is dist/src/main.js.
export { createApp, type AppDeps } from './app.js';
export { startQsen, JOURNAL_FILE, type StartOptions, type QsenNode } from './node.js';
export { qsenErrors, QsenStartupError, STARTUP_PROBLEMS, type QsenErrorCode, type StartupProblem } from './errors.js';
export { createSenebiClient, type SenebiClient, type SenebiClientOptions, type SenebiOperation, type PlacedOrder, type PlaceAnswer, type CancelAnswer, type SenebiOrderState, SENEBI_ORDER_STATES, isDuplicateIdReason } from './senebi/client.js';
export { openKillSwitch, type KillSwitch, type KillSwitchState } from './killswitch/killswitch.js';
export { openJournal, JournalCorruptError, JournalTruncatedError, JournalFailedError, readDurableLength, durableLengthFile, type Journal, type OpenedJournal, type JournalFigures, type JournalHealth } from './journal/journal.js';
export { scanJournal, type JournalScan, type DamagedLine } from './journal/records.js';
export { validateOrder, checkOrder, isSameOrder } from './orders/validation.js';
export type { OrderContent, OrderState } from './orders/order.js';
export { fenceOrders, fenceOperations } from './orders/listings.js';
export { METRIC_NAMES } from './metrics/metrics.js';
