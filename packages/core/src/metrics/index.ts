export * from './names.js';
export * from './registry.js';
export * from './tls.js';
export * from './pings.js';
