/**
 * The configuration validator (`@qsen/core/config/load`): the schema (zod) and the TOML loader
 * (@iarna/toml). Every node runs it once at start (docs/kan.md, "Memory", says why a kan does
 * not run it in a worker thread).
 */
export * from './schema.js';
export * from './load.js';
export { CONFIG_VALIDATOR_PACKAGES, loadConfigValidator, releaseConfigValidator } from './validator.js';
