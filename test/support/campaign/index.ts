// The Jepsen-style fault campaign (issue 11): plan, clients, nemesis, checker, one run.
export * from './random.js';
export * from './plan.js';
export * from './checker.js';
export * from './clients.js';
export * from './disk.js';
export * from './nemesis.js';
export * from './run.js';
export * from './verdict.js';
export * from './cancel-checker.js';
export * from './mass-cancel-phase.js';
