/**
 * The configuration without its validator (`@qsen/core/config`): the config types, the defaults,
 * ConfigError, redaction and amounts: what a node needs to use its configuration, without zod and
 * @iarna/toml. The validator that reads conf.toml is `@qsen/core/config/load` (docs/architecture.md,
 * "Core's entries").
 */
export * from './types.js';
export * from './defaults.js';
export * from './config-error.js';
export * from './redact.js';
export * from './amounts.js';
export * from './order-terms.js';
