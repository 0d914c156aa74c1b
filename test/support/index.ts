// Shared helpers of the system-level hardening suites (test/security, test/chaos).
export * from './system.js';
export * from './identities.js';
export * from './probes.js';
export * from './secrets.js';
export * from './endpoints.js';
export * from './simulator.js';
export * from './dates.js';
