export * from './ids/uint64.js';
export * from './json/lossless.js';
export * from './errors/api-error.js';
export * from './config/types.js';
export * from './http/index.js';
export * from './metrics/index.js';
