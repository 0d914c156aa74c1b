// @qsen/qsen: the order node (docs/api.md §4). The process entry is dist/src/main.js.
export { createApp, type AppDeps } from './app.js';
export { startQsen, JOURNAL_FILE, type StartOptions, type QsenNode } from './node.js';
export { qsenErrors, QsenStartupError, type QsenErrorCode, type StartupProblem } from './errors.js';
export { createSenebiClient, type SenebiClient, type SenebiClientOptions, type SenebiOperation, type PlacedOrder } from './senebi/client.js';
export { openKillSwitch, HALT_FILE, type KillSwitch, type KillSwitchState } from './killswitch/killswitch.js';
export { openJournal, JournalCorruptError, JournalFailedError, type Journal, type OpenedJournal, type JournalFigures } from './journal/journal.js';
export { validateOrder, isSameOrder, type OrderContent } from './orders/validation.js';
export { fenceOrders, fenceOperations } from './orders/listings.js';
export { METRIC_NAMES } from './metrics/metrics.js';
export type { AuditEntry, AuditSink } from './audit/audit.js';
