export * from './policy.js';
export * from './lock.js';
export * from './history.js';
export * from './probe.js';
export * from './coordinator.js';
export * from './watchdog.js';
export * from './requests.js';
