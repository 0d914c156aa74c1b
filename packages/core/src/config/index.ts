/**
 * The configuration without its validator (`@qsen/core/config`): the config types, the defaults,
 * ConfigError, redaction, and loadConfigOffThread, which validates conf.toml in a short-lived
 * worker thread. A long-running node (qsen, kan, the launcher) reads its configuration through
 * it, so zod and @iarna/toml are never loaded in the node's own thread and their memory goes
 * with the worker (docs/architecture.md, "Core's entries"). The validator itself is
 * `@qsen/core/config/load`.
 */
export * from './types.js';
export * from './defaults.js';
export * from './config-error.js';
export * from './redact.js';
export * from './off-thread.js';
export * from './amounts.js';
