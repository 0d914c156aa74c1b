/**
 * All of core at once (`@qsen/core`), kept for short-lived tools and tests. A long-running node
 * imports the domain entries instead (`@qsen/core/config`, `/http`, `/logging`, `/metrics`,
 * `/schedule`, `/ids`, `/json`, `/errors`, `/liveness`): this entry loads the configuration
 * validator (zod, @iarna/toml) and everything else (eslint.config.js keeps the nodes off it).
 */
export * from './ids/uint64.js';
export * from './json/lossless.js';
export * from './errors/api-error.js';
export * from './config/index.js';
export * from './config/load-entry.js';
export * from './http/index.js';
export * from './metrics/index.js';
export * from './schedule/index.js';
export * from './logging/index.js';
export * from './liveness/heartbeat.js';
