/**
 * The configuration validator (`@qsen/core/config/load`): the schema (zod) and the TOML loader
 * (@iarna/toml). Loaded by short-lived tools (qsen-config, tests) and by the worker of
 * loadConfigOffThread, never by a long-running node's own thread.
 */
export * from './schema.js';
export * from './load.js';
