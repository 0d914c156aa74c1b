// @qsen/qsen: the order node (docs/api.md §4). The process entry is dist/src/main.js; the package
// entry holds what other packages and the system tests use: the app, the node and the registry.
export { createApp, type AppDeps } from './app.js';
export { startQsen, JOURNAL_FILE, type StartOptions, type QsenNode } from './node.js';
export { qsenErrors, QsenStartupError, STARTUP_PROBLEMS, type StartupProblem } from './errors.js';
export { createSenebiClient, type SenebiClient, type SenebiClientOptions } from './senebi/client.js';
